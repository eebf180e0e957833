//! The command line: `strata plan | llb | check | init | schema | cache | doctor | serve |
//! completions`, and `strata frontend` (what the engine runs). `args` holds the one table of
//! commands and options that parsing, help and completions are made from.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use args::{Invocation, Parsed};
use prost::Message;

use crate::llb::{self, LowerOptions};
use crate::pipeline::{PlanError, plan_directory};
use crate::plan::StageName;
use crate::spec::{self, Language};

mod args;

/// The `strata` command: `raw` is the command line without the program name.
pub fn run(raw: impl IntoIterator<Item = OsString>) -> ExitCode {
    let parsed = match args::parse(raw) {
        Ok(Invocation::Help(command)) => {
            println!("{}", args::help(command));
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Version) => {
            println!("strata {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Run(parsed)) => parsed,
        Err(error) => {
            eprintln!("strata: {}\n\n{}", error.message, args::help(error.command));
            return ExitCode::from(2);
        }
    };
    let dir_and_file = || spec_location(&parsed);
    let outcome = match parsed.command.name {
        "frontend" => return crate::gateway::run_frontend(),
        "serve" => return crate::serve::run(Path::new(&parsed.positionals[0])),
        "doctor" => {
            let (dir, file) = dir_and_file();
            let build_flags = ["secret", "build-arg", "allow", "ssh", "builder"]
                .into_iter()
                .flat_map(|long| {
                    parsed
                        .values(long)
                        .iter()
                        .flat_map(move |value| [format!("--{long}"), value.clone()])
                })
                .collect();
            return crate::doctor::run(crate::doctor::Options {
                dir,
                file,
                build_flags,
            });
        }
        "cache" => crate::cache::run(
            &parsed.positionals[0],
            parsed.value("namespace"),
            parsed.value("older-than"),
        ),
        "completions" => args::completions(&parsed.positionals[0]).map(|script| print!("{script}")),
        "schema" => {
            print!("{}", schema_text());
            Ok(())
        }
        "init" => {
            let (dir, file) = dir_and_file();
            init(&parsed, &dir, &file)
        }
        "check" => {
            let (dir, file) = dir_and_file();
            check(&dir, &file, parsed.flag("json"))
        }
        _ => {
            let (dir, file) = dir_and_file();
            print_plan(&parsed, &dir, &file)
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The context directory and the spec file a command names: `[DIR] [-f FILE]`, or a spec
/// file in DIR's place, which is that spec with its own directory as the context.
fn spec_location(parsed: &Parsed) -> (PathBuf, PathBuf) {
    let mut dir = PathBuf::from(parsed.positionals.first().map_or(".", String::as_str));
    let mut file = parsed.value("file").map(PathBuf::from);
    if file.is_none() && dir.is_file() {
        let spec = std::mem::take(&mut dir);
        dir = match spec.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        file = Some(spec);
    }
    let file = file.unwrap_or_else(|| dir.join("strata.yaml"));
    (dir, file)
}

/// `strata plan` and `strata llb`.
fn print_plan(parsed: &Parsed, dir: &Path, file: &Path) -> Result<(), String> {
    let build_args: BTreeMap<String, String> = parsed
        .values("build-arg")
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(format!("--build-arg {pair}: write it as NAME=value")),
        })
        .collect::<Result<_, _>>()?;
    let plan = plan_directory(dir, file, &build_args).map_err(|e| e.to_string())?;
    let json = parsed.flag("json");
    let mut stdout = std::io::stdout().lock();
    let written = if parsed.command.name == "llb" {
        let target = match parsed.value("target") {
            Some(name) => StageName::parse(name)?,
            None => StageName::Runtime,
        };
        let definition = llb::lower(
            &plan,
            &LowerOptions {
                session_id: None,
                context_directory: "context",
                platform: None,
                build_platform: None,
                image_resolve_mode: None,
                target,
                images: &BTreeMap::new(),
                no_cache: &[],
                spec_source: None,
            },
        );
        if json {
            let json = llb::definition_to_json(&definition);
            writeln!(stdout, "{}", to_pretty_json(&json))
        } else {
            stdout.write_all(&definition.encode_to_vec())
        }
    } else if json {
        writeln!(stdout, "{}", to_pretty_json(&plan))
    } else {
        write!(stdout, "{plan}")
    };
    written.map_err(|e| format!("strata: cannot write the output: {e}"))
}

fn to_pretty_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("plans and LLB JSON are plain data")
}

/// `strata init`: writes a spec that plans as written, never over an existing one unless asked,
/// and the JSON Schema its modeline names, so editors complete and check it from the start.
/// With `--print`, prints the spec instead. A spec whose start command strata cannot tell is
/// written too, with the command left to the user and a warning.
fn init(parsed: &Parsed, dir: &Path, file: &Path) -> Result<(), String> {
    let force = parsed.flag("force");
    let print = parsed.flag("print");
    if file.exists() && !force && !print {
        return Err(format!(
            "{}: already exists; strata init leaves it alone (pass --force to replace it)",
            file.display()
        ));
    }
    let frontend = parsed
        .value("frontend")
        .map_or_else(spec::default_frontend_image, str::to_string);
    // The parser has checked the name against the languages.
    let language = parsed
        .value("language")
        .and_then(|name| Language::ALL.into_iter().find(|l| l.name() == name));
    let starter = crate::init::starter_spec(dir, file, language, &frontend)?;
    if print {
        print!("{}", starter.text);
    } else {
        write_file(file, &starter.text)?;
        let schema_file = file.with_file_name(crate::init::SCHEMA_FILE);
        // A schema already there may be one the user regenerated on purpose; --force
        // refreshes it.
        let schema_written = force || !schema_file.exists();
        if schema_written {
            write_file(&schema_file, &schema_text())?;
        }
        println!(
            "wrote {}{}; check it with `strata check {}`",
            file.display(),
            if schema_written {
                format!(" and {}", schema_file.display())
            } else {
                String::new()
            },
            dir.display()
        );
    }
    if let Some(missing) = starter.needs_command {
        eprintln!(
            "strata init: warning: {}; in {}: {}",
            missing.message,
            file.display(),
            missing.hint.as_deref().unwrap_or("set `run.command`")
        );
    }
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// What `strata schema` prints and `strata init` writes.
fn schema_text() -> String {
    format!("{}\n", to_pretty_json(&spec::schema::json_schema()))
}

/// `strata check`: the same validation a build does, without an engine. Problems go to stdout
/// (as JSON with --json, for editors and CI) and make the exit code 1.
fn check(context: &Path, spec_file: &Path, json: bool) -> Result<(), String> {
    let outcome = plan_directory(context, spec_file, &BTreeMap::new());
    let file = spec_file.display().to_string();
    if json {
        let problems: Vec<&spec::Diagnostic> = match &outcome {
            Err(PlanError::Invalid { problems, .. }) => problems.0.iter().collect(),
            _ => Vec::new(),
        };
        let report = serde_json::json!({
            "file": file,
            "ok": outcome.is_ok(),
            "problems": problems,
            "unreadable": match &outcome {
                Err(PlanError::Unreadable(message)) => Some(message.as_str()),
                _ => None,
            },
        });
        println!("{}", to_pretty_json(&report));
    }
    match outcome {
        Ok(plan) => {
            if !json {
                println!("{file}: ok ({} app `{}`)", plan.language, plan.app);
            }
            Ok(())
        }
        Err(e) if json => Err(format!("{file}: {} problem(s)", problem_count(&e))),
        Err(e) => Err(e.to_string()),
    }
}

fn problem_count(error: &PlanError) -> usize {
    match error {
        PlanError::Invalid { problems, .. } => problems.0.len(),
        PlanError::Unreadable(_) => 1,
    }
}
