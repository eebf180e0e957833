//! The real-world corpus (tests/fixtures/real-world/<language>/<project>): small projects laid
//! out the way common public projects are, with the files their tools read besides code. Each
//! is planned the way a new user meets strata — with the spec `strata init` writes, or with the
//! spec the project commits — and what the user would check is a snapshot: the spec, the files
//! the build stage sees, how the image starts, and the warnings.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use strata::plan::{Base, ContextSelection, Plan, StageName, Step};

/// Every corpus project, as `language/name`.
fn corpus() -> Vec<String> {
    let root = corpus_root();
    let mut projects = Vec::new();
    for language in std::fs::read_dir(&root).expect("the corpus is committed") {
        let language = language.unwrap().path();
        for project in std::fs::read_dir(&language).unwrap() {
            let project = project.unwrap().path();
            let name = project.strip_prefix(&root).unwrap();
            projects.push(name.to_string_lossy().replace('\\', "/"));
        }
    }
    projects.sort();
    projects
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-world")
}

/// A copy of the project with its spec: the one it commits (anywhere in it), or the one
/// `strata init` writes at its root. Returns the copy, the spec's path and how it came.
fn with_spec(project: &str) -> (support::Workspace, PathBuf, &'static str) {
    let ws = support::Workspace::copy_of_fixture(&format!("real-world/{project}"));
    if let Some(committed) = find_spec(&ws.dir) {
        return (ws, committed, "committed");
    }
    let spec = ws.path("strata.yaml");
    let starter = strata::init::starter_spec(
        &ws.dir,
        &spec,
        None,
        &strata::spec::default_frontend_image(),
    )
    .unwrap_or_else(|e| panic!("{project}: strata init wrote nothing:\n{e}"));
    assert_eq!(
        starter.needs_command, None,
        "{project}: init could not tell the command"
    );
    std::fs::write(&spec, starter.text).unwrap();
    (ws, spec, "written by strata init")
}

fn find_spec(dir: &Path) -> Option<PathBuf> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).ok()? {
            let path = entry.ok()?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "strata.yaml") {
                return Some(path);
            }
        }
    }
    None
}

fn snapshot(project: &str) -> String {
    let (ws, spec, origin) = with_spec(project);
    let plan = strata::pipeline::plan_directory(&ws.dir, &spec, &Default::default())
        .unwrap_or_else(|e| panic!("{project}: the spec does not plan:\n{e}"));
    let spec_text = std::fs::read_to_string(&spec).unwrap();
    let mut out = format!(
        "spec ({origin}): {}\n{spec_text}\n",
        spec.strip_prefix(&ws.dir).unwrap().display()
    );
    // A static site has no build stage: its runtime's copy below shows what it sees.
    if let Some(sources) = plan.sources() {
        out.push_str("the build stage sees:\n");
        for file in support::seen_by(&plan, sources, &ws.dir) {
            out.push_str(&format!("  {file}\n"));
        }
    }
    let runtime = plan.stage(StageName::Runtime).unwrap();
    out.push_str(&format!("\nthe runtime, from {}:\n", runtime.base));
    let all = support::files_under(&ws.dir);
    for step in &runtime.steps {
        out.push_str(&format!("  {}\n", step.name()));
        // What the runtime receives from the context: its own copies, and those in the chain
        // of a stage whose layers it takes.
        let copies: Vec<&ContextSelection> = match step {
            Step::CopyContext { files, .. } => vec![files],
            Step::LayersOfStage { stage, .. } => chain_copies(&plan, *stage),
            _ => Vec::new(),
        };
        let picked: BTreeSet<&str> = copies
            .into_iter()
            .flat_map(|files| {
                files
                    .pick(&plan.excluded, all.iter().map(String::as_str))
                    .unwrap()
            })
            .collect();
        for file in picked {
            out.push_str(&format!("    {file}\n"));
        }
    }
    out.push_str(&format!(
        "  entrypoint {:?}, user {}, ports {:?}\n",
        plan.image.entrypoint, plan.image.user, plan.image.ports
    ));
    for warning in &plan.warnings {
        out.push_str(&format!("\nwarning: {warning}\n"));
    }
    out
}

/// The context copies of `stage` and of the stages it builds on.
fn chain_copies(plan: &Plan, stage: StageName) -> Vec<&ContextSelection> {
    let mut copies = Vec::new();
    let mut next = Some(stage);
    while let Some(name) = next {
        let stage = plan.stage(name).unwrap();
        copies.extend(stage.steps.iter().filter_map(|step| match step {
            Step::CopyContext { files, .. } => Some(files),
            _ => None,
        }));
        next = match stage.base {
            Base::Stage { stage } => Some(stage),
            _ => None,
        };
    }
    copies
}

#[test]
fn every_corpus_project_plans_as_a_new_user_meets_it() {
    let projects = corpus();
    assert!(projects.len() >= 24, "the corpus shrank: {projects:?}");
    for language in ["go", "node", "python", "rust"] {
        let count = projects.iter().filter(|p| p.starts_with(language)).count();
        assert!(count >= 5, "only {count} {language} projects");
    }
    for project in &projects {
        insta::assert_snapshot!(
            format!("corpus_{}", project.replace('/', "-")),
            snapshot(project)
        );
    }
}

/// What the project's .dockerignore leaves out is in no view of the context: every local source
/// of the LLB carries the ignore file's patterns as excludes, and no step's selection picks the
/// ignored files (the engine test checks the image's layers).
#[test]
fn ignored_files_are_in_no_view_of_the_context() {
    use strata::llb::{self, LowerOptions};
    let (ws, spec, _) = with_spec("python/dockerignore-secret");
    let plan = strata::pipeline::plan_directory(&ws.dir, &spec, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let ignored = ["local_secrets.py", "config/local.toml", "NOTES.md"];
    let all = support::files_under(&ws.dir);
    for stage in &plan.stages {
        for step in &stage.steps {
            let selections: Vec<&strata::plan::ContextSelection> = match step {
                Step::CopyContext { files, .. } => vec![files],
                Step::Run(run) => run
                    .mounts
                    .iter()
                    .filter_map(|m| match m {
                        strata::plan::Mount::Context { files, .. } => Some(files),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for files in selections {
                let seen = files
                    .pick(&plan.excluded, all.iter().map(String::as_str))
                    .unwrap();
                for file in ignored {
                    assert!(!seen.contains(&file), "{file} reaches a step: {seen:?}");
                }
            }
        }
    }
    let definition = llb::lower(
        &plan,
        &LowerOptions {
            session_id: Some("session"),
            context_directory: "context",
            platform: None,
            build_platform: None,
            image_resolve_mode: None,
            target: StageName::Runtime,
            images: &std::collections::BTreeMap::new(),
            no_cache: &[],
            spec_source: None,
        },
    );
    let json = llb::definition_to_json(&definition);
    let sources: Vec<&serde_json::Value> = json["ops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|op| op["op"]["body"]["identifier"] == "local://context")
        .collect();
    assert!(sources.len() >= 2, "{json}");
    for source in sources {
        let excludes: Vec<String> = serde_json::from_str(
            source["op"]["body"]["attrs"]["local.excludepatterns"]
                .as_str()
                .expect("every view of the context has excludes"),
        )
        .unwrap();
        for pattern in [
            "local_secrets.py",
            "config/*",
            "!config/defaults.toml",
            "*.md",
        ] {
            assert!(excludes.contains(&pattern.to_string()), "{source}");
        }
    }
}
