#!/usr/bin/env python3
"""gen.py OUTDIR DEBDIR: writes a GOPROXY file tree (<escaped-path>/@v/{list,V.info,V.mod,V.zip},
plus @latest) from the Debian packages named in modules.txt, whose .debs are in DEBDIR.

Go is not needed: a module zip is a plain zip whose files sit under `path@version/`, and go.sum's
h1: hash covers only file names and contents. The files chosen are those golang.org/x/mod/zip's
CreateFromDir chooses (no VCS or submodule directories, no vendored packages, regular files
only), so the hashes in the examples' go.sum hold. Each module's version is its package's upstream
version (epoch, Debian revision and +ds/+dfsg repack suffixes dropped; a ~git snapshot has no real
tag and is refused); its directory is the one whose go.mod declares it (Debian puts chi/v5 at
github.com/go-chi/chi)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

# A fixed time keeps the tree byte-for-byte reproducible; Go only displays it.
FIXED_TIME = "2024-01-01T00:00:00Z"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
GOCODE = "usr/share/gocode/src"


def die(message):
    sys.exit(f"gen.py: {message}")


def read_modules(listing):
    with open(listing) as f:
        return [line.split()[:2] for line in f if line.strip() and not line.startswith("#")]


def upstream_version(package, deb):
    full = subprocess.run(["dpkg-deb", "-f", deb, "Version"], check=True, capture_output=True, text=True).stdout.strip()
    version = full.split(":", 1)[-1].rsplit("-", 1)[0].split("+", 1)[0]
    if "~" in version:
        die(f"{package} {version} is a snapshot, not a release")
    return "v" + version


def declared_module(go_mod):
    with open(go_mod) as f:
        for line in f:
            words = line.split()
            if len(words) >= 2 and words[0] == "module":
                return words[1].strip('"')
    return None


def module_dir(root, package, module):
    for parent, dirs, files in os.walk(os.path.join(root, GOCODE)):
        dirs.sort()
        if "go.mod" in files and declared_module(os.path.join(parent, "go.mod")) == module:
            return parent
    plain = os.path.join(root, GOCODE, module)
    if os.path.isdir(plain):
        return plain
    die(f"{package} ships no go.mod for module {module}")


def vendored(rel):
    # CreateFromDir's rule, including the bug it keeps (golang.org/issue/31562): a file in a
    # package under vendor/ is left out, vendor/modules.txt is not.
    if rel.startswith("vendor/"):
        rest = rel[len("vendor/"):]
    elif "/vendor/" in rel:
        rest = rel[rel.index("/vendor/") + len("/vendor/"):]
    else:
        return False
    return "/" in rest


def module_files(top):
    chosen = []
    for parent, dirs, files in os.walk(top):
        keep = []
        for d in sorted(dirs):
            full = os.path.join(parent, d)
            if d in (".bzr", ".git", ".hg", ".svn") or os.path.islink(full):
                continue
            if os.path.isfile(os.path.join(full, "go.mod")) and not os.path.islink(os.path.join(full, "go.mod")):
                continue  # a submodule
            keep.append(d)
        dirs[:] = keep
        for name in files:
            full = os.path.join(parent, name)
            rel = os.path.relpath(full, top).replace(os.sep, "/")
            if vendored(rel) or os.path.islink(full) or not os.path.isfile(full):
                continue
            chosen.append(rel)
    return sorted(chosen)


def requirements(go_mod_text):
    found, block = [], False
    for line in go_mod_text.splitlines():
        words = line.split("//", 1)[0].split()
        if not words:
            continue
        if block:
            if words[0] == ")":
                block = False
            elif len(words) >= 2:
                found.append((words[0], words[1]))
        elif words[0] == "require":
            if words[1:2] == ["("]:
                block = True
            elif len(words) >= 3:
                found.append((words[1], words[2]))
    return found


def escape_path(module):
    # Upper-case letters become !lower, as the module proxy protocol asks.
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), module)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main(out, debs):
    with tempfile.TemporaryDirectory(prefix="goproxy-debs.") as trees:
        serve(out, debs, trees)


def serve(out, debs, trees):
    served = {}
    for package, module in read_modules(os.path.join(os.path.dirname(__file__), "modules.txt")):
        candidates = [d for d in os.listdir(debs) if d.startswith(package + "_") and d.endswith(".deb")]
        if len(candidates) != 1:
            die(f"want one {package}_*.deb in {debs}, found {candidates}")
        deb = os.path.join(debs, candidates[0])
        root = os.path.join(trees, package)
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        served[module] = (upstream_version(package, deb), module_dir(root, package, module))
    missing = False
    for module, (version, top) in sorted(served.items()):
        go_mod_path = os.path.join(top, "go.mod")
        go_mod = open(go_mod_path, "rb").read() if os.path.isfile(go_mod_path) else f"module {module}\n".encode()
        for need, need_version in requirements(go_mod.decode()):
            if served.get(need, (None,))[0] != need_version:
                print(f"gen.py: {module}@{version} requires {need} {need_version}, which is not served", file=sys.stderr)
                missing = True
        base = os.path.join(out, escape_path(module))
        info = (json.dumps({"Time": FIXED_TIME, "Version": version}, separators=(",", ":")) + "\n").encode()
        write(os.path.join(base, "@v", version + ".mod"), go_mod)
        write(os.path.join(base, "@v", version + ".info"), info)
        write(os.path.join(base, "@latest"), info)
        write(os.path.join(base, "@v", "list"), (version + "\n").encode())
        with zipfile.ZipFile(os.path.join(base, "@v", version + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
            for rel in module_files(top):
                entry = zipfile.ZipInfo(f"{module}@{version}/{rel}", ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with open(os.path.join(top, rel), "rb") as f:
                    z.writestr(entry, f.read())
        print(module, version)
    if missing:
        die("some required modules are missing: add their Debian packages to modules.txt")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen.py OUTDIR DEBDIR")
    main(sys.argv[1], sys.argv[2])
