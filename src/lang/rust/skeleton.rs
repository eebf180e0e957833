//! The cargo workspace as strata reads it from the context's manifests, and the skeleton it
//! generates from them: every local manifest with its version masked and its non-binary
//! targets dropped, a stub for every target cargo compiles, and Cargo.lock with the local
//! packages' versions masked. Compiling the skeleton compiles exactly the dependencies, and
//! the skeleton's bytes change only when the dependency graph does.

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobSetBuilder};
use toml::{Table, Value};

use crate::lang::context::join as in_dir;
use crate::lang::inputs::resolve;
use crate::plan::GeneratedFile;

/// The version every local package has in the skeleton: a version bump is not a dependency
/// change.
const MASKED_VERSION: &str = "0.0.0";
const STUB_MAIN: &str = "fn main() {}\n";
/// Target kinds `cargo build` never compiles; the skeleton drops them from its manifests so
/// their files need not exist.
const UNBUILT_TARGETS: [(&str, &str); 3] = [
    ("bench", "benches"),
    ("test", "tests"),
    ("example", "examples"),
];
const DEPENDENCY_TABLES: [&str; 5] = [
    "dependencies",
    "dev-dependencies",
    "dev_dependencies",
    "build-dependencies",
    "build_dependencies",
];

/// Why the workspace could not be read; `place` is the manifest (relative to the app directory)
/// and byte offset the problem is at, when a manifest is not valid TOML.
#[derive(Debug, PartialEq)]
pub struct ManifestError {
    pub message: String,
    pub place: Option<(String, usize)>,
}

impl From<String> for ManifestError {
    fn from(message: String) -> Self {
        ManifestError {
            message,
            place: None,
        }
    }
}

/// One local package: a workspace member or a path dependency inside the app directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub name: String,
    /// Relative to the app directory, `.` for the root.
    pub dir: String,
    /// Whether `cargo build --package` can name it (the root package or a workspace member).
    pub member: bool,
    /// Binary targets by name, with their source files relative to `dir`.
    pub bins: Vec<(String, String)>,
    pub default_run: Option<String>,
    pub lib: Option<String>,
    pub build_script: Option<String>,
    /// Files of the targets the skeleton drops (benches, tests, examples declared in the
    /// manifest): the real build still needs them for the manifest to load.
    pub declared_unbuilt: Vec<String>,
    manifest: Table,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    pub packages: Vec<Package>,
    /// The root manifest when it is a virtual workspace (no `[package]`).
    virtual_root: Option<Table>,
    /// The directories of `[workspace] default-members`: what a plain `cargo build` builds.
    default_members: Option<Vec<String>>,
}

/// `a/b/Cargo.toml` → `a/b`; `Cargo.toml` → `.`.
fn manifest_dir(path: &str) -> &str {
    path.strip_suffix("/Cargo.toml")
        .unwrap_or(if path == "Cargo.toml" { "." } else { path })
}

impl Workspace {
    /// The `rust-version` a package declares, or inherits from `[workspace.package]`.
    pub fn rust_version(&self, package: &Package) -> Option<String> {
        let field = package.manifest.get("package")?.get("rust-version")?;
        if let Some(version) = field.as_str() {
            return Some(version.to_string());
        }
        let root = self.virtual_root.as_ref().or_else(|| {
            self.packages
                .iter()
                .find(|p| p.dir == ".")
                .map(|p| &p.manifest)
        })?;
        let inherited = root.get("workspace")?.get("package")?.get("rust-version")?;
        inherited.as_str().map(str::to_string)
    }

