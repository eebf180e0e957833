//! Which local packages a Go binary is built from. The compile step's inputs are those
//! packages' directories, not every Go file of the context: in a repository with several
//! binaries (a monorepo's services, a tools directory), editing a package one binary does not
//! import rebuilds nothing for it.

use std::collections::{BTreeMap, BTreeSet};

use super::{is_build_source, parent};

/// The packages a Go binary is built from, as its sources say.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Closure {
    /// The local packages' directories (relative to the app dir, `.` for its root).
    pub dirs: BTreeSet<String>,
    /// What those packages import that is not local: the standard library's packages and the
    /// dependencies' (cgo's `C` left out). Files only another OS compiles are not read.
    pub external: BTreeSet<String>,
    /// Whether one of them imports `C`: with cgo off, go build would leave those files out.
    pub cgo: bool,
}

/// The packages `main` is built from: itself and every local package it imports,
/// transitively, and what they import from elsewhere. `sources` holds the app dir's Go files
/// by path; `modules` maps each local module's path to its directory (the app's own module,
/// and nested ones a go.work or a replace directive brings in). `None` when a Go file of a
/// package on the way could not be read: then every Go file counts.
pub(super) fn local_closure(
    main: &str,
    sources: &BTreeMap<&str, &str>,
    modules: &BTreeMap<String, String>,
    tags: &[String],
) -> Option<Closure> {
    let mut closure = Closure::default();
    let mut pending = vec![main.to_string()];
    while let Some(dir) = pending.pop() {
        if !closure.dirs.insert(dir.clone()) {
            continue;
        }
        for (path, text) in sources {
            if parent(path) != dir || !is_build_source(path) {
                continue;
            }
            let for_another_os = another_os(path) || left_out_by_constraint(text, tags);
            for import in imports(text)? {
                match local_dir(&import, modules) {
                    Some(local) => pending.push(local),
                    None if for_another_os => {}
                    None if import == "C" => closure.cgo = true,
                    None => {
                        closure.external.insert(import);
                    }
                }
            }
        }
    }
    Some(closure)
}

/// Operating systems whose file-name suffix (`x_windows.go`, `x_darwin_arm64.go`) keeps a file
/// out of a Linux build.
const OTHER_OSES: [&str; 14] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "illumos",
    "ios",
    "js",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
];

fn another_os(path: &str) -> bool {
    let stem = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .trim_end_matches(".go");
    let parts: Vec<&str> = stem.split('_').skip(1).collect();
    let os = match parts.as_slice() {
        [.., os, _arch] if OTHER_OSES.contains(os) => Some(*os),
        [.., os] => Some(*os),
        [] => None,
    };
    os.is_some_and(|os| OTHER_OSES.contains(&os))
}

/// Whether a file's build constraint (`//go:build`, or the older `// +build`) keeps it out of
/// a plain `go build` with `tags` (and cgo off, strata's default): a lone tag that such a build
/// does not set (`ignore`, `mage`, `tools`, `integration`, `cgo`, another OS). Expressions
/// (`linux && !arm`) are not evaluated: the file counts.
pub(super) fn left_out_by_constraint(source: &str, tags: &[String]) -> bool {
    let constraint = source
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("package "))
        .find_map(|line| {
            line.strip_prefix("//go:build ")
                .or_else(|| line.strip_prefix("// +build "))
        });
    let Some(tag) = constraint.map(str::trim) else {
        return false;
    };
    let lone = tag
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    let set_by_a_build = matches!(
        tag,
        "linux"
            | "unix"
            | "gc"
            | "amd64"
            | "arm64"
            | "arm"
            | "386"
            | "riscv64"
            | "ppc64le"
            | "s390x"
    ) || tag.starts_with("go1.")
        || tags.iter().any(|t| t == tag);
    lone && !set_by_a_build
}

/// The directory of a local package, when `import` belongs to one of the local modules (the
/// longest module path that prefixes it).
fn local_dir(import: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    modules
        .iter()
        .filter_map(|(module, dir)| {
            let rest = if import == module {
                ""
            } else {
                import.strip_prefix(module.as_str())?.strip_prefix('/')?
            };
            Some((module.len(), dir, rest))
        })
        .max_by_key(|(length, _, _)| *length)
        .map(|(_, dir, rest)| match (dir.as_str(), rest) {
            (dir, "") => dir.to_string(),
            (".", rest) => rest.to_string(),
            (dir, rest) => format!("{dir}/{rest}"),
        })
}

/// The lines of Go source without their comments, blank ones skipped.
fn code_lines(source: &str) -> impl Iterator<Item = String> {
    source
        .lines()
        .scan(false, |in_comment, raw| {
            let mut code = String::new();
            let mut rest = raw;
            loop {
                if *in_comment {
                    let Some(end) = rest.find("*/") else { break };
                    *in_comment = false;
                    rest = &rest[end + 2..];
                }
                let line_comment = rest.find("//");
                match rest.find("/*") {
                    Some(start) if line_comment.is_none_or(|l| start < l) => {
                        code.push_str(&rest[..start]);
                        code.push(' ');
                        *in_comment = true;
                        rest = &rest[start + 2..];
                    }
                    _ => {
                        code.push_str(&rest[..line_comment.unwrap_or(rest.len())]);
                        break;
                    }
                }
            }
            Some(code.trim().to_string())
        })
        .filter(|line| !line.is_empty())
}

