//! Which toolchain each project builds with (#16): every version file strata reads, alone and
//! together, the image it leads to, and the errors when the files disagree with each other or
//! with `images.builder`.

mod support;

use strata::plan::{Base, Plan, StageName};
use support::Workspace;

/// Plans a project made of `files`, with `spec` as its strata.yaml.
fn plan(spec: &str, files: &[(&str, &str)]) -> Result<Plan, String> {
    let ws = Workspace::empty("toolchains");
    ws.write("strata.yaml", spec);
    for (path, text) in files {
        ws.write(path, text);
    }
    strata::pipeline::plan_directory(&ws.dir, &ws.path("strata.yaml"), &Default::default())
        .map_err(|e| e.to_string())
}

fn builder(plan: &Plan) -> &str {
    match &plan.stage(StageName::Deps).unwrap().base {
        Base::Image { reference } => reference,
        other => panic!("the deps stage starts from {other:?}"),
    }
}

fn runtime(plan: &Plan) -> &str {
    match &plan.stage(StageName::Runtime).unwrap().base {
        Base::Image { reference } => reference,
        other => panic!("the runtime starts from {other:?}"),
    }
}

/// The toolchain's version, and what chose it.
fn chosen(plan: &Plan) -> (String, String) {
    let toolchain = plan.toolchain.as_ref().expect("a toolchain");
    (toolchain.version.clone(), toolchain.chosen_by.clone())
}

const GO: &str = "version: 1\nlanguage: go\n";
const MAIN_GO: &str = "package main\n\nfunc main() {}\n";

fn go_project(go_mod: &str) -> Result<Plan, String> {
    plan(GO, &[("go.mod", go_mod), ("main.go", MAIN_GO)])
}

#[test]
fn go_builds_with_the_newest_of_its_go_and_toolchain_lines_and_the_default() {
    let old = go_project("module example.com/app\n\ngo 1.22\n").unwrap();
    assert_eq!(builder(&old), "golang:1.27-trixie");
    assert_eq!(chosen(&old).1, "the default, which go.mod `go 1.22` allows");

    let newer = go_project("module example.com/app\n\ngo 1.28.1\n").unwrap();
    assert_eq!(builder(&newer), "golang:1.28-trixie");
    assert_eq!(chosen(&newer), ("1.28".into(), "go.mod `go 1.28.1`".into()));

    let toolchain =
        go_project("module example.com/app\n\ngo 1.23\n\ntoolchain go1.29.3\n").unwrap();
    assert_eq!(builder(&toolchain), "golang:1.29-trixie");
    assert_eq!(chosen(&toolchain).1, "go.mod `toolchain go1.29.3`");
}

const PYTHON: &str = "version: 1\nlanguage: python\n";

fn python_project(extra: &[(&str, &str)]) -> Result<Plan, String> {
    let mut files = vec![
        ("requirements.txt", "humanize==4.12.3\n"),
        ("app.py", "print(1)\n"),
    ];
    files.extend_from_slice(extra);
    plan(PYTHON, &files)
}

fn pyproject(requires: &str) -> String {
    format!("[project]\nname = \"app\"\nversion = \"1\"\nrequires-python = \"{requires}\"\n")
}

#[test]
fn python_is_the_pinned_version_or_the_nearest_one_the_project_allows() {
    let default = python_project(&[]).unwrap();
    assert_eq!(
        builder(&default),
        "ghcr.io/astral-sh/uv:python3.14-trixie-slim"
    );
    assert_eq!(
        chosen(&default).1,
        "the default: the project names no version"
    );

    for pin in ["3.12", "3.12.7", "cpython-3.12.7", "cpython@3.12"] {
        let pinned = python_project(&[(".python-version", &format!("{pin}\n"))]).unwrap();
        assert_eq!(
            builder(&pinned),
            "ghcr.io/astral-sh/uv:python3.12-trixie-slim",
            "{pin}"
        );
        // The venv's interpreter must be the runtime's.
        assert_eq!(runtime(&pinned), "python:3.12-slim-trixie", "{pin}");
        assert_eq!(chosen(&pinned).1, format!(".python-version `{pin}`"));
    }

    let newer = python_project(&[("pyproject.toml", &pyproject(">=3.15,<4.0"))]).unwrap();
    assert_eq!(runtime(&newer), "python:3.15-slim-trixie");
    assert_eq!(
        chosen(&newer).1,
        "pyproject.toml `requires-python = \">=3.15,<4.0\"`"
    );
    let older = python_project(&[("pyproject.toml", &pyproject(">=3.9,<3.12"))]).unwrap();
    assert_eq!(chosen(&older).0, "3.11");

    let poetry =
        "[tool.poetry]\nname = \"app\"\n\n[tool.poetry.dependencies]\npython = \"^3.10\"\n";
    let caret = python_project(&[("pyproject.toml", poetry)]).unwrap();
    assert_eq!(chosen(&caret).0, "3.14", "^3.10 allows the default");

    let both = python_project(&[
        (".python-version", "3.14\n"),
        ("pyproject.toml", &pyproject(">=3.11")),
    ])
    .unwrap();
    assert_eq!(chosen(&both).0, "3.14");
}

