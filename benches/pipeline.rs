//! spec → plan → LLB for each example, in process (issue #7's target: under 5 ms each).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use prost::Message;
use strata::lang::{self, ContextFiles};
use strata::llb::{self, LowerOptions};
use strata::plan::StageName;

fn pipeline(c: &mut Criterion) {
    for example in ["go-web", "go-vendored"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example);
        let bytes = std::fs::read(dir.join("strata.yaml")).expect("the example has a spec");
        let spec = strata::spec::parse(&bytes).expect("the example's spec is valid");
        let probe = lang::probe_for(&spec).rooted(&spec.path.value);
        let files = ContextFiles::from_dir(&dir, &probe).expect("the example is readable");

        c.bench_function(&format!("{example}: parse spec"), |b| {
            b.iter(|| strata::spec::parse(black_box(&bytes)).expect("valid"))
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
                    },
                )
                .encode_to_vec()
            })
        });
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
