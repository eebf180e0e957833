//! The command line: `strata plan | llb | check | init | schema | cache | doctor`, and `strata frontend`
//! (what the engine runs).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use prost::Message;

use crate::llb::{self, LowerOptions};
use crate::pipeline::{PlanError, plan_directory};
use crate::plan::StageName;
use crate::spec::{self, Language};

const USAGE: &str = "\
strata: cache-correct container builds from a small strata.yaml

usage:
  strata plan [DIR] [-f FILE] [--json]              print the build plan
  strata llb  [DIR] [-f FILE] [--json] [--target T] print the LLB definition (raw bytes, or JSON)
  strata check [DIR] [-f FILE] [--json]             validate the spec against DIR; exit 1 on errors
  strata init [DIR] [--language L] [--force] [--print] [--frontend IMAGE]
                                                    write DIR/strata.yaml for the project in DIR
                                                    (--print: show it, write nothing; IMAGE: the
                                                    `# syntax=` frontend, default {DEFAULT})
  strata schema                                     print the JSON Schema of strata.yaml
  strata cache ls|prune [--namespace NS] [--older-than D]  strata's cache mounts on the engine
  strata doctor [DIR] [-f FILE] [--secret S] [--build-arg A] [--allow E]
                                                    check the engine, network and spec; say fixes
  strata serve DIR                                  serve a built site (what a front-end app's image runs)
  strata frontend                                   run as a BuildKit gateway frontend
  strata --version

DIR is the build context (default `.`); FILE is the spec (default DIR/strata.yaml). A spec
file given in DIR's place is FILE, with its directory as the context.
Exit codes: 0 success, 1 problems found (or the command failed), 2 a usage error.
T is deps, build or runtime (default runtime).";

/// The usage text, with the frontend image this build of the CLI names by default.
fn usage() -> String {
    USAGE.replace("{DEFAULT}", &spec::default_frontend_image())
}

enum Command {
    Plan,
    Llb,
    Check,
    Init,
    Schema,
}

struct Args {
    command: Command,
    dir: PathBuf,
    file: Option<PathBuf>,
    json: bool,
    target: StageName,
    force: bool,
    /// `strata init --print`: the spec on stdout, nothing written.
    print: bool,
    language: Option<Language>,
    /// `strata init --frontend IMAGE`: the `# syntax=` line's image.
    frontend: Option<String>,
}

fn parse_args(raw: &[String]) -> Result<Args, String> {
    let mut args = Args {
        command: Command::Plan,
        dir: PathBuf::from("."),
        file: None,
        json: false,
        target: StageName::Runtime,
        force: false,
        print: false,
        language: None,
        frontend: None,
    };
    let mut positional = Vec::new();
    let mut iter = raw.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--json" => args.json = true,
            "--force" => args.force = true,
            "--print" => args.print = true,
            "--language" => {
                let value = iter.next().ok_or("--language needs a language name")?;
                let language = Language::ALL.into_iter().find(|l| l.name() == value);
                args.language =
                    Some(language.ok_or_else(|| format!("unknown language `{value}`"))?);
            }
            "--frontend" => {
                let value = iter.next().ok_or("--frontend needs an image reference")?;
                args.frontend = Some(value.clone());
            }
            "-f" | "--file" => {
                let value = iter.next().ok_or("-f needs a file name")?;
                args.file = Some(PathBuf::from(value));
            }
            "--target" => {
                let value = iter.next().ok_or("--target needs a stage name")?;
                args.target = StageName::parse(value)?;
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            word => positional.push(word.to_string()),
        }
    }
    let mut positional = positional.into_iter();
    args.command = match positional.next().as_deref() {
        Some("plan") => Command::Plan,
        Some("llb") => Command::Llb,
        Some("check") => Command::Check,
        Some("init") => Command::Init,
        Some("schema") => Command::Schema,
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("no command given".to_string()),
    };
    if let Some(dir) = positional.next() {
        args.dir = PathBuf::from(dir);
    }
    // `strata check path/to/strata.yaml`: a spec file where the directory goes is that spec,
    // with its own directory as the context.
    if args.dir.is_file() && args.file.is_none() {
        let spec = std::mem::take(&mut args.dir);
        args.dir = match spec.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        args.file = Some(spec);
    }
    if let Some(extra) = positional.next() {
        return Err(format!("unexpected argument `{extra}`"));
    }
    Ok(args)
}

pub fn run(raw: &[String]) -> ExitCode {
    // `-h`/`--help` anywhere, for every command, is a request for help, not a usage error.
    if raw.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{}", usage());
        return ExitCode::SUCCESS;
    }
    match raw.first().map(String::as_str) {
        Some("--version" | "version") => {
            println!("strata {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h" | "help") | None => {
            println!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Some("frontend") => return crate::gateway::run_frontend(),
        Some("cache") => return crate::cache::run(&raw[1..]),
        Some("doctor") => return crate::doctor::run(&raw[1..]),
        Some("serve") => return crate::serve::run(&raw[1..]),
        _ => {}
    }
    let args = match parse_args(raw) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("strata: {message}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn execute(args: &Args) -> Result<(), String> {
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| args.dir.join("strata.yaml"));
    match args.command {
        Command::Check => return check(&args.dir, &file, args.json),
        Command::Init => return init(args, &file),
        Command::Schema => {
            print!("{}", schema_text());
            return Ok(());
        }
        Command::Plan | Command::Llb => {}
    }
    let plan = plan_directory(&args.dir, &file).map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    let written = if let Command::Llb = args.command {
        let definition = llb::lower(
            &plan,
            &LowerOptions {
                session_id: None,
                context_directory: "context",
                platform: None,
                build_platform: None,
                image_resolve_mode: None,
                target: args.target,
                images: &BTreeMap::new(),
                no_cache: &[],
                spec_source: None,
            },
        );
        if args.json {
            let json = llb::definition_to_json(&definition);
            writeln!(stdout, "{}", to_pretty_json(&json))
        } else {
            stdout.write_all(&definition.encode_to_vec())
        }
    } else if args.json {
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
fn init(args: &Args, file: &Path) -> Result<(), String> {
    let dir = &args.dir;
    if file.exists() && !args.force && !args.print {
        return Err(format!(
            "{}: already exists; strata init leaves it alone (pass --force to replace it)",
            file.display()
        ));
    }
    let frontend = args
        .frontend
        .clone()
        .unwrap_or_else(spec::default_frontend_image);
    let starter = crate::init::starter_spec(dir, file, args.language, &frontend)?;
    if args.print {
        print!("{}", starter.text);
    } else {
        write_file(file, &starter.text)?;
        let schema_file = file.with_file_name(crate::init::SCHEMA_FILE);
        // A schema already there may be one the user regenerated on purpose; --force
        // refreshes it.
        let schema_written = args.force || !schema_file.exists();
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
    let outcome = plan_directory(context, spec_file);
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