#[test]
fn python_version_files_that_disagree_are_an_error_naming_both() {
    let error = python_project(&[
        (".python-version", "3.12\n"),
        ("pyproject.toml", &pyproject(">=3.13")),
    ])
    .unwrap_err();
    assert!(
        error.contains(".python-version `3.12` pins 3.12"),
        "{error}"
    );
    assert!(
        error.contains("requires-python = \">=3.13\"` rules it out"),
        "{error}"
    );
    let unreadable =
        python_project(&[("pyproject.toml", &pyproject("3.12 or newer"))]).unwrap_err();
    assert!(unreadable.contains("requires-python"), "{unreadable}");
}

const NODE: &str = "version: 1\nlanguage: node\n";

fn node_project(package: &str, extra: &[(&str, &str)]) -> Result<Plan, String> {
    let mut files = vec![("package.json", package), ("server.js", "console.log(1)\n")];
    files.extend_from_slice(extra);
    plan(NODE, &files)
}

const SERVER: &str = r#"{"name": "app", "main": "server.js"}"#;

#[test]
fn node_is_the_major_nvmrc_pins_or_the_nearest_engines_allows() {
    for (file, written, major) in [
        (".nvmrc", "24", "24"),
        (".nvmrc", "v22.11.0", "22"),
        (".nvmrc", "lts/iron", "20"),
        (".node-version", "24.1.0", "24"),
    ] {
        let pinned = node_project(SERVER, &[(file, &format!("{written}\n"))]).unwrap();
        let image = format!("node:{major}-trixie-slim");
        assert_eq!(builder(&pinned), image, "{file} {written}");
        assert_eq!(runtime(&pinned), image, "{file} {written}");
        assert_eq!(chosen(&pinned).1, format!("{file} `{written}`"));
    }
    let latest = node_project(SERVER, &[(".nvmrc", "lts/*\n")]).unwrap();
    assert_eq!(
        chosen(&latest).1,
        "the default: the project names no version"
    );

    let engines = |range: &str| {
        format!(r#"{{"name": "app", "main": "server.js", "engines": {{"node": "{range}"}}}}"#)
    };
    let newer = node_project(&engines(">=26"), &[]).unwrap();
    assert_eq!(builder(&newer), "node:26-trixie-slim");
    let allowed = node_project(&engines(">=22"), &[]).unwrap();
    assert_eq!(
        chosen(&allowed),
        (
            "24".into(),
            "the default, which package.json `\"engines\": {\"node\": \">=22\"}` allows".into()
        )
    );
    let either = node_project(&engines("^18 || ^20"), &[]).unwrap();
    assert_eq!(chosen(&either).0, "20");
    let both = node_project(&engines(">=22"), &[(".nvmrc", "24\n")]).unwrap();
    assert_eq!(chosen(&both).0, "24");

    let error = node_project(&engines(">=22"), &[(".nvmrc", "20\n")]).unwrap_err();
    assert!(error.contains(".nvmrc `20` pins 20"), "{error}");
    assert!(error.contains("rules it out"), "{error}");
    let error = node_project(SERVER, &[(".nvmrc", "20\n"), (".node-version", "22\n")]).unwrap_err();
    assert!(
        error.contains(".nvmrc `20` pins 20, and .node-version `22` pins 22"),
        "{error}"
    );
}

const RUST: &str = "version: 1\nlanguage: rust\n";
const LOCK: &str = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n";

fn rust_project(
    spec: &str,
    rust_version: Option<&str>,
    extra: &[(&str, &str)],
) -> Result<Plan, String> {
    let manifest = format!(
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{}",
        rust_version.map_or(String::new(), |v| format!("rust-version = \"{v}\"\n"))
    );
    let mut files = vec![
        ("Cargo.toml", manifest.as_str()),
        ("Cargo.lock", LOCK),
        ("src/main.rs", "fn main() {}\n"),
    ];
    files.extend_from_slice(extra);
    plan(spec, &files)
}

#[test]
fn rust_is_the_toolchain_file_channel_or_at_least_the_rust_version() {
    let default = rust_project(RUST, Some("1.80"), &[]).unwrap();
    assert_eq!(builder(&default), "rust:1.97-slim-trixie");
    let newer = rust_project(RUST, Some("1.98"), &[]).unwrap();
    assert_eq!(builder(&newer), "rust:1.98-slim-trixie");
    assert_eq!(chosen(&newer).1, "Cargo.toml `rust-version = \"1.98\"`");

    let toml = "[toolchain]\nchannel = \"1.90.0\"\ncomponents = [\"clippy\"]\n";
    let pinned = rust_project(RUST, Some("1.88"), &[("rust-toolchain.toml", toml)]).unwrap();
    assert_eq!(builder(&pinned), "rust:1.90-slim-trixie");
    // rustup in the official image would try to download what the file names.
    let sources = pinned.sources().unwrap();
    let seen = sources
        .pick(&pinned.excluded, ["rust-toolchain.toml", "src/main.rs"])
        .unwrap();
    assert_eq!(seen, ["src/main.rs"]);
    let legacy = rust_project(RUST, None, &[("rust-toolchain", "1.89\n")]).unwrap();
    assert_eq!(
        chosen(&legacy),
        ("1.89".into(), "rust-toolchain `channel = \"1.89\"`".into())
    );

    let nightly = "[toolchain]\nchannel = \"nightly-2026-10-01\"\n";
    let warned = rust_project(RUST, None, &[("rust-toolchain.toml", nightly)]).unwrap();
    assert_eq!(chosen(&warned).0, "1.97");
    assert!(
        warned
            .warnings
            .iter()
            .any(|w| w.contains("nightly-2026-10-01")),
        "{:?}",
        warned.warnings
    );

    let old = "[toolchain]\nchannel = \"1.86\"\n";
    let error = rust_project(RUST, Some("1.88"), &[("rust-toolchain.toml", old)]).unwrap_err();
    assert!(
        error.contains("rust-toolchain.toml `channel = \"1.86\"` pins 1.86"),
        "{error}"
    );
}

#[test]
fn an_explicit_builder_older_than_the_project_allows_fails_at_its_line() {
    let spec = "version: 1\nlanguage: rust\nimages:\n  builder: rust:1.85-slim-trixie\n";
    let error = rust_project(spec, Some("1.88"), &[]).unwrap_err();
    assert!(error.contains("strata.yaml:4:12"), "{error}");
    assert!(
        error.contains("has Rust 1.85, and Cargo.toml `rust-version = \"1.88\"` rules it out"),
        "{error}"
    );
    // One the project allows, or one strata cannot read a version from, is taken as given.
    let newer = "version: 1\nlanguage: rust\nimages:\n  builder: rust:1.90-slim-trixie\n";
    let plan = rust_project(newer, Some("1.88"), &[]).unwrap();
    assert_eq!(chosen(&plan), ("1.90".into(), "images.builder".into()));
    let custom = "version: 1\nlanguage: rust\nimages:\n  builder: corp/rust-ci:latest\n";
    let plan = rust_project(custom, Some("1.88"), &[]).unwrap();
    assert_eq!(builder(&plan), "corp/rust-ci:latest");
}

/// A Python builder whose version strata cannot read gets the default runtime, with a warning:
/// the virtualenv runs only on the interpreter it was made with.
#[test]
fn a_python_builder_of_unknown_version_is_warned_about_the_runtime() {
    let spec = "version: 1\nlanguage: python\nimages:\n  builder: corp/python-ci:latest\n";
    let plan = plan_with(spec);
    assert_eq!(runtime(&plan), "python:3.14-slim-trixie");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("names no Python version strata can read")),
        "{:?}",
        plan.warnings
    );
    let named = format!("{spec}target:\n  runtime: corp/python-runtime:latest\n");
    let plan = plan_with(&named);
    assert!(
        plan.warnings.iter().all(|w| !w.contains("Python version")),
        "{:?}",
        plan.warnings
    );
}

