#!/bin/sh
# Runs inside the goproxy build: maps each Debian package in modules.txt to module@version=dir and
# calls gen. The version is the package's upstream version (epoch, Debian revision and +ds/+dfsg
# repack suffixes dropped); a snapshot version (~git) has no real tag, so it is refused. The
# directory is the one of the package's go.mod files that declares the module (Debian puts chi/v5
# at github.com/go-chi/chi, for one).
set -eu
out=$1
args=
while read -r pkg path; do
	case "$pkg" in '' | '#'*) continue ;; esac
	v=$(dpkg-query -W -f '${Version}' "$pkg")
	v=${v#*:}; v=${v%-*}; v=${v%%+*}
	case "$v" in *~*) echo "gen.sh: $pkg $v is a snapshot, not a release" >&2; exit 1 ;; esac
	dir=
	for gm in $(dpkg -L "$pkg" | grep '^/usr/share/gocode/src/.*/go\.mod$'); do
		if [ "$(awk '$1 == "module" { gsub(/"/, "", $2); print $2; exit }' "$gm")" = "$path" ]; then
			dir=$(dirname "$gm")
			break
		fi
	done
	if [ -z "$dir" ] && [ -d "/usr/share/gocode/src/$path" ]; then dir=/usr/share/gocode/src/$path; fi
	[ -n "$dir" ] || { echo "gen.sh: $pkg ships no go.mod for module $path" >&2; exit 1; }
	args="$args $path@v$v=$(readlink -f "$dir")"
done < /gen/modules.txt
# shellcheck disable=SC2086
exec /gen/gen "$out" $args
