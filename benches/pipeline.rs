//! Parse, plan, and spec → plan → LLB for every example, in process (issue #7's target: under
//! 5 ms each).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use prost::Message;
use strata::lang;
use strata::llb::{self, LowerOptions};
use strata::plan::StageName;

fn pipeline(c: &mut Criterion) {
    let examples = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
        .expect("the examples are there");
    let mut names: Vec<String> = examples
        .map(|e| {
            e.expect("a readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    for example in &names {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example);
        // examples/monorepo keeps a spec per service (for bake), none at its root.
        let Ok(bytes) = std::fs::read(dir.join("strata.yaml")) else {
            continue;
        };
        let spec = strata::spec::parse(&bytes).expect("the example's spec is valid");
        let files = lang::list_directory(&dir, &dir.join("strata.yaml"), &spec)
            .expect("the example is readable");

        c.bench_function(&format!("{example}: parse spec"), |b| {
            b.iter(|| strata::spec::parse(black_box(&bytes)).expect("valid"))
        });
        c.bench_function(&format!("{example}: plan"), |b| {
            b.iter(|| lang::plan(black_box(&spec), black_box(&files)).expect("plannable"))
        });
        c.bench_function(&format!("{example}: spec → plan → LLB bytes"), |b| {
            b.iter(|| {
                let spec = strata::spec::parse(black_box(&bytes)).expect("valid");
                let plan = lang::plan(&spec, black_box(&files)).expect("plannable");
                llb::lower(
                    &plan,
                    &LowerOptions {
                        session_id: Some("session"),
                        context_directory: "context",
                        platform: None,
                        build_platform: None,
                        image_resolve_mode: None,
                        target: StageName::Runtime,
                        images: &BTreeMap::new(),
                        no_cache: &[],
                        spec_source: None,
                    },
                )
                .encode_to_vec()
            })
        });
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