    /// Reads the workspace rooted at `Cargo.toml`: the root package, the members its
    /// `[workspace]` names, and every path dependency they reach. `manifests` maps each listed
    /// `Cargo.toml` (relative to the app directory) to its text; `listed` holds every listed path.
    pub fn read(
        manifests: &BTreeMap<String, String>,
        listed: &BTreeSet<&str>,
    ) -> Result<Workspace, ManifestError> {
        let parse = |path: &str| -> Result<Table, ManifestError> {
            let text = manifests
                .get(path)
                .ok_or_else(|| format!("{path} is not in the build context"))?;
            toml::from_str(text).map_err(|e| ManifestError {
                message: format!("not valid TOML: {}", e.message().trim_end()),
                place: Some((path.to_string(), e.span().map_or(0, |span| span.start))),
            })
        };
        let root = parse("Cargo.toml")?;
        let mut pending: Vec<(String, bool)> = Vec::new();
        let mut default_members = None;
        if root.contains_key("package") {
            pending.push((".".to_string(), true));
        }
        if let Some(workspace) = root.get("workspace").and_then(Value::as_table) {
            for member in member_dirs(workspace, manifests, "members")? {
                pending.push((member, true));
            }
            if workspace.contains_key("default-members") {
                let mut defaults = member_dirs(workspace, manifests, "default-members")?;
                // `.` names the root package.
                if workspace
                    .get("default-members")
                    .and_then(Value::as_array)
                    .is_some_and(|d| d.iter().any(|m| m.as_str() == Some(".")))
                {
                    defaults.push(".".to_string());
                }
                default_members = Some(defaults);
            }
            collect_path_dependencies(".", workspace, "dependencies", &mut pending)?;
        }
        if pending.is_empty() {
            return Err("Cargo.toml has neither [package] nor [workspace]"
                .to_string()
                .into());
        }

        let mut packages: Vec<Package> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while let Some((dir, member)) = pending.pop() {
            if let Some(known) = packages.iter_mut().find(|p| p.dir == dir) {
                known.member |= member;
                continue;
            }
            if !seen.insert(dir.clone()) {
                continue;
            }
            let manifest = if dir == "." {
                root.clone()
            } else {
                parse(&in_dir(&dir, "Cargo.toml"))?
            };
            for table in dependency_tables(&manifest) {
                collect_path_dependencies(&dir, table, "", &mut pending)?;
            }
            packages.push(Package::read(dir, member, manifest, listed)?);
        }
        packages.sort_by(|a, b| a.dir.cmp(&b.dir));
        let virtual_root = (!root.contains_key("package")).then_some(root);
        Ok(Workspace {
            packages,
            virtual_root,
            default_members,
        })
    }

    pub fn members(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| p.member)
    }

    /// Whether a plain `cargo build` builds `package` (every member, without default-members).
    pub fn is_default_member(&self, package: &Package) -> bool {
        self.default_members
            .as_ref()
            .is_none_or(|dirs| dirs.contains(&package.dir))
    }

    /// The skeleton's files, relative to the app directory, in a fixed order: manifests and
    /// stubs by package directory, then Cargo.lock and the given extra files verbatim.
    pub fn skeleton(&self, lock: &str, verbatim: &[(String, String)]) -> Vec<GeneratedFile> {
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        if let Some(root) = &self.virtual_root {
            files.insert("Cargo.toml".to_string(), masked_manifest(root));
        }
        for package in &self.packages {
            let at = |path: &str| in_dir(&package.dir, path);
            files.insert(at("Cargo.toml"), masked_manifest(&package.manifest));
            if let Some(lib) = &package.lib {
                files.insert(at(lib), String::new());
            }
            for (_, path) in &package.bins {
                files.insert(at(path), STUB_MAIN.to_string());
            }
            if let Some(script) = &package.build_script {
                files.insert(at(script), STUB_MAIN.to_string());
            }
        }
        let local: BTreeSet<&str> = self.packages.iter().map(|p| p.name.as_str()).collect();
        files.insert("Cargo.lock".to_string(), masked_lockfile(lock, &local));
        for (path, contents) in verbatim {
            files.insert(path.clone(), contents.clone());
        }
        files
            .into_iter()
            .map(|(path, contents)| GeneratedFile { path, contents })
            .collect()
    }
}

