//! A static site: an `index.html` and what it links, with no language around it. Nothing to
//! install or build: the image is the site's files (without documentation, tooling and local
//! settings) and strata's web server.

use super::context::join;
use super::inputs::{Documentation, Sources};
use super::stages::{SITE_DIR, Stages, site_runtime};
use super::{ContextFiles, PROJECT_MARKERS, Probe, Provider};
use crate::plan::{ImageRole, Plan, Step, default_image};
use crate::spec::{Diagnostic, Diagnostics, Language, Spanned, Spec};

pub struct Site;

/// What makes a directory a project of another language: a site is only a site without them.
const OTHER_MARKERS: &[&str] = &[
    "go.mod",
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "requirements.txt",
    "uv.lock",
    "poetry.lock",
];

impl Provider for Site {
    fn language(&self) -> Language {
        Language::Static
    }

    fn probe(&self) -> Probe {
        Probe::default()
    }

    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool {
        files.contains(&join(app_dir, "index.html"))
            && OTHER_MARKERS
                .iter()
                .all(|marker| !files.contains(&join(app_dir, marker)))
    }

    fn contacts(&self, _spec: &Spec) -> Vec<String> {
        Vec::new()
    }

    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
        let app = match spec.path.value.as_str() {
            "." => "site".to_string(),
            dir => dir.rsplit('/').next().unwrap_or(dir).to_string(),
        };
        // `run.static` names the folder inside the project that is the site: plan that folder.
        let inner;
        let spec = match &spec.run.site {
            Some(site) => {
                inner = Spec {
                    path: Spanned {
                        value: join(&spec.path.value, &site.value),
                        location: site.location,
                    },
                    ..spec.clone()
                };
                &inner
            }
            None => spec,
        };
        let dir = spec.path.value.as_str();
        if !files.contains(&join(dir, "index.html")) {
            return Err(Diagnostic::at(
                spec.path.location,
                format!("`{dir}` has no index.html to serve"),
            )
            .with_hint(format!(
                "point `path:` (or `run.static`) at the site's directory; other projects need one of {PROJECT_MARKERS}"
            ))
            .into());
        }
        let site = Step::CopyContext {
            name: "[strata runtime] copy the site".to_string(),
            files: Sources::app_directory(spec, Documentation::ByName).finish(spec),
            dest: SITE_DIR.to_string(),
        };
        let mut warnings = Vec::new();
        let why = match spec.run.site {
            Some(_) => "run.static",
            None => "an index.html and no other project",
        };
        let runtime = site_runtime(spec, &app, site, why, &mut warnings);
        // Nothing to install or compile: the two stages before the runtime are empty, on the
        // image the runtime uses anyway.
        Ok(Stages {
            language: Language::Static,
            builder: default_image(ImageRole::RuntimeStatic).to_string(),
            toolchain: None,
            deps: Vec::new(),
            build: Vec::new(),
            build_output: None,
            cross_compile: None,
            runtime_base: runtime.base,
            runtime: runtime.steps,
            image: runtime.image,
            warnings,
            app,
        }
        .into_plan(spec))
    }
}