/// The package a Go file declares, unless a build constraint keeps it out of a plain build
/// (`//go:build ignore`: a generator's `package main` beside a library's files).
pub(super) fn package_name(source: &str) -> Option<String> {
    if left_out_by_constraint(source, &[]) {
        return None;
    }
    let first = code_lines(source).next()?;
    Some(first.strip_prefix("package ")?.trim().to_string())
}

/// The import paths of a Go file: the `import` declarations after the package clause, in
/// both forms (`import "x"`, `import ( a "x"; _ "y" )`). `None` when the file does not read as
/// Go (no package clause).
fn imports(source: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut lines = code_lines(source);
    if !lines.next()?.starts_with("package ") {
        return None;
    }
    let mut in_block = false;
    for line in lines {
        if in_block {
            if line.starts_with(')') {
                in_block = false;
            } else {
                out.extend(quoted(&line));
            }
        } else if let Some(rest) = line.strip_prefix("import") {
            let rest = rest.trim();
            if rest.starts_with('(') {
                in_block = !rest.contains(')');
            }
            out.extend(quoted(rest));
        } else {
            // The first declaration that is not an import ends the imports.
            break;
        }
    }
    Some(out)
}

/// The string literal of an import spec (`alias "path"`, `"path"`).
fn quoted(spec: &str) -> Option<String> {
    let start = spec.find('"')? + 1;
    let end = start + spec[start..].find('"')?;
    Some(spec[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_read_in_both_forms_and_comments_are_skipped() {
        let source = "// Package main.\n/* a\n   block */\npackage main\n\n\
                      import \"fmt\"\nimport (\n\tgreet \"example.com/mono/libs/greeting\"\n\
                      \t_ \"embed\" // for templates\n\t/* \"not/an/import\" */\n)\n\n\
                      import \"os\"\n\nfunc main() { fmt.Println(\"import \\\"x\\\"\") }\n";
        assert_eq!(
            imports(source).unwrap(),
            ["fmt", "example.com/mono/libs/greeting", "embed", "os"]
        );
        assert_eq!(imports("not go at all"), None);
        assert_eq!(package_name(source).as_deref(), Some("main"));
        assert_eq!(
            package_name("/* c */ package web /* d */ // e\n").as_deref(),
            Some("web")
        );
        assert_eq!(
            package_name("//go:build ignore\n\n// Generates.\npackage main\n"),
            None
        );
        let tags = ["integration".to_string()];
        for (constraint, left_out) in [
            ("//go:build mage\n", true),
            ("//go:build cgo\n", true),
            ("//go:build integration\n", false),
            ("//go:build linux\n", false),
            ("//go:build linux && !arm\n", false),
            ("// just a comment\n", false),
        ] {
            let file = format!("{constraint}\npackage site\n");
            assert_eq!(
                left_out_by_constraint(&file, &tags),
                left_out,
                "{constraint}"
            );
        }
        assert_eq!(
            imports("package a; import (\"x\"; \"y\")").unwrap(),
            Vec::<String>::new(),
            "one-line package clauses with imports are not Go style; nothing is guessed"
        );
    }

    #[test]
    fn the_closure_follows_local_imports_across_modules_and_stops_at_foreign_ones() {
        let sources = BTreeMap::from([
            (
                "services/api/main.go",
                "package main\nimport (\n\"example.com/mono/libs/greeting\"\n\"github.com/google/uuid\"\n)\n",
            ),
            (
                "services/api/main_test.go",
                "package main\nimport \"example.com/mono/services/admin\"\n",
            ),
            (
                "services/admin/main.go",
                "package main\nimport \"example.com/mono/libs/greeting\"\n",
            ),
            (
                "libs/greeting/greeting.go",
                "package greeting\nimport \"example.com/tools/words\"\n",
            ),
            (
                "tools/words/words.go",
                "package words\nimport (\n\"strings\"\n\"C\"\n)\n",
            ),
            (
                "tools/words/words_windows.go",
                "package words\nimport \"golang.org/x/sys/windows\"\n",
            ),
            (
                "tools/words/words_linux_arm64.go",
                "package words\nimport \"golang.org/x/sys/unix\"\n",
            ),
        ]);
        let modules = BTreeMap::from([
            ("example.com/mono".to_string(), ".".to_string()),
            ("example.com/tools".to_string(), "tools".to_string()),
        ]);
        let closure = local_closure("services/api", &sources, &modules, &[]).unwrap();
        assert_eq!(
            closure.dirs.into_iter().collect::<Vec<_>>(),
            ["libs/greeting", "services/api", "tools/words"]
        );
        // Not the test's import, not cgo's C, not what only Windows compiles.
        assert_eq!(
            closure.external.into_iter().collect::<Vec<_>>(),
            ["github.com/google/uuid", "golang.org/x/sys/unix", "strings"]
        );
        let broken = BTreeMap::from([("services/api/main.go", "garbage")]);
        assert_eq!(local_closure("services/api", &broken, &modules, &[]), None);
    }
}
