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
use crate::spec;

const DESCRIBE: &str = "frontend.subrequests.describe";
/// `--call check`: answered before anything is planned for building (see `lint`).
pub const LINT: &str = "frontend.lint";
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
                "strata does not answer the subrequest {other:?}; it answers {DESCRIBE}, {LINT}, \
                 {OUTLINE} and {TARGETS}"
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
        (LINT, "Check the spec and its plan", vec![]),
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
    // The proxy and engine args, then the mirrors this language reads.
    let args: Vec<(String, String)> = BUILD_ARGS
        .iter()
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .chain(
            spec::mirrors::MIRROR_KEYS
                .iter()
                .filter(|m| m.language() == plan.language)
                .flat_map(|m| {
                    m.build_args.iter().map(|arg| {
                        let what = format!("{}: kept out of cache keys and the image", m.key);
                        (arg.to_string(), what)
                    })
                }),
        )
        .collect();
    // buildx renders the outline from its JSON, whose fields have no place for images: the
    // description names the ones a named context can replace.
    let images: Vec<String> = plan.images().iter().map(|(r, _)| r.to_string()).collect();
    let description = format!(
        "{}; base images (--build-context NAME=docker-image://MIRROR): {}",
        stage_description(plan, target),
        images.join(", ")
    );
    let json = json!({
        "name": target.as_str(),
        "description": description,
        "args": args.iter().map(|(name, description)| {
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
        description
    );
    text.push_str(&table(
        &["BUILD ARG", "DESCRIPTION"],
        args.into_iter().map(|(n, d)| vec![n, d]).collect(),
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

/// The lint rule of the plan's own warnings, and of build args nothing reads.
const PLAN_RULE: &str = "StrataPlan";
const UNUSED_ARG_RULE: &str = "UnusedBuildArg";

/// The answer to `--call check`: the spec's problems as the lint result's build error, with
/// their lines (buildx quotes them and fails), or the plan's warnings (buildx lists them, and
/// exits 1 when there are any). BuildKit's LintResults shape, spec included as its one source.
pub fn lint(
    filename: &str,
    spec: &[u8],
    outcome: Result<&[String], &crate::spec::Diagnostics>,
) -> BTreeMap<String, Vec<u8>> {
    use base64::Engine as _;
    let line = |line: usize| json!({"line": line});
    let mut result = json!({
        "warnings": [],
        "sources": [{
            "filename": filename,
            "data": base64::engine::general_purpose::STANDARD.encode(spec),
            "language": "yaml",
        }],
    });
    let mut text = String::new();
    match outcome {
        Err(problems) => {
            let message = problems.render(filename, &String::from_utf8_lossy(spec));
            let ranges: Vec<Value> = problems
                .spec_lines()
                .into_iter()
                .map(|at| json!({"start": line(at), "end": line(at)}))
                .collect();
            result["buildError"] = json!({
                "message": message,
                "location": {"sourceIndex": 0, "ranges": ranges},
            });
            text.push_str(&message);
        }
        Ok(warnings) => {
            let listed: Vec<Value> = warnings
                .iter()
                .map(|warning| {
                    let rule = if warning.starts_with("build arg ") {
                        UNUSED_ARG_RULE
                    } else {
                        PLAN_RULE
                    };
                    text.push_str(&format!("WARNING: {rule}\n{warning}\n"));
                    // Not tied to a spec line: -1 is BuildKit's "no source".
                    json!({"ruleName": rule, "detail": warning, "location": {"sourceIndex": -1}})
                })
                .collect();
            result["warnings"] = Value::Array(listed);
        }
    }
    let failed = outcome.map_or(true, |warnings| !warnings.is_empty());
    BTreeMap::from([
        (
            "result.json".to_string(),
            serde_json::to_vec_pretty(&result).expect("a JSON value serialises"),
        ),
        ("result.txt".to_string(), text.into_bytes()),
        (
            "result.statuscode".to_string(),
            if failed { b"1".to_vec() } else { b"0".to_vec() },
        ),
        ("version".to_string(), VERSION.as_bytes().to_vec()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result_json(answer: &BTreeMap<String, Vec<u8>>) -> Value {
        serde_json::from_slice(&answer["result.json"]).expect("result.json is JSON")
    }

    #[test]
    fn a_bad_spec_is_the_lint_build_error_with_its_lines() {
        let spec = b"version: 1\nlanguage: go\nlockfile: go.sum\n";
        let problems = crate::spec::parse(spec).expect_err("an unknown key");
        let answer = lint("strata.yaml", spec, Err(&problems));
        let result = result_json(&answer);
        assert_eq!(answer["result.statuscode"], b"1");
        let error = &result["buildError"];
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("strata.yaml:3:1: error: unknown key `lockfile`")
        );
        assert_eq!(error["location"]["ranges"][0]["start"]["line"], 3);
        assert_eq!(result["sources"][0]["filename"], "strata.yaml");
        let data = result["sources"][0]["data"].as_str().unwrap();
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap(),
            spec
        );
    }

    #[test]
    fn warnings_are_lint_warnings_and_none_is_a_clean_check() {
        let warnings = vec![
            "build arg X is not used by strata".to_string(),
            "the image runs as root".to_string(),
        ];
        let answer = lint("strata.yaml", b"version: 1\n", Ok(&warnings));
        let result = result_json(&answer);
        assert_eq!(answer["result.statuscode"], b"1");
        assert_eq!(result["warnings"][0]["ruleName"], UNUSED_ARG_RULE);
        assert_eq!(result["warnings"][1]["ruleName"], PLAN_RULE);
        assert_eq!(result["warnings"][1]["location"]["sourceIndex"], -1);
        assert!(result.get("buildError").is_none());
        let clean = lint("strata.yaml", b"version: 1\n", Ok(&[]));
        assert_eq!(clean["result.statuscode"], b"0");
        assert_eq!(result_json(&clean)["warnings"], json!([]));
    }
}
