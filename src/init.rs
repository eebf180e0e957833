//! `strata init`: a starting strata.yaml for an unfamiliar project, checked by planning it.

use std::path::Path;

use crate::lang::{self, ContextFiles, IgnoreFile};
use crate::plan::Plan;
use crate::spec::{self, Diagnostic, Language};

/// The JSON Schema file `strata init` writes beside the spec and names in its
/// `yaml-language-server` modeline (the line after `# syntax=`, where editors look for it).
pub const SCHEMA_FILE: &str = "strata.schema.json";

/// A starting spec: its text, and why it cannot build yet when strata could not tell how the
/// app starts (the text then leaves `run.command` to the user).
pub struct Starter {
    pub text: String,
    pub needs_command: Option<Diagnostic>,
}

/// The spec text for the project in `dir`, to be written to `spec_file`, or why none can be
/// written. The text is planned against the directory before it is returned, so it builds as
/// written — unless strata cannot tell how the app starts: then it is written with the command
/// left to the user, and says so.
/// `frontend` is the image its `# syntax=` line names.
pub fn starter_spec(
    dir: &Path,
    spec_file: &Path,
    language: Option<Language>,
    frontend: &str,
) -> Result<Starter, String> {
    let unreadable =
        |e: std::io::Error| format!("{}: cannot list the directory: {e}", dir.display());
    let ignore = IgnoreFile::find(dir, spec_file).map_err(unreadable)?;
    let list = |probe: &lang::Probe| {
        ContextFiles::from_dir(dir, ".", probe, ignore.clone()).map_err(unreadable)
    };
    let everything = list(&lang::probe_all())?;
    let language = match language {
        Some(language) => language,
        None => detected_language(dir, &everything)?,
    };
    let found_port = listening_port(dir, &everything);
    let files = list(&lang::probe_for(&spec_for(frontend, language, None)?))?;
    // The port the start command binds (a framework's server, a Procfile's $PORT, a site's
    // server) wins over one the sources mention.
    let port = match lang::plan(&spec_for(frontend, language, None)?, &files) {
        Ok(plan) => plan.image.ports.first().and_then(|p| {
            let number = p.split('/').next()?.parse().ok()?;
            Some(PortLine {
                number,
                why: format!("the port of {}", plan.image.chosen_by),
                certain: true,
            })
        }),
        Err(problems) if lang::missing_start(&problems).is_some() => {
            let missing = lang::missing_start(&problems).cloned();
            let port = found_port;
            return Ok(Starter {
                text: template(frontend, language, port, missing.as_ref()),
                needs_command: missing,
            });
        }
        Err(problems) => return Err(problems.render_for(&dir.display().to_string())),
    }
    .or(found_port);
    let text = template(frontend, language, port, None);
    let plan = lang::plan(
        &spec::parse(text.as_bytes()).map_err(|d| d.render("strata.yaml", &text))?,
        &files,
    )
    .map_err(|problems| problems.render_for(&dir.display().to_string()))?;
    Ok(Starter {
        text: format!("{text}{}", found(&plan)),
        needs_command: None,
    })
}

/// The one language the listing looks like, or why there is none.
fn detected_language(dir: &Path, files: &ContextFiles) -> Result<Language, String> {
    match lang::detect(files, ".").as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "{}: found no project strata knows (it looks for {})",
            dir.display(),
            lang::PROJECT_MARKERS
        )),
        many => {
            let names: Vec<&str> = many.iter().map(|l| l.name()).collect();
            Err(format!(
                "{}: this looks like several languages ({}); pass --language with one of them",
                dir.display(),
                names.join(", ")
            ))
        }
    }
}

/// The template parsed, for planning.
fn spec_for(
    frontend: &str,
    language: Language,
    port: Option<PortLine>,
) -> Result<spec::Spec, String> {
    let text = template(frontend, language, port, None);
    spec::parse(text.as_bytes()).map_err(|d| d.render("strata.yaml", &text))
}

