//! `strata init`: a starting strata.yaml for an unfamiliar project, checked by planning it.

use std::path::Path;

use crate::lang::{self, ContextFiles};
use crate::spec::{self, Language};

/// The frontend image named on the first line of generated specs.
pub const FRONTEND_IMAGE: &str = "strata:dev";

/// The spec text for the project in `dir`, or why none can be written. The text is planned
/// against the directory before it is returned, so it builds as written.
pub fn starter_spec(dir: &Path, language: Option<Language>) -> Result<String, String> {
    let language = match language {
        Some(language) => language,
        None => {
            let files = ContextFiles::from_dir(dir, &lang::probe_all())
                .map_err(|e| format!("{}: cannot list the directory: {e}", dir.display()))?;
            match lang::detect(&files, ".").as_slice() {
                [one] => *one,
                [] => {
                    return Err(format!(
                        "{}: found no project strata knows (it looks for {})",
                        dir.display(),
                        lang::PROJECT_MARKERS
                    ));
                }
                many => {
                    let names: Vec<&str> = many.iter().map(|l| l.name()).collect();
                    return Err(format!(
                        "{}: this looks like several languages ({}); pass --language with one of them",
                        dir.display(),
                        names.join(", ")
                    ));
                }
            }
        }
    };
    let text = template(language);
    let spec = spec::parse(text.as_bytes()).map_err(|d| d.render("strata.yaml", &text))?;
    let files = ContextFiles::from_dir(dir, &lang::probe_for(&spec))
        .map_err(|e| format!("{}: cannot list the directory: {e}", dir.display()))?;
    lang::plan(&spec, &files).map_err(|d| {
        format!(
            "{}\nstrata init wrote nothing: set the key above in a strata.yaml by hand",
            d.render("strata.yaml (generated)", &text)
        )
    })?;
    Ok(text)
}

fn template(language: Language) -> String {
    let specifics = match language {
        Language::Go => {
            "\
# build:
#   main: ./cmd/server        # the package to build; found automatically when there is one
#   include: [\"templates/**\"] # files //go:embed needs, besides Go sources
# go:                         # module proxy settings for the dependency step
#   proxy: https://goproxy.example.com
#   private: [example.com/*]
"
        }
        Language::Python => {
            "\
# build:
#   include: [\"templates/**\"] # data files the app reads, besides Python sources
"
        }
        Language::Node => {
            "\
# build:
#   include: [\"views/**\", \"public/**\"] # files the app reads, besides scripts and JSON
"
        }
        Language::Rust => "",
    };
    format!(
        "\
# syntax={FRONTEND_IMAGE}
# Written by `strata init`. Build with: docker buildx build -f strata.yaml .
# Every key is described in strata's README (\"strata.yaml reference\").
version: 1
language: {language}
run:
  # ports: [8080]             # what the service listens on
  # command: [\"/app/server\"]  # the entrypoint, when strata's guess is not it
  # env:
  #   LOG_LEVEL: info
# ca:                         # behind a TLS-intercepting proxy: pass its CA bundle with
#   secret: ca                # --secret id=ca,src=bundle.pem (it never enters a layer)
{specifics}",
        language = language.name()
    )
}