impl Package {
    fn read(
        dir: String,
        member: bool,
        manifest: Table,
        listed: &BTreeSet<&str>,
    ) -> Result<Package, String> {
        let package = manifest
            .get("package")
            .and_then(Value::as_table)
            .ok_or_else(|| format!("{} has no [package]", in_dir(&dir, "Cargo.toml")))?;
        let name = package
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{} has no package name", in_dir(&dir, "Cargo.toml")))?
            .to_string();
        let exists = |path: &str| listed.contains(in_dir(&dir, path).as_str());
        let auto = |key: &str| package.get(key).and_then(Value::as_bool) != Some(false);

        let lib = match manifest.get("lib").and_then(Value::as_table) {
            Some(lib) => Some(
                lib.get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("src/lib.rs")
                    .to_string(),
            ),
            None => exists("src/lib.rs").then(|| "src/lib.rs".to_string()),
        };

        let mut bins: Vec<(String, String)> = Vec::new();
        for bin in array_of_tables(&manifest, "bin") {
            let Some(bin_name) = bin.get("name").and_then(Value::as_str) else {
                return Err(format!(
                    "a [[bin]] in {} has no name",
                    in_dir(&dir, "Cargo.toml")
                ));
            };
            let path = match bin.get("path").and_then(Value::as_str) {
                Some(path) => path.to_string(),
                None => {
                    let mut candidates = vec![
                        format!("src/bin/{bin_name}.rs"),
                        format!("src/bin/{bin_name}/main.rs"),
                    ];
                    if bin_name == name {
                        candidates.push("src/main.rs".to_string());
                    }
                    candidates
                        .iter()
                        .find(|c| exists(c))
                        .unwrap_or(&candidates[0])
                        .clone()
                }
            };
            bins.push((bin_name.to_string(), path));
        }
        if auto("autobins") {
            let mut discovered: Vec<(String, String)> = Vec::new();
            if exists("src/main.rs") {
                discovered.push((name.clone(), "src/main.rs".to_string()));
            }
            let bin_dir = in_dir(&dir, "src/bin/");
            for path in listed
                .iter()
                .filter_map(|p| p.strip_prefix(bin_dir.as_str()))
            {
                let bin_name = match path.split_once('/') {
                    Some((bin_name, "main.rs")) => bin_name,
                    None => match path.strip_suffix(".rs") {
                        Some(bin_name) => bin_name,
                        None => continue,
                    },
                    Some(_) => continue,
                };
                discovered.push((bin_name.to_string(), format!("src/bin/{path}")));
            }
            for (bin_name, path) in discovered {
                if !bins.iter().any(|(n, p)| *n == bin_name || *p == path) {
                    bins.push((bin_name, path));
                }
            }
        }

        let build_script = match package.get("build") {
            Some(Value::String(path)) => Some(path.clone()),
            Some(Value::Boolean(false)) => None,
            _ => exists("build.rs").then(|| "build.rs".to_string()),
        };

        let mut declared_unbuilt = Vec::new();
        for (kind, default_dir) in UNBUILT_TARGETS {
            for target in array_of_tables(&manifest, kind) {
                match (
                    target.get("path").and_then(Value::as_str),
                    target.get("name").and_then(Value::as_str),
                ) {
                    (Some(path), _) => declared_unbuilt.push(path.to_string()),
                    (None, Some(target_name)) => {
                        declared_unbuilt.push(format!("{default_dir}/{target_name}.rs"));
                        declared_unbuilt.push(format!("{default_dir}/{target_name}/main.rs"));
                    }
                    (None, None) => {}
                }
            }
        }

        Ok(Package {
            default_run: package
                .get("default-run")
                .and_then(Value::as_str)
                .map(str::to_string),
            name,
            dir,
            member,
            bins,
            lib,
            build_script,
            declared_unbuilt,
            manifest,
        })
    }
}

fn array_of_tables<'a>(manifest: &'a Table, key: &str) -> impl Iterator<Item = &'a Table> {
    manifest
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_table)
}

/// The directories `[workspace] members` names (globs allowed), minus `exclude`, among the
/// directories that hold a listed Cargo.toml.
fn member_dirs(
    workspace: &Table,
    manifests: &BTreeMap<String, String>,
    key: &str,
) -> Result<Vec<String>, String> {
    let strings = |key: &str| -> Vec<String> {
        workspace
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(|p| resolve(".", p))
            .collect()
    };
    let mut globs = GlobSetBuilder::new();
    for pattern in strings(key) {
        let glob = GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("workspace member `{pattern}`: {e}"))?;
        globs.add(glob);
    }
    let globs = globs.build().map_err(|e| e.to_string())?;
    let excluded = strings("exclude");
    Ok(manifests
        .keys()
        .map(|path| manifest_dir(path))
        .filter(|dir| *dir != "." && globs.is_match(dir))
        .filter(|dir| {
            !excluded
                .iter()
                .any(|e| *dir == e || dir.starts_with(&format!("{e}/")))
        })
        .map(str::to_string)
        .collect())
}

