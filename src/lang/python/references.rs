//! The files a Python project's packaging reads besides its code, from where each build backend
//! is told about them: pyproject.toml's standard and tool tables (hatchling, setuptools,
//! poetry-core), setup.cfg, MANIFEST.in, and the file names setup.py spells out. A readme or a
//! license named there must reach the project install, or the backend fails.

use toml::{Table, Value};

use crate::lang::context::join;
use crate::lang::inputs::{Reference, resolve_inside};

/// Every reference the project's packaging files make. `read` gives a file's text by path
/// relative to the app directory; `listed` is the app directory's listing.
pub(super) fn packaging_references(
    read: impl Fn(&str) -> Option<String>,
    listed: &[&str],
) -> Vec<Reference> {
    let mut out = Vec::new();
    if let Some(doc) = read("pyproject.toml").and_then(|t| toml::from_str::<Table>(&t).ok()) {
        out.extend(pyproject(&doc, listed));
    }
    if let Some(text) = read("setup.cfg") {
        out.extend(setup_cfg(&text, listed));
    }
    if let Some(text) = read("MANIFEST.in") {
        out.extend(manifest_in(&text));
    }
    if let Some(text) = read("setup.py") {
        out.extend(string_literals(&text).filter_map(|literal| {
            let path = resolve_inside(".", &literal)?;
            listed
                .contains(&path.as_str())
                .then(|| Reference::path(path, format!("named in setup.py (\"{literal}\")")))
        }));
    }
    out
}

/// A path or pattern relative to the project, as a reference (`None` if it leaves the project).
fn named(pattern: &str, why: String) -> Option<Reference> {
    let path = resolve_inside(".", pattern)?;
    Some(if path.contains(['*', '?', '[']) {
        Reference::glob(path, why)
    } else {
        Reference::path(path, why)
    })
}

fn get<'a>(table: &'a Table, dotted: &str) -> Option<&'a Value> {
    let mut parts = dotted.split('.');
    let mut value = table.get(parts.next()?)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

/// Strings of a value that is a string, a list of strings, or a table with one of `keys`
/// holding either.
fn strings_of(value: &Value, keys: &[&str]) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .flat_map(|item| strings_of(item, keys))
            .collect(),
        Value::Table(t) => keys
            .iter()
            .filter_map(|k| t.get(*k))
            .flat_map(|v| strings_of(v, keys))
            .collect(),
        _ => Vec::new(),
    }
}

fn pyproject(doc: &Table, listed: &[&str]) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut add = |key: &str, keys: &[&str]| {
        for path in get(doc, key)
            .map(|v| strings_of(v, keys))
            .unwrap_or_default()
        {
            out.extend(named(&path, format!("named by pyproject.toml `{key}`")));
        }
    };
    // PEP 621 / PEP 639, which every modern backend reads.
    add("project.readme", &["file"]);
    if let Some(Value::Table(_)) = get(doc, "project.license") {
        add("project.license", &["file"]);
    }
    add("project.license-files", &["paths", "globs"]);
    // Poetry's own table (poetry-core).
    add("tool.poetry.readme", &[]);
    add("tool.poetry.include", &["path"]);
    // hatchling.
    add("tool.hatch.version.path", &[]);
    add(
        "tool.hatch.metadata.hooks.fancy-pypi-readme.fragments",
        &["path"],
    );
    out.extend(hatch_force_include(doc));
    out.extend(setuptools_tables(doc, listed));
    out
}

/// The sources of hatch's `force-include`, for every build target.
fn hatch_force_include(doc: &Table) -> Vec<Reference> {
    let targets = get(doc, "tool.hatch.build.targets").and_then(Value::as_table);
    get(doc, "tool.hatch.build")
        .and_then(Value::as_table)
        .into_iter()
        .chain(
            targets
                .into_iter()
                .flat_map(|t| t.values().filter_map(Value::as_table)),
        )
        .filter_map(|table| table.get("force-include").and_then(Value::as_table))
        .flat_map(|sources| sources.keys())
        .filter_map(|path| named(path, "named by hatch `force-include`".to_string()))
        .collect()
}

