//! The property the `spec_to_llb` fuzz target checks, shared with the test that replays the
//! committed corpus on stable Rust (tests/fuzz_corpus.rs): any bytes as strata.yaml — parsing,
//! rendering errors, planning against a fixed context that each language can plan (Go,
//! Python, Node and Rust files side by side) and lowering never panic, and lowering is
//! deterministic.

use std::collections::{BTreeMap, BTreeSet};

use strata::lang::{self, ContextFiles};
use strata::llb::{self, LowerOptions};
use strata::plan::StageName;

pub fn check(bytes: &[u8]) {
    let spec = match strata::spec::parse(bytes) {
        Ok(spec) => spec,
        Err(problems) => {
            let rendered = problems.render("strata.yaml", &String::from_utf8_lossy(bytes));
            assert!(rendered.starts_with("strata.yaml"));
            return;
        }
    };
    let files = context(&spec.path.value);
    let Ok(plan) = lang::plan(&spec, &files) else {
        return;
    };
    let _ = plan.to_string();
    let spec_source = llb::SpecSource {
        filename: "strata.yaml",
        contents: bytes,
        stage_lines: BTreeMap::from([(StageName::Deps, 2), (StageName::Runtime, 3)]),
    };
    for target in StageName::ALL {
        let options = LowerOptions {
            session_id: Some("fuzz"),
            context_directory: "context",
            platform: None,
            build_platform: None,
            image_resolve_mode: None,
            target,
            images: &BTreeMap::new(),
            no_cache: &[],
            spec_source: Some(&spec_source),
        };
        assert_eq!(llb::lower(&plan, &options), llb::lower(&plan, &options));
    }
}

/// A project in `app` (the spec's `path`) that every language's provider can plan: a Go
/// module, a uv project, an npm package and a cargo package, each with its lockfile.
pub fn context(app: &str) -> ContextFiles {
    let at = |p: &str| {
        if app == "." {
            p.to_string()
        } else {
            format!("{app}/{p}")
        }
    };
    let contents = [
        ("go.mod", "module example.com/fuzz\n\ngo 1.24\n"),
        ("go.sum", ""),
        ("main.go", "package main\n\nfunc main() {}\n"),
        ("cmd/tool/main.go", "package main\n\nfunc main() {}\n"),
        (
            "pyproject.toml",
            "[project]\nname = \"fuzz\"\nversion = \"0.1.0\"\nrequires-python = \">=3.12\"\n\n[project.scripts]\nfuzz = \"fuzz:main\"\n",
        ),
        ("uv.lock", "version = 1\nrequires-python = \">=3.12\"\n"),
        ("main.py", "print('fuzz')\n"),
        (
            "package.json",
            "{\"name\": \"fuzz\", \"scripts\": {\"start\": \"node server.js\"}, \"dependencies\": {\"express\": \"^4\"}}\n",
        ),
        (
            "package-lock.json",
            "{\"name\": \"fuzz\", \"lockfileVersion\": 3, \"packages\": {}}\n",
        ),
        (
            "server.js",
            "require('http').createServer().listen(8080);\n",
        ),
        (
            "Cargo.toml",
            "[package]\nname = \"fuzz\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("Cargo.lock", "version = 4\n"),
        ("src/main.rs", "fn main() {}\n"),
    ];
    ContextFiles {
        paths: contents
            .iter()
            .map(|(path, _)| at(path))
            .collect::<BTreeSet<_>>(),
        contents: contents
            .iter()
            .map(|(path, text)| (at(path), text.to_string()))
            .collect(),
        ignore: None,
    }
}
