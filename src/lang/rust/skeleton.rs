//! The cargo workspace as strata reads it from the context's manifests, and the skeleton it
//! generates from them: every local manifest with its version masked and its non-binary
//! targets dropped, a stub for every target cargo compiles, and Cargo.lock with the local
//! packages' versions masked. Compiling the skeleton compiles exactly the dependencies, and
//! the skeleton's bytes change only when the dependency graph does.

use std::collections::{BTreeMap, BTreeSet};

use toml::Table;

use crate::lang::context::join as in_dir;
use crate::plan::GeneratedFile;

mod masking;
mod read;

use masking::{masked_lockfile, masked_manifest};

const STUB_MAIN: &str = "fn main() {}\n";
/// Where a package without a library gets an empty one in the skeleton: building a library
/// compiles the package's dependencies as its binaries need them and links nothing, where a
/// stub binary would be linked (with the release profile's LTO) only to be thrown away.
const STUB_LIB: &str = "src/lib.rs";
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

impl Package {
    /// Whether `cargo build --lib` on the skeleton compiles the dependencies exactly as the
    /// package's binaries use them: not when its library is a proc macro (compiled for the
    /// build host) or a crate type that links (a cdylib would be linked as the binary is).
    pub fn lib_compiles_like_its_bins(&self) -> bool {
        let Some(lib) = self.manifest.get("lib").and_then(toml::Value::as_table) else {
            return true;
        };
        let flag = |key: &str| lib.get(key).and_then(toml::Value::as_bool) == Some(true);
        let crate_types = lib
            .get("crate-type")
            .or_else(|| lib.get("crate_type"))
            .and_then(toml::Value::as_array);
        !flag("proc-macro")
            && !flag("proc_macro")
            && crate_types.is_none_or(|types| {
                types
                    .iter()
                    .all(|t| matches!(t.as_str(), Some("lib" | "rlib")))
            })
    }
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

    pub fn members(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| p.member)
    }

    /// Whether a plain `cargo build` builds `package` (every member, without default-members).
    pub fn is_default_member(&self, package: &Package) -> bool {
        match &self.default_members {
            Some(dirs) => dirs.contains(&package.dir),
            // Cargo's own default: a workspace whose root is a package builds that package
            // (`members = [".", "crates/*"]`: the crates are its helpers); a virtual one
            // builds every member.
            None => self.virtual_root.is_some() || package.dir == ".",
        }
    }

    /// The skeleton's files, relative to the app directory, in a fixed order: manifests and
    /// stubs by package directory, then Cargo.lock and the given extra files verbatim.
    pub fn skeleton(&self, lock: &str, verbatim: &[(String, String)]) -> Vec<GeneratedFile> {
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        if let Some(root) = &self.virtual_root {
            files.insert("Cargo.toml".to_string(), masked_manifest(root, None));
        }
        for package in &self.packages {
            let at = |path: &str| in_dir(&package.dir, path);
            files.insert(
                at("Cargo.toml"),
                masked_manifest(&package.manifest, package.lib.is_none().then_some(STUB_LIB)),
            );
            files.insert(
                at(package.lib.as_deref().unwrap_or(STUB_LIB)),
                String::new(),
            );
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

#[cfg(test)]
mod tests {
    use super::read::ManifestError;
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
                "src/lib.rs",
                "src/main.rs",
                "tools/tool.rs",
            ]
        );
        assert_eq!(file(&files, "build.rs"), STUB_MAIN);
        assert_eq!(file(&files, "lib/src/lib.rs"), "");
        assert_eq!(
            file(&files, "src/lib.rs"),
            "",
            "a library for a bin-only package"
        );
        let app: Table = toml::from_str(file(&files, "Cargo.toml")).unwrap();
        assert_eq!(app["lib"]["path"].as_str(), Some(STUB_LIB));
        assert!(!file(&files, "Cargo.toml").contains("bench"));
        let lib: Table = toml::from_str(file(&files, "lib/Cargo.toml")).unwrap();
        assert!(lib.get("lib").is_none(), "its own library is kept as it is");
    }

    #[test]
    fn only_a_plain_library_compiles_the_dependencies_as_the_binaries_do() {
        let with_lib = |lib: &str| {
            let manifest = format!("[package]\nname = \"app\"\n[lib]\n{lib}\n");
            let ws = workspace(&[("Cargo.toml", &manifest), ("src/main.rs", "")]).unwrap();
            ws.packages[0].lib_compiles_like_its_bins()
        };
        assert!(with_lib("path = \"src/lib.rs\""));
        assert!(with_lib("crate-type = [\"rlib\"]"));
        assert!(!with_lib("proc-macro = true"));
        assert!(!with_lib("crate-type = [\"cdylib\", \"rlib\"]"));
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
}