/// setuptools' `dynamic` files, `data-files` and `package-data`.
fn setuptools_tables(doc: &Table, listed: &[&str]) -> Vec<Reference> {
    let mut out = Vec::new();
    if let Some(Value::Table(dynamic)) = get(doc, "tool.setuptools.dynamic") {
        for (field, value) in dynamic {
            let why = format!("named by pyproject.toml `tool.setuptools.dynamic.{field}`");
            let files = value.as_table().and_then(|t| t.get("file"));
            for path in files.map(|v| strings_of(v, &[])).unwrap_or_default() {
                out.extend(named(&path, why.clone()));
            }
        }
    }
    if let Some(Value::Table(data)) = get(doc, "tool.setuptools.data-files") {
        let why = "named by pyproject.toml `tool.setuptools.data-files`";
        for pattern in data.values().flat_map(|v| strings_of(v, &[])) {
            out.extend(named(&pattern, why.to_string()));
        }
    }
    if let Some(Value::Table(data)) = get(doc, "tool.setuptools.package-data") {
        let why = "named by pyproject.toml `tool.setuptools.package-data`";
        for (package, patterns) in data {
            let Some(package_dir) = package_dir(package, listed) else {
                continue;
            };
            for pattern in strings_of(patterns, &[]) {
                out.extend(named(&join(&package_dir, &pattern), why.to_string()));
            }
        }
    }
    out
}

/// Where a dotted package name lives: `src/<path>` or `<path>`, whichever is listed.
fn package_dir(package: &str, listed: &[&str]) -> Option<String> {
    let path = package.replace('.', "/");
    [format!("src/{path}"), path].into_iter().find(|dir| {
        listed.iter().any(|p| {
            p.strip_prefix(dir.as_str())
                .is_some_and(|r| r.starts_with('/'))
        })
    })
}

/// setup.cfg's `file:` directives, `license_files`, and its package and data files.
fn setup_cfg(text: &str, listed: &[&str]) -> Vec<Reference> {
    let mut out = Vec::new();
    for (section, key, value) in ini_entries(text) {
        let why = format!("named by setup.cfg `[{section}] {key}`");
        let words = || {
            value
                .split([',', '\n'])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        match (section.as_str(), key.as_str()) {
            (_, _) if value.trim_start().starts_with("file:") => {
                let files = value.trim_start().trim_start_matches("file:");
                for path in files.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    out.extend(named(path, why.clone()));
                }
            }
            ("metadata", "license_files" | "license_file") | ("options.data_files", _) => {
                out.extend(words().iter().filter_map(|p| named(p, why.clone())));
            }
            ("options.package_data", package) => {
                let Some(dir) = package_dir(package, listed) else {
                    continue;
                };
                out.extend(
                    words()
                        .iter()
                        .filter_map(|p| named(&join(&dir, p), why.clone())),
                );
            }
            _ => {}
        }
    }
    out
}

/// `(section, key, value)` of an INI file, continuation lines joined with `\n`.
fn ini_entries(text: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.trim().to_string();
        } else if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.2.push('\n');
                last.2.push_str(trimmed);
            }
        } else if let Some((key, value)) = trimmed.split_once(['=', ':']) {
            out.push((
                section.clone(),
                key.trim().to_string(),
                value.trim().to_string(),
            ));
        }
    }
    out
}

