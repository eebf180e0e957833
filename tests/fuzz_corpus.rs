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

/// xorshift64*: a small deterministic generator, so a seed names one run exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation, as libFuzzer's simplest ones: flip a byte, insert or delete a run, or splice
/// in a piece of another input (keys and values of one spec land in another).
fn mutate(input: &mut Vec<u8>, other: &[u8], rng: &mut Rng) {
    let at = rng.below(input.len() + 1);
    match rng.below(4) {
        0 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] = rng.next() as u8;
        }
        1 => {
            let bytes: Vec<u8> = (0..1 + rng.below(8))
                .map(|_| b" :-\n[]{}\"'#&*|>0a"[rng.below(17)])
                .collect();
            input.splice(at..at, bytes);
        }
        2 if !input.is_empty() => {
            let end = (at + 1 + rng.below(16)).min(input.len());
            input.drain(at.min(end)..end);
        }
        _ if !other.is_empty() => {
            let from = rng.below(other.len());
            let to = (from + 1 + rng.below(64)).min(other.len());
            input.splice(at..at, other[from..to].iter().copied());
        }
        _ => input.push(b'\n'),
    }
}

/// A short blind fuzz that runs on stable Rust in every `make test` (coverage-guided fuzzing,
/// `make fuzz`, needs nightly): corpus inputs, mutated a few times each, through the fuzz
/// target's check. A new seed each run widens the search; a failure prints the seed
/// (`STRATA_FUZZ_SEED` replays it) and the input.
#[test]
fn mutated_corpus_inputs_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/spec_to_llb");
    let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("the corpus is committed")
        .map(|entry| std::fs::read(entry.expect("an entry").path()).expect("an input"))
        .collect();
    corpus.sort();
    let seed = std::env::var("STRATA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let mut rng = Rng(seed);
    for _ in 0..60_000 {
        let mut input = corpus[rng.below(corpus.len())].clone();
        let other = &corpus[rng.below(corpus.len())];
        for _ in 0..1 + rng.below(4) {
            mutate(&mut input, other, &mut rng);
        }
        let outcome = std::panic::catch_unwind(|| spec_to_llb::check(&input));
        assert!(
            outcome.is_ok(),
            "STRATA_FUZZ_SEED={seed}: this input panics strata:\n{}",
            String::from_utf8_lossy(&input)
        );
    }
}
