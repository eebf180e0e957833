//! Language providers: each turns a spec plus what the build context holds into a plan.
//!
//! Providers are plain functions over data. They never touch BuildKit or the filesystem: the
//! caller lists the context (the CLI from disk, the gateway through the engine) using the
//! provider's [`Probe`] and hands the result in as [`ContextFiles`].

mod context;
mod go;

pub use context::{ContextFiles, Probe};

use crate::plan::Plan;
use crate::spec::{Diagnostic, Diagnostics, Language, Spec};

pub trait Provider {
    fn language(&self) -> Language;
    /// Which context files this provider needs to see (relative to the app directory).
    fn probe(&self) -> Probe;
    /// Whether the listed files look like a project of this language.
    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool;
    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics>;
}

fn providers() -> Vec<Box<dyn Provider>> {
    vec![Box::new(go::Go)]
}

/// The files to list when the spec does not name a language: every provider's probe.
pub fn probe_for(spec: &Spec) -> Probe {
    let Some(wanted) = spec.language.as_ref().map(|l| l.value) else {
        return probe_all();
    };
    let mut probe = Probe::default();
    for provider in providers().iter().filter(|p| p.language() == wanted) {
        probe.extend(provider.probe());
    }
    probe
}

/// Picks the provider (named by the spec, or detected) and plans the build.
pub fn plan(spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
    let all = providers();
    let provider = match &spec.language {
        Some(named) => all
            .iter()
            .find(|p| p.language() == named.value)
            .ok_or_else(|| {
                Diagnostic::at(
                    named.location,
                    format!("language `{}` is not supported yet", named.value.name()),
                )
                .with_hint("this strata plans go projects")
            })?,
        None => {
            let found = detect(files, &spec.path.value);
            match found.as_slice() {
                [one] => all
                    .iter()
                    .find(|p| p.language() == *one)
                    .expect("detect only names languages that have a provider"),
                [] => {
                    return Err(Diagnostic::at(
                        spec.path.location,
                        format!(
                            "could not tell the language of `{}`: no go.mod found there",
                            spec.path.value
                        ),
                    )
                    .with_hint("set `language:` or point `path:` at the project directory")
                    .into());
                }
                many => {
                    let names: Vec<&str> = many.iter().map(|l| l.name()).collect();
                    return Err(Diagnostic::at(
                        spec.path.location,
                        format!(
                            "`{}` looks like several languages: {}",
                            spec.path.value,
                            names.join(", ")
                        ),
                    )
                    .with_hint("set `language:` to the one to build")
                    .into());
                }
            }
        }
    };
    provider.plan(spec, files)
}

/// The languages whose providers recognise the project in `app_dir`.
pub fn detect(files: &ContextFiles, app_dir: &str) -> Vec<Language> {
    providers()
        .iter()
        .filter(|p| p.detect(files, app_dir))
        .map(|p| p.language())
        .collect()
}

/// Every provider's probe: what `strata init` lists before it knows the language.
pub fn probe_all() -> Probe {
    let mut probe = Probe::default();
    for provider in providers() {
        probe.extend(provider.probe());
    }
    probe
}
