//! What a build did, read from buildx's `--progress=rawjson` stream: one record per vertex,
//! and the one definition of an executed step that the engine tests and `make bench` share
//! (the bench reads it through `bench/progress_steps.rs`).

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::Value;

/// One vertex as the engine reported it.
#[derive(Debug, Clone, Default)]
pub struct Vertex {
    pub name: String,
    pub cached: bool,
    pub started: bool,
    pub completed: bool,
    pub error: Option<String>,
    /// What the vertex's process wrote (stdout and stderr, as the engine streamed them).
    pub log: String,
}

/// What every build does anew by design, or the engine's own work rather than a build step,
/// as the start of a vertex's name after its label: reading the definition, resolving and
/// pulling images, exporting.
const BOOKKEEPING: [&str; 13] = [
    "load build definition",
    "load .dockerignore",
    "load metadata",
    "resolve image config",
    "exporting",
    "naming to",
    "unpacking",
    "importing cache",
    "writing image",
    "sending tarball",
    "preparing layers",
    "load local bake",
    "docker-image://",
];

/// A vertex's name as its label (`[strata deps]`, or `[api strata deps]` as bake prefixes
/// each target's) and the rest.
fn label_and_rest(name: &str) -> (Option<&str>, &str) {
    match name
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
    {
        Some((label, rest)) => (Some(label), rest),
        None => (None, name),
    }
}

/// Labels of plumbing rather than steps: the engine's and the Dockerfile frontend's
/// `[internal]` and `[auth]`, and the frontend's own work, `[strata]` or `[strata 0.1.0]` (its
/// version), each perhaps after a bake target's name.
fn plumbing_label(label: &str) -> bool {
    let words: Vec<&str> = label.split(' ').collect();
    let last = words.last().copied().unwrap_or_default();
    let strata_at = words.iter().position(|w| *w == "strata");
    matches!(last, "internal" | "auth")
        || strata_at.is_some_and(|i| {
            words
                .get(i + 1)
                .is_none_or(|next| next.starts_with(|c: char| c.is_ascii_digit()))
        })
}

impl Vertex {
    /// It did work in this build, as opposed to being taken from the cache. A vertex two
    /// solves share (bake's targets) may be reported started and then canceled while its
    /// cache key was being checksummed, because the other solve found it cached: that did no
    /// work either.
    pub fn executed(&self) -> bool {
        let canceled = self
            .error
            .as_deref()
            .is_some_and(|e| e.ends_with("context canceled"));
        self.started && !self.cached && !canceled
    }

    /// A step of the build (a plan step of strata's, a Dockerfile instruction), as opposed to
    /// bookkeeping, per-build context transfers (strata's `load context: …`) and image sources.
    pub fn is_step(&self) -> bool {
        let (label, rest) = label_and_rest(&self.name);
        !label.is_some_and(plumbing_label)
            && !BOOKKEEPING.iter().any(|prefix| rest.starts_with(prefix))
            && !rest.contains("load context: ")
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
        for log in status
            .get("logs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(digest), Some(data)) = (
                log.get("vertex").and_then(Value::as_str),
                log.get("data").and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) {
                let entry = by_digest.entry(digest.to_string()).or_default();
                entry.log.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|d| by_digest.remove(&d))
        .collect()
}
