//! Reads buildx's `--progress=rawjson` output on stdin and prints how many build steps ran and
//! how many came from the cache, as `{"executed": N, "cached": M}`: `bench/run` counts with the
//! same definition as the engine tests (`tests/support/progress.rs`).

use std::io::Read;

#[path = "../tests/support/progress.rs"]
mod progress;

fn main() {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .expect("rawjson progress on stdin");
    let steps: Vec<progress::Vertex> = progress::parse_rawjson(&text)
        .into_iter()
        .filter(progress::Vertex::is_step)
        .collect();
    let executed = steps.iter().filter(|v| v.executed()).count();
    let cached = steps.iter().filter(|v| v.cached).count();
    println!(r#"{{"executed": {executed}, "cached": {cached}}}"#);
}
