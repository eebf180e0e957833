//! Properties of the whole pipeline over generated specs: for any valid spec of any example,
//! planning and lowering give byte-identical definitions twice over, and every input of every
//! op is an op defined earlier in the same definition (what BuildKit requires).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bollard_buildkit_proto::pb;
use proptest::prelude::*;
use prost::Message;
use sha2::{Digest, Sha256};
use strata::llb::{self, LowerOptions, Platform};
use strata::plan::StageName;

/// Examples and the language each is; specs are generated for these contexts.
const EXAMPLES: &[(&str, &str)] = &[
    ("go-web", "go"),
    ("go-vendored", "go"),
    ("python-uv", "python"),
    ("python-pip", "python"),
    ("python-poetry", "python"),
    ("rust-axum", "rust"),
    ("rust-workspace", "rust"),
    ("node-npm", "node"),
    ("node-pnpm", "node"),
    ("node-yarn", "node"),
];

/// Optional spec lines, each valid for every language.
fn optional_lines() -> impl Strategy<Value = Vec<String>> {
    let run = (
        proptest::option::of(1u16..65535),
        proptest::option::of("[A-Z][A-Z0-9_]{0,8}"),
        proptest::option::of(1u32..70000),
    )
        .prop_map(|(port, env, uid)| {
            let mut lines = vec!["run:".to_string()];
            if let Some(port) = port {
                lines.push(format!("  ports: [{port}]"));
            }
            if let Some(name) = env {
                lines.push(format!("  env: {{{name}: \"value\"}}"));
            }
            if let Some(uid) = uid {
                lines.push(format!("  user: \"{uid}:{uid}\""));
            }
            lines.push("  args: [\"--flag\"]".to_string());
            lines.join("\n")
        });
    let network = prop_oneof![Just("default"), Just("host"), Just("none")]
        .prop_map(|mode| format!("network:\n  build: {mode}"));
    let proxy = "[a-z]{1,10}".prop_map(|host| {
        format!("proxy:\n  https: http://{host}.corp:3128\n  no_proxy: localhost")
    });
    let cache = "[a-z0-9][a-z0-9._-]{0,20}".prop_map(|ns| format!("cache:\n  namespace: {ns}"));
    let secrets = "[a-z][a-z0-9]{0,8}"
        .prop_map(|id| format!("secrets:\n  - id: s{id}\n    target: /root/.{id}rc"));
    let include = "[a-z]{1,8}".prop_map(|dir| format!("build:\n  include: [\"{dir}/**\"]"));
    proptest::sample::subsequence(vec![0usize, 1, 2, 3, 4, 5], 0..=6).prop_flat_map(move |chosen| {
        let pieces: Vec<BoxedStrategy<String>> = chosen
            .into_iter()
            .map(|i| match i {
                0 => run.clone().boxed(),
                1 => network.clone().boxed(),
                2 => proxy.clone().boxed(),
                3 => cache.clone().boxed(),
                4 => secrets.clone().boxed(),
                _ => include.clone().boxed(),
            })
            .collect();
        pieces
    })
}

/// Checks one definition: every input is an op earlier in the list; one terminal op, last.
fn inputs_are_defined(definition: &pb::Definition) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for (i, bytes) in definition.def.iter().enumerate() {
        let op = pb::Op::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
        for input in &op.inputs {
            if !seen.contains(&input.digest) {
                return Err(format!("op {i} uses {} before it is defined", input.digest));
            }
        }
        if op.op.is_none() != (i + 1 == definition.def.len()) {
            return Err(format!("op {i}: the terminal op is not the last one"));
        }
        seen.insert(format!("sha256:{}", hex::encode(Sha256::digest(bytes))));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_spec_lowers_deterministically_with_defined_inputs(
        example in proptest::sample::select(EXAMPLES),
        lines in optional_lines(),
        target in proptest::sample::select(StageName::ALL.to_vec()),
        arm in any::<bool>(),
    ) {
        let (dir_name, language) = example;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(dir_name);
        let example_spec = std::fs::read_to_string(dir.join("strata.yaml")).unwrap();
        // Keep the example's own settings (its toolchain options), then the generated ones on
        // keys the example does not set.
        let own_keys: BTreeSet<&str> = example_spec
            .lines()
            .filter(|l| !l.starts_with([' ', '#']) && l.contains(':'))
            .map(|l| l.split(':').next().unwrap())
            .collect();
        let mut spec = example_spec.clone();
        for piece in &lines {
            let key = piece.split(':').next().unwrap();
            if !own_keys.contains(key) {
                spec.push_str(piece);
                spec.push('\n');
            }
        }
        let named = format!("language: {language}");
        prop_assert!(spec.contains(&named), "{} does not name {}", dir_name, language);
        let spec_path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("property-{}-{dir_name}.yaml", std::process::id()));
        std::fs::write(&spec_path, &spec).unwrap();
        let plan = strata::pipeline::plan_directory(&dir, &spec_path, &Default::default())
            .map_err(|e| TestCaseError::fail(format!("{spec}\n{e}")))?;
        let platform = Platform::parse(if arm { "linux/arm64" } else { "linux/amd64" }).unwrap();
        let engine = Platform::parse("linux/amd64").unwrap();
        let images = BTreeMap::new();
        let options = LowerOptions {
            session_id: Some("session"),
            context_directory: "context",
            platform: Some(&platform),
            build_platform: Some(&engine),
            image_resolve_mode: Some("local"),
            target,
            images: &images,
            no_cache: &[],
                spec_source: None,
        };
        let first = llb::lower(&plan, &options);
        let replanned = strata::pipeline::plan_directory(&dir, &spec_path, &Default::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again = llb::lower(&replanned, &options);
        prop_assert_eq!(first.encode_to_vec(), again.encode_to_vec(), "not deterministic:\n{}", spec);
        inputs_are_defined(&first).map_err(|e| TestCaseError::fail(format!("{spec}\n{e}")))?;
    }
}
