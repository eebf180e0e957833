//! The pipeline's entry from disk: a spec file and its context directory in, a plan out. The
//! CLI, `strata doctor` and the tests all plan through here; the gateway, which
//! reads the same two things from the engine, shares the steps (`spec::parse`, `lang::plan`) and
//! the rendering of their problems.

use std::collections::BTreeMap;
use std::path::Path;

use crate::lang;
use crate::plan::Plan;
use crate::spec;

/// Why a directory could not be planned.
pub enum PlanError {
    /// The spec or the context could not be read at all.
    Unreadable(String),
    /// The spec was read and has problems, each with its place.
    Invalid {
        file: String,
        source: String,
        problems: spec::Diagnostics,
    },
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Unreadable(message) => f.write_str(message),
            PlanError::Invalid {
                file,
                source,
                problems,
            } => f.write_str(&problems.render(file, source)),
        }
    }
}

/// Reads a spec from disk and plans it against the context directory, with the mirrors the
/// build args give (`--build-arg GOPROXY=…`) over the spec's.
pub fn plan_directory(
    context: &Path,
    spec_file: &Path,
    build_args: &BTreeMap<String, String>,
) -> Result<Plan, PlanError> {
    let file = spec_file.display().to_string();
    let bytes = std::fs::read(spec_file).map_err(|e| {
        PlanError::Unreadable(format!(
            "{file}: error: cannot read the spec: {e}\n  = hint: run `strata init` to write one, or pass -f"
        ))
    })?;
    let source = String::from_utf8_lossy(&bytes).into_owned();
    let invalid = |problems| PlanError::Invalid {
        file: file.clone(),
        source: source.clone(),
        problems,
    };
    let mut spec = spec::parse(&bytes).map_err(invalid)?;
    spec::mirrors::apply_build_args(&mut spec, build_args)
        .map_err(|problems| PlanError::Unreadable(build_arg_problems(&problems)))?;
    let files = lang::list_directory(context, spec_file, &spec).map_err(|e| {
        PlanError::Unreadable(format!(
            "{}: error: cannot list the build context: {e}",
            context.display()
        ))
    })?;
    lang::plan(&spec, &files).map_err(invalid)
}

/// Problems with build args, one `error:` each: they have no place in a file to point at.
pub fn build_arg_problems(problems: &[String]) -> String {
    problems
        .iter()
        .map(|p| format!("error: {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
