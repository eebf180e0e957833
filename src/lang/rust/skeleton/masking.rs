//! Masking: what makes the skeleton's bytes change only when the dependency graph does (the
//! local packages' versions, in their manifests, in requirements on them and in Cargo.lock).

use std::collections::BTreeSet;

use toml::{Table, Value};

use super::{DEPENDENCY_TABLES, UNBUILT_TARGETS};

/// The version every local package has in the skeleton: a version bump is not a dependency
/// change.
const MASKED_VERSION: &str = "0.0.0";

/// The manifest as the skeleton has it: versions masked (its own, the workspace's, and the
/// requirements on local path dependencies, which would no longer match), and no bench, test
/// or example targets; with `added_lib`, a library at that path.
pub(super) fn masked_manifest(manifest: &Table, added_lib: Option<&str>) -> String {
    let mut manifest = manifest.clone();
    if let Some(path) = added_lib {
        let lib = Table::from_iter([("path".to_string(), Value::String(path.to_string()))]);
        manifest.insert("lib".into(), Value::Table(lib));
    }
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
pub(super) fn masked_lockfile(lock: &str, local: &BTreeSet<&str>) -> String {
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