/// MANIFEST.in's inclusions (`include`, `graft`, `recursive-include`): what setuptools puts in
/// the sdist and, with `include_package_data`, in the wheel.
fn manifest_in(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let why = || "named by MANIFEST.in".to_string();
        match words.next() {
            Some("include") => out.extend(words.filter_map(|w| named(w, why()))),
            Some("graft") => out.extend(words.filter_map(|w| named(w, why()))),
            Some("recursive-include") => {
                if let Some(dir) = words.next() {
                    for pattern in words {
                        out.extend(named(&format!("{dir}/**/{pattern}"), why()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The contents of the simple string literals in Python source (`"…"`, `'…'`, no escapes).
fn string_literals(source: &str) -> impl Iterator<Item = String> + '_ {
    source.lines().flat_map(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut out = Vec::new();
        let mut rest = line;
        while let Some(start) = rest.find(['"', '\'']) {
            let quote = rest[start..].chars().next().unwrap_or('"');
            let body = &rest[start + 1..];
            let Some(end) = body.find(quote) else {
                break;
            };
            let literal = &body[..end];
            if !literal.contains('\\') && !literal.is_empty() {
                out.push(literal.to_string());
            }
            rest = &body[end + 1..];
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(refs: &[Reference]) -> Vec<&str> {
        refs.iter().map(|r| r.path.as_str()).collect()
    }

    #[test]
    fn pyproject_readme_license_and_backend_tables_are_references() {
        let doc: Table = toml::from_str(
            "[project]\nreadme = \"README.md\"\nlicense = {file = \"LICENSE.txt\"}\n\
             license-files = [\"LICENSES/*\"]\n\
             [tool.hatch.version]\npath = \"src/svc/__about__.py\"\n\
             [tool.hatch.build.targets.wheel.force-include]\n\"data/seed.json\" = \"svc/seed.json\"\n\
             [tool.setuptools.dynamic]\nversion = {file = \"VERSION\"}\nreadme = {file = [\"README.rst\", \"CHANGES.rst\"]}\n\
             [tool.setuptools.package-data]\nsvc = [\"templates/*.html\"]\n",
        )
        .unwrap();
        let refs = pyproject(&doc, &["src/svc/__init__.py"]);
        assert_eq!(
            paths(&refs),
            [
                "README.md",
                "LICENSE.txt",
                "LICENSES/*",
                "src/svc/__about__.py",
                "data/seed.json",
                "VERSION",
                "README.rst",
                "CHANGES.rst",
                "src/svc/templates/*.html",
            ]
        );
        assert_eq!(refs[0].why, "named by pyproject.toml `project.readme`");
        assert!(refs[2].glob);
        let table_readme: Table = toml::from_str(
            "[project]\nreadme = {file = \"docs/intro.md\", content-type = \"text/markdown\"}\n\
                            [tool.poetry]\nreadme = [\"README.md\", \"HISTORY.md\"]\n",
        )
        .unwrap();
        assert_eq!(
            paths(&pyproject(&table_readme, &[])),
            ["docs/intro.md", "README.md", "HISTORY.md"]
        );
    }

    #[test]
    fn setup_cfg_manifest_in_and_setup_py_name_files() {
        let cfg = "[metadata]\nname = svc\nlong_description = file: README.md, CHANGELOG.md\n\
                   license_files =\n    LICENSE\n    NOTICE\n[options.package_data]\nsvc = *.json\n";
        assert_eq!(
            paths(&setup_cfg(cfg, &["svc/__init__.py"])),
            [
                "README.md",
                "CHANGELOG.md",
                "LICENSE",
                "NOTICE",
                "svc/*.json"
            ]
        );
        let manifest = "include README.rst LICENSE\nrecursive-include svc/templates *.html\n\
                        graft svc/static\nprune docs\nexclude secret.txt\n";
        assert_eq!(
            paths(&manifest_in(manifest)),
            [
                "README.rst",
                "LICENSE",
                "svc/templates/**/*.html",
                "svc/static"
            ]
        );
        let setup_py = "from pathlib import Path\nlong = Path(\"README.md\").read_text()  # 'ignored'\n\
                        setup(name='svc', version=open('VERSION').read())\n";
        let refs = packaging_references(
            |p| (p == "setup.py").then(|| setup_py.to_string()),
            &["README.md", "VERSION", "setup.py"],
        );
        assert_eq!(paths(&refs), ["README.md", "VERSION"]);
    }
}