/// What the plan of the written spec will do, as comments a newcomer can check at a glance:
/// each step, what the build and runtime steps see and why, and the start command.
fn found(plan: &Plan) -> String {
    let mut lines = vec![format!(
        "# strata found a {} app `{}`:",
        plan.language, plan.app
    )];
    for stage in &plan.stages {
        for step in &stage.steps {
            lines.push(format!("#   {}", step.name()));
        }
    }
    if let Some(sources) = plan.sources() {
        lines.push("#   the build sees (build.include and build.exclude change it):".to_string());
        lines.extend(sources.summary().iter().map(|l| format!("#     {l}")));
    }
    if let Some(ignored) = plan.excluded.summary() {
        lines.push(format!("#   no step sees {ignored}"));
    }
    if let Some(toolchain) = &plan.toolchain {
        lines.push(format!(
            "#   builds with {} {} (chosen by {})",
            toolchain.name, toolchain.version, toolchain.chosen_by
        ));
    }
    lines.push(format!(
        "#   starts with {:?} (chosen by {}); `strata plan` shows every detail",
        plan.image.entrypoint, plan.image.chosen_by
    ));
    lines.extend(plan.warnings.iter().map(|w| format!("# warning: {w}")));
    lines.join("\n") + "\n"
}

/// The port the app's own sources say it listens on, by the usual spellings (`:8080"` in a Go
/// `ListenAndServe`, `.listen(3000` in Node, `0.0.0.0:8080` in Rust, `port=8000` in Python).
/// Only the sources strata lists are read, each at most 256 KiB. A loopback address
/// (`"127.0.0.1:8090"`, `"localhost:7700"`) counts only when nothing else does, and says that
/// the app must listen on all addresses to be reached from outside its container.
fn listening_port(dir: &Path, files: &ContextFiles) -> Option<PortLine> {
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
            && !lang::beside_the_app(p)
    });
    let mut loopback = None;
    for path in sources.take(500) {
        let Ok(text) = std::fs::read(dir.join(path)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text[..text.len().min(256 * 1024)]).into_owned();
        if loopback.is_none() {
            loopback = loopback_port(&text).map(|(address, port)| {
                let why = format!(
                    "found in {path}, which binds {address}: only the container itself reaches \
                     that; make the app listen on 0.0.0.0 (its flag in run.args, or its \
                     variable in run.env)"
                );
                PortLine {
                    number: port,
                    why,
                    certain: false,
                }
            });
        }
        for marker in MARKERS {
            for (at, _) in text.match_indices(marker) {
                let digits: String = text[at + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if let Ok(port) = digits.parse::<u16>() {
                    if port > 0 {
                        return Some(PortLine::in_the_sources(port));
                    }
                }
            }
        }
        if let Some(port) = port_default(&text) {
            return Some(PortLine::in_the_sources(port));
        }
    }
    loopback
}

/// The spec's `ports:` line: the port, why, and whether it is written as a setting or, for a
/// guess the user must confirm, as a comment.
struct PortLine {
    number: u16,
    why: String,
    certain: bool,
}

impl PortLine {
    fn in_the_sources(number: u16) -> PortLine {
        PortLine {
            number,
            why: "found in the sources".to_string(),
            certain: true,
        }
    }
}

