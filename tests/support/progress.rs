//! What a build did, read from buildx's `--progress=rawjson` stream: one record per vertex,
//! and the one definition of an executed step that the engine tests and `make bench` share
//! (the bench reads it through `bench/progress_steps.rs`).

use std::collections::BTreeMap;

use serde_json::Value;

/// One vertex as the engine reported it.
#[derive(Debug, Clone, Default)]
pub struct Vertex {
    pub name: String,
    pub cached: bool,
    pub started: bool,
    pub completed: bool,
    pub error: Option<String>,
}

/// Vertices every build makes anew by design, or that are the engine's and the frontend's own
/// plumbing rather than a build step: reading the definition and the context, resolving and
/// pulling images, exporting, and strata's step wrappers (`[internal] `, as the Dockerfile
/// frontend names its own). The frontend's own reads are [`frontend_own`].
const BOOKKEEPING: [&str; 14] = [
    "[internal]",
    "load build definition",
    "load .dockerignore",
    "load metadata",
    "resolve image config",
    "exporting",
    "naming to",
    "unpacking",
    "importing cache",
    "[auth]",
    "writing image",
    "sending tarball",
    "preparing layers",
    "load local bake",
];

/// The frontend's own work, named `[strata] …` or `[strata 0.1.0] …` (its version): reading
/// the context listing, resolving base images.
fn frontend_own(name: &str) -> bool {
    let label = name
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .map(|(label, _)| label);
    label.is_some_and(|label| {
        label == "strata"
            || label
                .strip_prefix("strata ")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

impl Vertex {
    /// It did work in this build, as opposed to being taken from the cache.
    pub fn executed(&self) -> bool {
        self.started && !self.cached
    }

    /// A step of the build (a plan step of strata's, a Dockerfile instruction), as opposed to
    /// bookkeeping, per-build context transfers (strata's `load context: …`) and image sources.
    pub fn is_step(&self) -> bool {
        !BOOKKEEPING
            .iter()
            .any(|prefix| self.name.starts_with(prefix))
            && !frontend_own(&self.name)
            && !self.name.contains("load context: ")
            && !self.name.starts_with("docker-image://")
    }
}

/// Folds rawjson status objects into one record per vertex, in first-seen order. buildx
/// writes them pretty-printed, one after another; other lines (the final `ERROR:`) are
/// skipped.
pub fn parse_rawjson(text: &str) -> Vec<Vertex> {
    let mut order: Vec<String> = Vec::new();
    let mut by_digest: BTreeMap<String, Vertex> = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        if !rest.starts_with('{') {
            rest = rest.split_once('\n').map_or("", |(_, after)| after);
            continue;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        let status = match stream.next() {
            Some(Ok(status)) => status,
            _ => {
                rest = rest.split_once('\n').map_or("", |(_, after)| after);
                continue;
            }
        };
        rest = rest[stream.byte_offset()..].trim_start();
        for v in status
            .get("vertexes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(digest) = v.get("digest").and_then(Value::as_str) else {
                continue;
            };
            if !by_digest.contains_key(digest) {
                order.push(digest.to_string());
            }
            let entry = by_digest.entry(digest.to_string()).or_default();
            if let Some(name) = v.get("name").and_then(Value::as_str) {
                entry.name = name.to_string();
            }
            entry.cached |= v.get("cached").and_then(Value::as_bool).unwrap_or(false);
            entry.started |= v.get("started").is_some_and(|s| !s.is_null());
            entry.completed |= v.get("completed").is_some_and(|s| !s.is_null());
            if let Some(e) = v.get("error").and_then(Value::as_str) {
                if !e.is_empty() {
                    entry.error = Some(e.to_string());
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|d| by_digest.remove(&d))
        .collect()
}
