//! Answers to the subrequests buildx users already know (`--print outline|targets` in buildx
//! 0.13, `--call` in later ones): what strata's stages are and what a build of one reads —
//! build args, secrets, cache mounts — without building anything.
//!
//! The answers are BuildKit's JSON shapes (frontend/subrequests in BuildKit) in `result.json`,
//! and a table for people in `result.txt`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::FrontendError;
use crate::plan::{Mount, Plan, StageName, Step};

const DESCRIBE: &str = "frontend.subrequests.describe";
const OUTLINE: &str = "frontend.outline";
const TARGETS: &str = "frontend.targets";
const VERSION: &str = "1.0.0";

/// The build args strata reads, with what they do; the proxy ones are the gateway's, the
/// epoch is the engine's exporters'.
const BUILD_ARGS: [(&str, &str); 4] = [
    (
        "HTTP_PROXY",
        "proxy for the dependency steps; kept out of cache keys and the image",
    ),
    (
        "HTTPS_PROXY",
        "proxy for the dependency steps; kept out of cache keys and the image",
    ),
    ("NO_PROXY", "hosts the dependency steps reach directly"),
    (
        "SOURCE_DATE_EPOCH",
        "the image's created time (and file times with rewrite-timestamp=true)",
    ),
];

/// The metadata that answers `request` for this plan, or an error naming the ones strata
/// answers.
pub fn answer(
    request: &str,
    plan: &Plan,
    target: StageName,
) -> Result<BTreeMap<String, Vec<u8>>, FrontendError> {
    let (json, text) = match request {
        DESCRIBE => describe(),
        TARGETS => targets(plan, target),
        OUTLINE => outline(plan, target),
        other => {
            return Err(format!(
                "strata does not answer the subrequest {other:?}; it answers {DESCRIBE}, {OUTLINE} \
                 and {TARGETS}"
            )
            .into());
        }
    };
    let pretty = serde_json::to_vec_pretty(&json).expect("a JSON value serialises");
    Ok(BTreeMap::from([
        ("result.json".to_string(), pretty),
        ("result.txt".to_string(), text.into_bytes()),
        ("version".to_string(), VERSION.as_bytes().to_vec()),
    ]))
}

fn describe() -> (Value, String) {
    let requests = [
        (DESCRIBE, "List available subrequest types", vec![]),
        (
            OUTLINE,
            "List all parameters current build target supports",
            vec![json!({"name": "target", "description": "Target build stage"})],
        ),
        (TARGETS, "List all targets current build supports", vec![]),
    ];
    let listed: Vec<Value> = requests
        .iter()
        .map(|(name, description, opts)| {
            json!({
                "name": name,
                "version": VERSION,
                "type": "rpc",
                "description": description,
                "opts": opts,
                "inputs": [],
                "metadata": [{"name": "result.json", "description": ""},
                             {"name": "result.txt", "description": ""}],
                "refs": [],
            })
        })
        .collect();
    let rows = requests
        .iter()
        .map(|(name, description, _)| {
            vec![
                name.trim_start_matches("frontend.").to_string(),
                VERSION.to_string(),
                description.to_string(),
            ]
        })
        .collect();
    (
        Value::Array(listed),
        table(&["NAME", "VERSION", "DESCRIPTION"], rows),
    )
}

/// A stage in one line: where it starts and what it runs.
fn stage_description(plan: &Plan, name: StageName) -> String {
    let Some(stage) = plan.stage(name) else {
        return String::new();
    };
    let steps: Vec<&str> = stage
        .steps
        .iter()
        .map(Step::name)
        .map(|n| n.split_once("] ").map_or(n, |(_, rest)| rest))
        .collect();
    format!("from {}: {}", stage.base, steps.join("; "))
}

fn targets(plan: &Plan, target: StageName) -> (Value, String) {
    let listed: Vec<Value> = StageName::ALL
        .iter()
        .map(|&name| {
            let mut entry = json!({
                "name": name.as_str(),
                "description": stage_description(plan, name),
            });
            if name == StageName::Runtime {
                entry["default"] = json!(true);
            }
            entry
        })
        .collect();
    let rows = StageName::ALL
        .iter()
        .map(|&name| {
            let mut shown = name.as_str().to_string();
            if name == StageName::Runtime {
                shown.push_str(" (default)");
            }
            if name == target && name != StageName::Runtime {
                shown.push_str(" (--target)");
            }
            vec![shown, stage_description(plan, name)]
        })
        .collect();
    (
        json!({ "targets": listed, "sources": [] }),
        table(&["TARGET", "DESCRIPTION"], rows),
    )
}

/// What a build of `target` reads: the stages up to it, their secrets and cache mounts.
fn outline(plan: &Plan, target: StageName) -> (Value, String) {
    let stages = StageName::ALL
        .iter()
        .take_while(|&&s| s != target)
        .chain(std::iter::once(&target));
    let mut secrets: BTreeMap<String, bool> = BTreeMap::new();
    let mut caches: Vec<String> = Vec::new();
    for stage in stages.filter_map(|&s| plan.stage(s)) {
        for step in &stage.steps {
            let Step::Run(run) = step else { continue };
            for mount in &run.mounts {
                match mount {
                    Mount::Secret { id, required, .. } => {
                        *secrets.entry(id.clone()).or_default() |= *required;
                    }
                    Mount::Cache { id, .. } if !caches.contains(id) => caches.push(id.clone()),
                    _ => {}
                }
            }
        }
    }
    let json = json!({
        "name": target.as_str(),
        "description": stage_description(plan, target),
        "args": BUILD_ARGS.iter().map(|(name, description)| {
            json!({"name": name, "description": description})
        }).collect::<Vec<_>>(),
        "secrets": secrets.iter().map(|(name, required)| {
            json!({"name": name, "required": required})
        }).collect::<Vec<_>>(),
        "cache": caches.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
    });
    let mut text = format!(
        "TARGET:      {}\nDESCRIPTION: {}\n\n",
        target.as_str(),
        stage_description(plan, target)
    );
    text.push_str(&table(
        &["BUILD ARG", "DESCRIPTION"],
        BUILD_ARGS
            .iter()
            .map(|(n, d)| vec![n.to_string(), d.to_string()])
            .collect(),
    ));
    if !secrets.is_empty() {
        text.push('\n');
        text.push_str(&table(
            &["SECRET", "REQUIRED"],
            secrets
                .iter()
                .map(|(n, r)| vec![n.clone(), r.to_string()])
                .collect(),
        ));
    }
    if !caches.is_empty() {
        text.push('\n');
        text.push_str(&table(
            &["CACHE MOUNT ID"],
            caches.iter().map(|c| vec![c.clone()]).collect(),
        ));
    }
    (json, text)
}

/// Left-aligned columns, one space apart at the least, like Go's tabwriter output.
fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let all: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(rows)
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &all {
        let last = row.len() - 1;
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 1));
            }
        }
        out.push('\n');
    }
    out
}
