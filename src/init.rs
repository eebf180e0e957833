//! `strata init`: a starting strata.yaml for an unfamiliar project, checked by planning it.

use std::path::Path;

use crate::lang::{self, ContextFiles};
use crate::plan::{Plan, Step};
use crate::spec::{self, Language};

/// The frontend image named on the first line of generated specs.
pub const FRONTEND_IMAGE: &str = "strata:dev";

/// The JSON Schema file `strata init` writes beside the spec and names in its
/// `yaml-language-server` modeline (the line after `# syntax=`, where editors look for it).
pub const SCHEMA_FILE: &str = "strata.schema.json";

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
    let files = ContextFiles::from_dir(dir, &lang::probe_all())
        .map_err(|e| format!("{}: cannot list the directory: {e}", dir.display()))?;
    let port = listening_port(dir, &files);
    let draft = template(language, port);
    let spec = spec::parse(draft.as_bytes()).map_err(|d| d.render("strata.yaml", &draft))?;
    let files = ContextFiles::from_dir(dir, &lang::probe_for(&spec))
        .map_err(|e| format!("{}: cannot list the directory: {e}", dir.display()))?;
    let plan = lang::plan(&spec, &files).map_err(|d| {
        format!(
            "{}\nstrata init wrote nothing: set the key above in a strata.yaml by hand",
            d.render("strata.yaml (generated)", &draft)
        )
    })?;
    Ok(format!("{draft}{}", found(&plan)))
}

/// What the plan of the written spec will do, as comments a newcomer can check at a glance.
fn found(plan: &Plan) -> String {
    let mut lines = vec![format!(
        "# strata found a {} app `{}`:",
        plan.language, plan.app
    )];
    for stage in &plan.stages {
        for step in &stage.steps {
            let name = match step {
                Step::CopyContext { name, .. }
                | Step::CopyFromStage { name, .. }
                | Step::WriteFiles { name, .. }
                | Step::Run(crate::plan::RunStep { name, .. }) => name,
            };
            lines.push(format!("#   {name}"));
        }
    }
    lines.push(format!(
        "#   starts with {:?}; `strata plan` shows every detail",
        plan.image.entrypoint
    ));
    lines.join("\n") + "\n"
}

/// The port the app's own sources say it listens on, by the usual spellings (`:8080"` in a Go
/// `ListenAndServe`, `.listen(3000` in Node, `0.0.0.0:8080` in Rust, `port=8000` in Python).
/// Only the sources strata lists are read, each at most 256 KiB.
fn listening_port(dir: &Path, files: &ContextFiles) -> Option<u16> {
    const MARKERS: [&str; 5] = [
        "ListenAndServe(\":",
        ".listen(",
        "0.0.0.0:",
        "port=",
        "PORT || ",
    ];
    let sources = files.paths.iter().filter(|p| {
        [".go", ".py", ".rs", ".js", ".ts", ".mjs"]
            .iter()
            .any(|ext| p.ends_with(ext))
    });
    for path in sources.take(500) {
        let Ok(text) = std::fs::read(dir.join(path)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text[..text.len().min(256 * 1024)]).into_owned();
        for marker in MARKERS {
            for (at, _) in text.match_indices(marker) {
                let digits: String = text[at + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if let Ok(port) = digits.parse::<u16>() {
                    if port > 0 {
                        return Some(port);
                    }
                }
            }
        }
    }
    None
}

fn template(language: Language, port: Option<u16>) -> String {
    let ports = match port {
        Some(port) => format!("{:<30}# found in the sources", format!("  ports: [{port}]")),
        None => "  # ports: [8080]             # what the service listens on".to_string(),
    };
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
        Language::Rust => {
            "\
# rust:
#   static: true              # link glibc statically and run on the distroless-style base
#   package: server           # in a workspace: the member and binary to build
#   bin: server
"
        }
        Language::Node => {
            "\
# build:
#   include: [\"views/**\", \"public/**\"] # files the app reads, besides scripts and JSON
"
        }
    };
    format!(
        "\
# syntax={FRONTEND_IMAGE}
# yaml-language-server: $schema={SCHEMA_FILE}
# Written by `strata init`. Build with: docker buildx build -f strata.yaml .
# Every key is described in strata's README (\"strata.yaml reference\").
version: 1
language: {language}
run:
{ports}
  # command: [\"/app/server\"]  # the entrypoint, when strata's guess is not it
  # env:
  #   LOG_LEVEL: info
# ca:                         # behind a TLS-intercepting proxy: pass its CA bundle with
#   secret: ca                # --secret id=ca,src=bundle.pem (it never enters a layer)
{specifics}",
        language = language.name()
    )
}
