//! Which of the engine's LLB capabilities a lowered plan relies on, by the ids the engine
//! lists in its `Ping` answer: what `strata doctor` compares with the engine it talks to.

use std::collections::BTreeMap;

use crate::plan::{Mount, Network, Plan, Step};

/// The oldest engine strata is tested against, and what to tell a user whose engine is older.
pub const ENGINE_FLOOR: &str = "BuildKit v0.13 (Docker 26.1)";

/// What the plan needs that the engine's enabled LLB capabilities lack, as `what (id)`.
pub fn missing_caps(plan: &Plan, engine_caps: &[String]) -> Vec<String> {
    required_caps(plan)
        .into_iter()
        .filter(|(id, _)| !engine_caps.iter().any(|cap| cap == id))
        .map(|(id, what)| format!("{what} ({id})"))
        .collect()
}

/// Capability id → what in the plan needs it, for the plan's stages.
pub fn required_caps(plan: &Plan) -> BTreeMap<&'static str, &'static str> {
    let mut caps = BTreeMap::from([
        ("source.image", "base images"),
        ("source.local.includepatterns", "precise context includes"),
        (
            "source.local.excludepatterns",
            ".dockerignore and what no step reads",
        ),
        ("file.base", "copying context files"),
    ]);
    for step in plan.stages.iter().flat_map(|s| &s.steps) {
        match step {
            // Stage outputs are linked onto their base with a merge (like COPY --link).
            Step::CopyFromStage { .. } | Step::CopyFromImage { .. } => {
                caps.insert("mergeop", "linking stage outputs onto the runtime");
            }
            Step::LayersOfStage { .. } => {
                caps.insert("mergeop", "linking stage outputs onto the runtime");
                caps.insert("diffop", "a stage's own layers, without its base image");
            }
            Step::Run(run) => {
                for mount in &run.mounts {
                    let (id, what) = match mount {
                        Mount::Cache { .. } => ("exec.mount.cache.sharing", "cache mounts"),
                        Mount::Secret { .. } => ("exec.mount.secret", "secrets (the CA bundle)"),
                        Mount::Tmpfs { .. } => ("exec.mount.tmpfs", "in-memory trust directory"),
                        Mount::SshAgent { .. } => ("exec.mount.ssh", "the SSH agent"),
                        Mount::Context { .. } => ("exec.mount.bind", "source mounts"),
                        Mount::Output { .. } => ("exec.mount.bind", "output directories"),
                        Mount::BuildSettings { .. } => {
                            ("exec.mount.cache.sharing", "settings from build args")
                        }
                    };
                    caps.insert(id, what);
                }
                if run.proxy.is_some() {
                    caps.insert(
                        "exec.meta.proxyenv",
                        "proxy settings kept out of cache keys",
                    );
                }
                if run.network != Network::Default {
                    caps.insert("exec.meta.network", "per-step network modes");
                }
            }
            Step::CopyContext { .. } | Step::WriteFiles { .. } => {}
        }
    }
    caps
}