/// A loopback listen address in a string literal (`"127.0.0.1:8090"`, `'localhost:3000'`):
/// the address and the port. A URL (`"http://localhost:5432"`) is a client's, not this.
fn loopback_port(text: &str) -> Option<(&'static str, u16)> {
    ["127.0.0.1", "localhost"].iter().find_map(|address| {
        ['"', '\''].iter().find_map(|quote| {
            let marker = format!("{quote}{address}:");
            text.match_indices(&marker).find_map(|(at, _)| {
                let digits: String = text[at + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                let port: u16 = digits.parse().ok().filter(|p| *p > 0)?;
                Some((*address, port))
            })
        })
    })
}

/// The default of a `PORT` variable, the way sources spell it: `os.environ.get("PORT",
/// "8000")`, `getenv("PORT", 5000)`, `var("PORT").unwrap_or_else(|_| "8080"...)`: the first
/// number of two to five digits within a few characters after `PORT` — the word itself, not
/// another service's (`ELASTICSEARCH_PORT`, `DB_PORT`).
fn port_default(text: &str) -> Option<u16> {
    let identifier = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (at, _) in text.match_indices("PORT") {
        let after: String = text[at + 4..].chars().take(40).collect();
        if after.starts_with(identifier) || text[..at].ends_with(identifier) {
            continue;
        }
        let mut previous = ' ';
        for (i, c) in after.char_indices() {
            // Another port's variable first (`"PORT": env("POSTGRES_PORT", "5432")`, a
            // database setting): its default is that service's.
            if after[..i].contains("PORT") {
                break;
            }
            if c.is_ascii_digit() && !previous.is_ascii_alphanumeric() {
                // From the text itself: the window may end inside the number.
                let digits: String = text[at + 4 + i..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if (2..=5).contains(&digits.len()) {
                    return digits.parse().ok().filter(|p: &u16| *p >= 80);
                }
            }
            if c == '\n' || c == ';' {
                break;
            }
            previous = c;
        }
    }
    None
}

/// The spec text: the port when one is known, and — when strata could not tell how the app
/// starts — the `run.command` line to fill in, with what strata looked for.
fn template(
    frontend: &str,
    language: Language,
    port: Option<PortLine>,
    needs_command: Option<&Diagnostic>,
) -> String {
    let ports = match port {
        Some(PortLine {
            number,
            why,
            certain,
        }) => {
            let setting = match certain {
                true => format!("  ports: [{number}]"),
                false => format!("  # ports: [{number}]"),
            };
            format!("{setting:<30}# {why}")
        }
        None => "  # ports: [8080]             # what the service listens on".to_string(),
    };
    let command = match needs_command {
        Some(missing) => format!(
            "  # command: []               # FILL IN: {}\n  #   {}",
            missing.message,
            missing.hint.as_deref().unwrap_or("set `run.command`")
        ),
        None => "  # command: [\"/app/server\"]  # the entrypoint, when strata's guess is not it"
            .to_string(),
    };
    let specifics = match language {
        Language::Go => {
            "\
# build:
#   main: ./cmd/server        # the package to build; found automatically when there is one
#   include: [\"config/**\"]   # files the compile step needs besides packages and embeds
#   exclude: [\"web/raw/**\"]  # files it must not see
# go:                         # module proxy settings for the dependency step
#   proxy: https://goproxy.example.com
#   private: [example.com/*]
"
        }
        Language::Python | Language::Node => {
            "\
# build:
#   include: [\"docs/**\"]     # files strata leaves out that the app reads after all
#   exclude: [\"fixtures/**\"] # files neither the build nor the image needs
"
        }
        Language::Static => {
            "\
# build:
#   exclude: [\"drafts/**\"]   # files the site must not serve
"
        }
        Language::Rust => {
            "\
# rust:
#   static: true              # link glibc statically and run on the distroless-style base
#   package: server           # in a workspace: the member and binary to build
#   bin: server
# build:
#   exclude: [\"fixtures/**\"] # files the compile step need not see
"
        }
    };
    format!(
        "\
# syntax={frontend}
# yaml-language-server: $schema={SCHEMA_FILE}
# Written by `strata init`. Build with: docker buildx build -f strata.yaml .
# Every key is described in strata's README (\"strata.yaml reference\").
version: 1
language: {language}
run:
{ports}
{command}
  # env:
  #   LOG_LEVEL: info
# ca:                         # behind a TLS-intercepting proxy: pass its CA bundle with
#   secret: ca                # --secret id=ca,src=bundle.pem (it never enters a layer)
{specifics}",
        language = language.name()
    )
}

#[cfg(test)]
mod tests {
    use super::{loopback_port, port_default};

    #[test]
    fn a_loopback_listen_address_is_found_and_a_client_url_is_not() {
        assert_eq!(
            loopback_port(r#"flag.String("http", "127.0.0.1:8090", "address")"#),
            Some(("127.0.0.1", 8090))
        );
        assert_eq!(
            loopback_port("http_addr = 'localhost:7700'"),
            Some(("localhost", 7700))
        );
        assert_eq!(
            loopback_port(r#"db = "postgres://localhost:5432/app""#),
            None
        );
        assert_eq!(loopback_port(r#"addr := "0.0.0.0:8080""#), None);
    }

    #[test]
    fn a_port_variable_default_is_the_listening_port() {
        for (source, port) in [
            ("port = int(os.environ.get(\"PORT\", \"8000\"))", Some(8000)),
            ("app.run(port=int(os.getenv('PORT', 5000)))", Some(5000)),
            (
                "var(\"PORT\").unwrap_or_else(|_| \"8080\".to_string())",
                Some(8080),
            ),
            ("const port = process.env.PORT ?? 3000;", Some(3000)),
            ("PORTS = [1, 2]", None),
            (
                "\"PORT\": env.str(\"POSTGRES_PORT\", default=\"5432\"),",
                None,
            ),
            (
                "PORT = os.environ.get(   \"PORT_NUMBER_FOR_THIS\", 8000)",
                None,
            ),
            (
                "PORT = int(os.environ.get('APP_LISTEN', ' 12345'))",
                Some(12345),
            ),
            ("REPORT = 42", None),
            (
                "\"port\": int(os.getenv(\"ELASTICSEARCH_PORT\", \"9200\"))",
                None,
            ),
        ] {
            assert_eq!(port_default(source), port, "{source}");
        }
    }
}
