// gen writes a GOPROXY file tree (<escaped-path>/@v/{list,V.info,V.mod,V.zip}, plus @latest)
// from module sources on disk. Built in GOPATH mode against Debian's golang-golang-x-mod-dev, so it
// needs no network. Usage: gen OUTDIR path@version=dir...
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/zip"
)

// A fixed time keeps the tree byte-for-byte reproducible; Go only displays it.
const fixedTime = "2024-01-01T00:00:00Z"

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: gen OUTDIR path@version=dir...")
		os.Exit(2)
	}
	out := os.Args[1]
	have := map[string]string{}
	var mods []module.Version
	dirs := map[module.Version]string{}
	for _, arg := range os.Args[2:] {
		spec, dir, ok := strings.Cut(arg, "=")
		path, ver, ok2 := strings.Cut(spec, "@")
		if !ok || !ok2 {
			die("bad argument %q", arg)
		}
		mv := module.Version{Path: path, Version: ver}
		if err := module.Check(path, ver); err != nil {
			die("%v", err)
		}
		have[path] = ver
		mods = append(mods, mv)
		dirs[mv] = dir
	}
	missing := false
	for _, mv := range mods {
		dir := dirs[mv]
		gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if os.IsNotExist(err) {
			gomod = []byte("module " + modfile.AutoQuote(mv.Path) + "\n")
		} else if err != nil {
			die("%v", err)
		}
		f, err := modfile.ParseLax("go.mod", gomod, nil)
		if err != nil {
			die("%s: %v", mv, err)
		}
		if f.Module == nil || f.Module.Mod.Path != mv.Path {
			die("%s: go.mod in %s declares another module", mv, dir)
		}
		for _, r := range f.Require {
			if v, ok := have[r.Mod.Path]; !ok || v != r.Mod.Version {
				fmt.Fprintf(os.Stderr, "gen: %s requires %s, which is not served (have %q)\n", mv, r.Mod, v)
				missing = true
			}
		}
		esc, err := module.EscapePath(mv.Path)
		if err != nil {
			die("%v", err)
		}
		vdir := filepath.Join(out, esc, "@v")
		must(os.MkdirAll(vdir, 0o755))
		must(os.WriteFile(filepath.Join(vdir, mv.Version+".mod"), gomod, 0o644))
		info, _ := json.Marshal(map[string]string{"Version": mv.Version, "Time": fixedTime})
		must(os.WriteFile(filepath.Join(vdir, mv.Version+".info"), append(info, '\n'), 0o644))
		must(os.WriteFile(filepath.Join(out, esc, "@latest"), append(info, '\n'), 0o644))
		zf, err := os.Create(filepath.Join(vdir, mv.Version+".zip"))
		must(err)
		if err := zip.CreateFromDir(zf, mv, dir); err != nil {
			die("%s: zip from %s: %v", mv, dir, err)
		}
		must(zf.Close())
		// One version per module here, but keep `list` correct if several are ever served.
		list := []string{mv.Version}
		if old, err := os.ReadFile(filepath.Join(vdir, "list")); err == nil {
			for _, l := range strings.Fields(string(old)) {
				if l != mv.Version {
					list = append(list, l)
				}
			}
		}
		sort.Slice(list, func(i, j int) bool { return semver.Compare(list[i], list[j]) < 0 })
		must(os.WriteFile(filepath.Join(vdir, "list"), []byte(strings.Join(list, "\n")+"\n"), 0o644))
		fmt.Printf("%s %s\n", mv.Path, mv.Version)
	}
	if missing {
		die("some required modules are missing: add their Debian packages to modules.txt")
	}
}

func must(err error) {
	if err != nil {
		die("%v", err)
	}
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gen: "+format+"\n", args...)
	os.Exit(1)
}