/// Every dependency table of a manifest, target-specific ones included.
fn dependency_tables(manifest: &Table) -> Vec<&Table> {
    let mut tables: Vec<&Table> = DEPENDENCY_TABLES
        .iter()
        .filter_map(|key| manifest.get(*key).and_then(Value::as_table))
        .collect();
    for target in manifest
        .get("target")
        .and_then(Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
        .filter_map(Value::as_table)
    {
        tables.extend(
            DEPENDENCY_TABLES
                .iter()
                .filter_map(|key| target.get(*key).and_then(Value::as_table)),
        );
    }
    tables
}

/// Queues the directories of `path = …` dependencies in `table[key]` (or `table` itself when
/// `key` is empty), resolved against `dir`.
fn collect_path_dependencies(
    dir: &str,
    table: &Table,
    key: &str,
    pending: &mut Vec<(String, bool)>,
) -> Result<(), String> {
    let deps = if key.is_empty() {
        Some(table)
    } else {
        table.get(key).and_then(Value::as_table)
    };
    for (name, spec) in deps.into_iter().flatten() {
        let Some(path) = spec.get("path").and_then(Value::as_str) else {
            continue;
        };
        let resolved = resolve(dir, path).ok_or_else(|| {
            format!(
                "path dependency `{name}` of {} (`{path}`) is outside the app directory",
                in_dir(dir, "Cargo.toml")
            )
        })?;
        pending.push((resolved, false));
    }
    Ok(())
}

/// The manifest as the skeleton has it: versions masked (its own, the workspace's, and the
/// requirements on local path dependencies, which would no longer match), and no bench, test
/// or example targets.
fn masked_manifest(manifest: &Table) -> String {
    let mut manifest = manifest.clone();
    for section in ["package", "workspace"] {
        let table = match manifest.get_mut(section).and_then(Value::as_table_mut) {
            Some(table) if section == "package" => Some(table),
            Some(workspace) => workspace.get_mut("package").and_then(Value::as_table_mut),
            None => None,
        };
        if let Some(table) = table {
            if matches!(table.get("version"), Some(Value::String(_))) {
                table.insert("version".into(), Value::String(MASKED_VERSION.into()));
            }
        }
    }
    for (kind, _) in UNBUILT_TARGETS {
        manifest.remove(kind);
    }
    for table in dependency_tables_mut(&mut manifest) {
        unpin_path_dependencies(table);
    }
    if let Some(deps) = manifest
        .get_mut("workspace")
        .and_then(|w| w.get_mut("dependencies"))
        .and_then(Value::as_table_mut)
    {
        unpin_path_dependencies(deps);
    }
    toml::to_string(&manifest).expect("a table read from TOML writes back as TOML")
}

fn dependency_tables_mut(manifest: &mut Table) -> Vec<&mut Table> {
    let mut tables = Vec::new();
    for (key, value) in manifest.iter_mut() {
        if DEPENDENCY_TABLES.contains(&key.as_str()) {
            tables.extend(value.as_table_mut());
        } else if key == "target" {
            for target in value
                .as_table_mut()
                .into_iter()
                .flat_map(|t| t.iter_mut().map(|(_, v)| v))
                .filter_map(Value::as_table_mut)
            {
                for (kind, deps) in target.iter_mut() {
                    if DEPENDENCY_TABLES.contains(&kind.as_str()) {
                        tables.extend(deps.as_table_mut());
                    }
                }
            }
        }
    }
    tables
}

fn unpin_path_dependencies(deps: &mut Table) {
    for spec in deps.iter_mut().filter_map(|(_, v)| v.as_table_mut()) {
        if spec.contains_key("path") {
            spec.remove("version");
        }
    }
}

/// Cargo.lock with the local packages at the masked version, edited as text: `--locked`
/// compares the file line by line with what cargo would write, so its layout must stay
/// cargo's own.
pub fn masked_lockfile(lock: &str, local: &BTreeSet<&str>) -> String {
    let mut out = String::with_capacity(lock.len());
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, out: &mut String| {
        let name = block
            .iter()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'));
        let is_local = name.is_some_and(|n| local.contains(n))
            && !block.iter().any(|l| l.starts_with("source = "));
        for line in block.drain(..) {
            if is_local && line.starts_with("version = ") {
                out.push_str(&format!("version = \"{MASKED_VERSION}\"\n"));
            } else {
                out.push_str(&masked_dependency_entry(line, local));
                out.push('\n');
            }
        }
    };
    for line in lock.lines() {
        if line == "[[package]]" {
            flush(&mut block, &mut out);
        }
        block.push(line);
    }
    flush(&mut block, &mut out);
    out
}

/// ` "name version",` names a version only when several are locked; a local one is masked.
fn masked_dependency_entry(line: &str, local: &BTreeSet<&str>) -> String {
    let entry = line.trim().trim_end_matches(',');
    if let Some(inner) = entry.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
        if let Some((name, _version)) = inner.split_once(' ') {
            if local.contains(name) && !inner.contains('(') {
                return line.replace(inner, &format!("{name} {MASKED_VERSION}"));
            }
        }
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(files: &[(&str, &str)]) -> Result<Workspace, ManifestError> {
        let manifests: BTreeMap<String, String> = files
            .iter()
            .filter(|(p, _)| p.ends_with("Cargo.toml"))
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let listed: BTreeSet<&str> = files.iter().map(|(p, _)| *p).collect();
        Workspace::read(&manifests, &listed)
    }

    fn file<'a>(files: &'a [GeneratedFile], path: &str) -> &'a str {
        &files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path} in the skeleton"))
            .contents
    }

    const APP: &str = "[package]\nname = \"app\"\nversion = \"1.2.3\"\nedition = \"2021\"\n\n\
        [dependencies]\nserde = \"1\"\nlocal-lib = { path = \"lib\", version = \"1.2.3\" }\n\n\
        [[bench]]\nname = \"speed\"\nharness = false\n";
    const LIB: &str = "[package]\nname = \"local-lib\"\nversion = \"1.2.3\"\n";
    const LOCK: &str = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"1.2.3\"\n\
        dependencies = [\n \"local-lib\",\n \"serde\",\n]\n\n[[package]]\nname = \"local-lib\"\n\
        version = \"1.2.3\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\n\
        source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

    #[test]
    fn versions_are_masked_in_manifests_requirements_and_the_lockfile() {
        let ws = workspace(&[
            ("Cargo.toml", APP),
            ("src/main.rs", ""),
            ("lib/Cargo.toml", LIB),
            ("lib/src/lib.rs", ""),
        ])
        .unwrap();
        let files = ws.skeleton(LOCK, &[]);
        let app: Table = toml::from_str(file(&files, "Cargo.toml")).unwrap();
        assert_eq!(app["package"]["version"].as_str(), Some("0.0.0"));
        assert_eq!(
            app["dependencies"]["local-lib"]
                .as_table()
                .unwrap()
                .get("version"),
            None,
            "a requirement on a masked path dependency would not match"
        );
        assert_eq!(app["dependencies"]["serde"].as_str(), Some("1"));
        let lib: Table = toml::from_str(file(&files, "lib/Cargo.toml")).unwrap();
        assert_eq!(lib["package"]["version"].as_str(), Some("0.0.0"));
        let lock = file(&files, "Cargo.lock");
        assert!(
            lock.contains("name = \"app\"\nversion = \"0.0.0\""),
            "{lock}"
        );
        assert!(lock.contains("name = \"local-lib\"\nversion = \"0.0.0\""));
        assert!(lock.contains("name = \"serde\"\nversion = \"1.0.200\""));
        assert_eq!(lock.lines().count(), LOCK.lines().count());
    }

    #[test]
    fn a_version_bump_leaves_the_skeleton_byte_identical() {
        let files = |version: &str| {
            let app = APP.replace("1.2.3", version);
            let lock = LOCK.replace("1.2.3", version);
            workspace(&[
                ("Cargo.toml", &app),
                ("src/main.rs", ""),
                ("lib/Cargo.toml", LIB),
            ])
            .unwrap()
            .skeleton(&lock, &[])
        };
        assert_eq!(files("1.2.3"), files("2.0.0"));
    }

    #[test]
    fn targets_are_stubbed_and_unbuilt_ones_dropped() {
        let ws = workspace(&[
            (
                "Cargo.toml",
                &format!("{APP}\n[[bin]]\nname = \"tool\"\npath = \"tools/tool.rs\"\n"),
            ),
            ("src/main.rs", ""),
            ("src/bin/extra.rs", ""),
            ("src/bin/multi/main.rs", ""),
            ("src/bin/multi/helper.rs", ""),
            ("build.rs", ""),
            ("benches/speed.rs", ""),
            ("lib/Cargo.toml", LIB),
            ("lib/src/lib.rs", ""),
        ])
        .unwrap();
        let app = &ws.packages[0];
        assert_eq!(
            app.bins,
            [
                ("tool".to_string(), "tools/tool.rs".to_string()),
                ("app".to_string(), "src/main.rs".to_string()),
                ("extra".to_string(), "src/bin/extra.rs".to_string()),
                ("multi".to_string(), "src/bin/multi/main.rs".to_string()),
            ]
        );
        assert_eq!(
            app.declared_unbuilt,
            ["benches/speed.rs", "benches/speed/main.rs"]
        );
        let files = ws.skeleton(LOCK, &[]);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "Cargo.lock",
                "Cargo.toml",
                "build.rs",
                "lib/Cargo.toml",
                "lib/src/lib.rs",
                "src/bin/extra.rs",
                "src/bin/multi/main.rs",
                "src/main.rs",
                "tools/tool.rs",
            ]
        );
        assert_eq!(file(&files, "build.rs"), STUB_MAIN);
        assert_eq!(file(&files, "lib/src/lib.rs"), "");
        assert!(!file(&files, "Cargo.toml").contains("bench"));
    }

    #[test]
    fn a_virtual_workspace_finds_members_by_glob_and_honours_exclude() {
        let root = "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"crates/old\"]\n\
            [workspace.package]\nversion = \"3.1.0\"\n";
        let member =
            |name: &str| format!("[package]\nname = \"{name}\"\nversion.workspace = true\n");
        let ws = workspace(&[
            ("Cargo.toml", root),
            ("crates/a/Cargo.toml", &member("a")),
            ("crates/a/src/lib.rs", ""),
            ("crates/b/Cargo.toml", &member("b")),
            ("crates/b/src/main.rs", ""),
            ("crates/old/Cargo.toml", &member("old")),
            ("fuzz/Cargo.toml", &member("fuzz")),
        ])
        .unwrap();
        let names: Vec<&str> = ws.members().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let files = ws.skeleton("version = 4\n", &[]);
        let root: Table = toml::from_str(file(&files, "Cargo.toml")).unwrap();
        assert_eq!(
            root["workspace"]["package"]["version"].as_str(),
            Some("0.0.0")
        );
        assert!(files.iter().all(|f| !f.path.starts_with("fuzz/")));
    }

    #[test]
    fn path_dependencies_outside_the_app_directory_are_refused() {
        let app = "[package]\nname = \"app\"\n[dependencies]\nx = { path = \"../x\" }\n";
        let err = workspace(&[("Cargo.toml", app), ("src/main.rs", "")]).unwrap_err();
        assert!(err.message.contains("outside the app directory"), "{err:?}");
    }

    #[test]
    fn a_manifest_that_is_not_toml_is_reported_at_its_place() {
        let member = "[package]\nname = \"lib\"\nversion = 1.0.0\n";
        let err = workspace(&[
            ("Cargo.toml", "[workspace]\nmembers = [\"lib\"]\n"),
            ("lib/Cargo.toml", member),
        ])
        .unwrap_err();
        assert!(err.message.starts_with("not valid TOML"), "{err:?}");
        let (manifest, offset) = err.place.expect("a place in the manifest");
        assert_eq!(manifest, "lib/Cargo.toml");
        let at = crate::spec::Location::of_offset(member, offset);
        assert_eq!(at.line, 3, "the `version = 1.0.0` line");
    }

    #[test]
    fn ambiguous_lock_entries_of_local_packages_are_masked_too() {
        let local = BTreeSet::from(["app"]);
        assert_eq!(
            masked_dependency_entry(" \"app 1.0.0\",", &local),
            " \"app 0.0.0\","
        );
        assert_eq!(
            masked_dependency_entry(" \"app 1.0.0 (registry+https://x)\",", &local),
            " \"app 1.0.0 (registry+https://x)\","
        );
        assert_eq!(
            masked_dependency_entry(" \"serde 1.0.0\",", &local),
            " \"serde 1.0.0\","
        );
    }
}
