//! Reading the workspace from its manifests: the root, its members (globs, `exclude`,
//! `default-members`) and every path dependency they reach, with each package's targets.

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobSetBuilder};
use toml::{Table, Value};

use super::{DEPENDENCY_TABLES, Package, UNBUILT_TARGETS, Workspace, manifest_dir};
use crate::lang::context::join as in_dir;
use crate::lang::inputs::resolve;

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

impl Workspace {
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
