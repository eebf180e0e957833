//! Replays the fuzzer's committed corpus (fuzz/corpus/spec_to_llb, thousands of inputs that
//! each reached new code) through the same check as the fuzz target, on stable Rust: a smoke
//! run of the fuzzing that needs neither nightly nor cargo-fuzz.

#[path = "../fuzz/spec_to_llb.rs"]
mod spec_to_llb;

#[test]
fn every_corpus_input_passes_the_fuzz_check() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/spec_to_llb");
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus is committed") {
        let path = entry.expect("a readable entry").path();
        let bytes = std::fs::read(&path).expect("a readable input");
        let outcome = std::panic::catch_unwind(|| spec_to_llb::check(&bytes));
        assert!(outcome.is_ok(), "{} panics strata", path.display());
        inputs += 1;
    }
    assert!(inputs > 1000, "the corpus shrank to {inputs} inputs");
}

#[test]
fn the_fuzz_context_reaches_every_language_s_planning() {
    for language in ["go", "python", "node", "rust"] {
        let text = format!("version: 1\nlanguage: {language}\n");
        let spec = strata::spec::parse(text.as_bytes()).expect("a valid spec");
        let plan = strata::lang::plan(&spec, &spec_to_llb::context("."));
        assert!(
            plan.is_ok(),
            "{language} does not plan against the fuzz context: {:?}",
            plan.err()
        );
        spec_to_llb::check(text.as_bytes());
    }
}
