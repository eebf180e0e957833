//! The toolchain a project's own version files choose (#16), on the real engine: the program
//! built reports the version it was built with or runs on, so a plan that named the right image
//! but an engine that ran another would fail here.

mod support;

use support::*;

/// A workspace holding `files`, with a spec of `body` under the frontend's syntax line.
fn project(name: &str, body: &str, files: &[(&str, &str)]) -> Workspace {
    let ws = Workspace::empty(name);
    ws.write(
        "strata.yaml",
        &format!("# syntax={}\n{body}", frontend_image()),
    );
    for (path, text) in files {
        ws.write(path, text);
    }
    ws
}

/// What the image prints when run with no arguments.
fn output_of(ws: &Workspace, tag: &str) -> String {
    buildx(ws, &["--load", "-t", tag]).assert_success();
    docker_ok(&["run", "--rm", tag])
}

/// The build of `ws`, whose spec pins `images.builder` on line 5, fails there with `reason`
/// before any step of the plan runs.
fn refused_at_the_builder_line(ws: &Workspace, reason: &str) {
    let build = buildx(ws, &[]);
    let errors = &build.output;
    assert!(!build.success, "built with a builder the project rules out");
    assert!(errors.contains("strata.yaml:5:12"), "{errors}");
    assert!(errors.contains(reason), "{errors}");
    assert!(build.executed_steps().is_empty(), "{}", build.summary());
}

const VERSION_MAIN_GO: &str = "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\n\
    func main() { fmt.Println(\"built with\", runtime.Version()) }\n";

/// A module that asks for a newer Go than trixie's 1.24 builds with GOTOOLCHAIN=local (no
/// toolchain download) on the line strata picks; an explicit older builder is refused before
/// anything runs.
#[test]
fn a_go_module_builds_with_the_go_line_its_go_mod_allows() {
    let Some(_engine) = engine() else { return };
    let files = [
        ("go.mod", "module example.com/version\n\ngo 1.26.0\n"),
        ("main.go", VERSION_MAIN_GO),
    ];
    let ws = project("go-version", "version: 1\nlanguage: go\n", &files);
    let printed = output_of(&ws, "strata-test/toolchains:go");
    let default = strata::plan::default_version(strata::plan::ImageRole::GoBuilder).unwrap();
    assert!(
        printed.starts_with(&format!("built with go{default}.")),
        "{printed}"
    );

    let pinned = "version: 1\nlanguage: go\nimages:\n  builder: golang:1.24-trixie\n";
    let old = project("go-too-old", pinned, &files);
    refused_at_the_builder_line(&old, "has Go 1.24, and go.mod `go 1.26.0` rules it out");
}

/// Each `.nvmrc` gets its own Node image, builder and runtime alike.
#[test]
fn node_projects_run_on_the_node_their_nvmrc_names() {
    let Some(_engine) = engine() else { return };
    for major in ["24", "20"] {
        let ws = project(
            "node-version",
            "version: 1\nlanguage: node\n",
            &[
                (".nvmrc", &format!("{major}\n")),
                (
                    "package.json",
                    r#"{"name": "version", "version": "1.0.0", "main": "index.js"}"#,
                ),
                (
                    "index.js",
                    "console.log(`runs on node ${process.version}`);\n",
                ),
            ],
        );
        let printed = output_of(&ws, &format!("strata-test/toolchains:node{major}"));
        assert!(
            printed.starts_with(&format!("runs on node v{major}.")),
            "{major}: {printed}"
        );
    }
}

/// `.python-version` picks the interpreter the virtualenv is made with and the runtime it runs
/// on: one line older than the default here.
#[test]
fn a_python_project_runs_on_its_python_version() {
    let Some(_engine) = engine() else { return };
    let ws = project(
        "python-version",
        "version: 1\nlanguage: python\nrun:\n  command: [\"python\", \"app.py\"]\n",
        &[
            (".python-version", "3.13\n"),
            ("requirements.txt", ""),
            (
                "app.py",
                "import sys\nprint('runs on python', sys.version.split()[0])\n",
            ),
        ],
    );
    let printed = output_of(&ws, "strata-test/toolchains:python");
    assert!(printed.starts_with("runs on python 3.13."), "{printed}");
}

/// A crate whose `rust-version` the pinned builder cannot build fails at plan time, at the
/// spec's line, naming both versions: not as a cargo error after the dependencies downloaded.
#[test]
fn a_rust_version_newer_than_the_pinned_builder_fails_at_the_spec_line() {
    let Some(_engine) = engine() else { return };
    let ws = project(
        "rust-too-old",
        "version: 1\nlanguage: rust\nimages:\n  builder: rust:1.85-slim-trixie\n",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\nrust-version = \"1.90\"\n",
            ),
            (
                "Cargo.lock",
                "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n",
            ),
            ("src/main.rs", "fn main() {}\n"),
        ],
    );
    refused_at_the_builder_line(
        &ws,
        "has Rust 1.85, and Cargo.toml `rust-version = \"1.90\"` rules it out",
    );
}
