//! The property the `spec_to_llb` fuzz target checks, shared with the test that replays the
//! committed corpus on stable Rust (tests/fuzz_corpus.rs): any bytes as strata.yaml — parsing,
//! rendering errors, planning against a fixed Go context and lowering never panic, and lowering
//! is deterministic.

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
    let app = spec.path.value.clone();
    let at = |p: &str| {
        if app == "." {
            p.to_string()
        } else {
            format!("{app}/{p}")
        }
    };
    let files = ContextFiles {
        paths: BTreeSet::from([
            at("go.mod"),
            at("go.sum"),
            at("main.go"),
            at("cmd/tool/main.go"),
        ]),
        contents: BTreeMap::from([(
            at("go.mod"),
            "module example.com/fuzz\n\ngo 1.24\n".to_string(),
        )]),
        ignore: None,
    };
    let Ok(plan) = lang::plan(&spec, &files) else {
        return;
    };
    let _ = plan.to_string();
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
        };
        assert_eq!(llb::lower(&plan, &options), llb::lower(&plan, &options));
    }
}