fn plan_with(spec: &str) -> Plan {
    plan(spec, &[("requirements.txt", ""), ("app.py", "print(1)\n")]).unwrap()
}

/// Without a pin, an old uv.lock whose wheels stop at Python 3.13 keeps the build on 3.13: on
/// 3.14 uv would build the package from its sdist, and the builder has no C compiler.
#[test]
fn a_uv_lock_without_wheels_for_the_default_keeps_the_line_its_wheels_cover() {
    let lock = "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"httptools\"\n\
        version = \"0.6.4\"\nsource = { registry = \"https://pypi.org/simple\" }\n\
        sdist = { url = \"https://files.example/httptools-0.6.4.tar.gz\" }\n\
        wheels = [{ url = \"https://files.example/httptools-0.6.4-cp313-cp313-manylinux_2_17_x86_64.whl\" }]\n";
    let files = |extra: Option<(&'static str, &'static str)>| {
        let mut files = vec![
            ("pyproject.toml", pyproject(">=3.11")),
            ("uv.lock", lock.to_string()),
            ("app.py", "print(1)\n".to_string()),
        ];
        files.extend(extra.map(|(p, t)| (p, t.to_string())));
        files
    };
    let listed = |files: &[(&'static str, String)]| {
        plan(
            PYTHON,
            &files
                .iter()
                .map(|(p, t)| (*p, t.as_str()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    let locked = listed(&files(None));
    assert_eq!(
        chosen(&locked),
        (
            "3.13".into(),
            "uv.lock (`httptools` 0.6.4 has no wheel for Python 3.14)".into()
        )
    );
    let pinned = listed(&files(Some((".python-version", "3.14\n"))));
    assert_eq!(chosen(&pinned).0, "3.14");
}
