//! The command line as one table: every command, its arguments and options. The parser
//! (lexopt), `--help`, and the shell completions are all made from it, so they cannot disagree.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;

use lexopt::prelude::*;

/// One option of a command: `--long` (and `-s`), with a value named `value` or none.
pub struct Opt {
    pub long: &'static str,
    pub short: Option<char>,
    pub value: Option<&'static str>,
    /// The values the shell completes (`--language go`), when they are a closed set.
    pub choices: &'static [&'static str],
    pub help: &'static str,
}

pub struct Cmd {
    pub name: &'static str,
    /// The positional arguments, as usage shows them (`[DIR]`, `ls|prune`).
    pub args: &'static str,
    pub summary: &'static str,
    pub options: &'static [Opt],
    /// The fewest and most positional arguments.
    pub positionals: (usize, usize),
}

const fn opt(long: &'static str, value: Option<&'static str>, help: &'static str) -> Opt {
    Opt {
        long,
        short: None,
        value,
        choices: &[],
        help,
    }
}

const FILE: Opt = Opt {
    long: "file",
    short: Some('f'),
    value: Some("FILE"),
    choices: &[],
    help: "the spec (default DIR/strata.yaml)",
};
const JSON: Opt = opt("json", None, "print JSON");
const BUILD_ARG: Opt = opt(
    "build-arg",
    Some("K=V"),
    "a mirror as the build gets it, e.g. GOPROXY=URL (repeatable)",
);
const LANGUAGES: &[&str] = &["go", "python", "node", "rust", "static"];
const TARGETS: &[&str] = &["deps", "build", "runtime"];

pub const COMMANDS: &[Cmd] = &[
    Cmd {
        name: "plan",
        args: "[DIR|FILE]",
        summary: "print the build plan",
        options: &[FILE, JSON, BUILD_ARG],
        positionals: (0, 1),
    },
    Cmd {
        name: "llb",
        args: "[DIR|FILE]",
        summary: "print the LLB definition (raw bytes, or JSON)",
        options: &[
            FILE,
            JSON,
            BUILD_ARG,
            Opt {
                choices: TARGETS,
                ..opt(
                    "target",
                    Some("T"),
                    "the stage: deps, build or runtime (default)",
                )
            },
        ],
        positionals: (0, 1),
    },
    Cmd {
        name: "check",
        args: "[DIR|FILE]",
        summary: "validate the spec against DIR, offline; exit 1 on problems",
        options: &[FILE, JSON],
        positionals: (0, 1),
    },
    Cmd {
        name: "init",
        args: "[DIR]",
        summary: "write DIR/strata.yaml for the project in DIR",
        options: &[
            FILE,
            Opt {
                choices: LANGUAGES,
                ..opt(
                    "language",
                    Some("L"),
                    "the language, when DIR looks like several",
                )
            },
            opt("force", None, "replace an existing spec (and schema file)"),
            opt("print", None, "show the spec, write nothing"),
            opt(
                "frontend",
                Some("IMAGE"),
                "the `# syntax=` image (default below)",
            ),
        ],
        positionals: (0, 1),
    },
    Cmd {
        name: "schema",
        args: "",
        summary: "print the JSON Schema of strata.yaml",
        options: &[],
        positionals: (0, 0),
    },
    Cmd {
        name: "cache",
        args: "ls|prune",
        summary: "strata's cache mounts on the engine: list them, or remove them (only strata's)",
        options: &[
            opt("namespace", Some("NS"), "only this cache namespace"),
            opt(
                "older-than",
                Some("D"),
                "prune only caches unused for longer (30m, 12h, 7d)",
            ),
        ],
        positionals: (1, 1),
    },
    Cmd {
        name: "doctor",
        args: "[DIR]",
        summary: "check the engine, network and spec as a build would; say fixes",
        options: &[
            FILE,
            opt("secret", Some("S"), "as the build gets it (repeatable)"),
            opt("build-arg", Some("A"), "as the build gets it (repeatable)"),
            opt("allow", Some("E"), "as the build gets it (repeatable)"),
            opt("ssh", Some("S"), "as the build gets it (repeatable)"),
            opt("builder", Some("B"), "the buildx builder to check"),
        ],
        positionals: (0, 1),
    },
    Cmd {
        name: "serve",
        args: "DIR",
        summary: "serve a built site on PORT (8080), as a front-end app's image does",
        options: &[],
        positionals: (1, 1),
    },
    Cmd {
        name: "completions",
        args: "bash|zsh|fish",
        summary: "print shell completions for strata",
        options: &[],
        positionals: (1, 1),
    },
    Cmd {
        name: "frontend",
        args: "",
        summary: "run as a BuildKit gateway frontend (what the engine starts)",
        options: &[],
        positionals: (0, 0),
    },
];

/// What the command line asks for.
pub enum Invocation {
    /// `--help` (of one command, or of all).
    Help(Option<&'static Cmd>),
    Version,
    Run(Parsed),
}

/// A command with its positional arguments and option values, as given.
pub struct Parsed {
    pub command: &'static Cmd,
    pub positionals: Vec<String>,
    /// Values by long option name; a flag has one empty value per time it was given.
    values: BTreeMap<&'static str, Vec<String>>,
}

impl Parsed {
    pub fn flag(&self, long: &str) -> bool {
        self.values.contains_key(long)
    }

    /// The last value given (a later option overrides an earlier one, as in buildx).
    pub fn value(&self, long: &str) -> Option<&str> {
        self.values.get(long)?.last().map(String::as_str)
    }

    pub fn values(&self, long: &str) -> &[String] {
        self.values.get(long).map_or(&[], Vec::as_slice)
    }
}

/// A usage error: the message, and the command whose usage to show with it.
pub struct UsageError {
    pub message: String,
    pub command: Option<&'static Cmd>,
}

fn usage_error(message: impl Into<String>, command: Option<&'static Cmd>) -> UsageError {
    UsageError {
        message: message.into(),
        command,
    }
}

pub fn parse(raw: impl IntoIterator<Item = OsString>) -> Result<Invocation, UsageError> {
    let mut parser = lexopt::Parser::from_args(raw);
    let command = match parser
        .next()
        .map_err(|e| usage_error(e.to_string(), None))?
    {
        None | Some(Long("help") | Short('h')) => return Ok(Invocation::Help(None)),
        Some(Long("version") | Short('V')) => return Ok(Invocation::Version),
        Some(Value(word)) => {
            let word = word
                .string()
                .map_err(|_| usage_error("a command is text", None))?;
            match word.as_str() {
                "help" => return Ok(Invocation::Help(None)),
                "version" => return Ok(Invocation::Version),
                name => COMMANDS
                    .iter()
                    .find(|c| c.name == name)
                    .ok_or_else(|| usage_error(format!("unknown command `{name}`"), None))?,
            }
        }
        Some(Long(long)) => return Err(usage_error(format!("unknown option `--{long}`"), None)),
        Some(Short(short)) => return Err(usage_error(format!("unknown option `-{short}`"), None)),
    };
    let mut parsed = Parsed {
        command,
        positionals: Vec::new(),
        values: BTreeMap::new(),
    };
    let here = Some(command);
    while let Some(arg) = parser
        .next()
        .map_err(|e| usage_error(e.to_string(), here))?
    {
        let option = match &arg {
            Long("help") | Short('h') => return Ok(Invocation::Help(here)),
            Long(long) => command.options.iter().find(|o| o.long == *long),
            Short(short) => command.options.iter().find(|o| o.short == Some(*short)),
            Value(word) => {
                let word = word
                    .clone()
                    .string()
                    .map_err(|_| usage_error("arguments are text", here))?;
                parsed.positionals.push(word);
                continue;
            }
        };
        let Some(option) = option else {
            let shown = match arg {
                Long(long) => format!("--{long}"),
                Short(short) => format!("-{short}"),
                Value(_) => unreachable!("positional arguments are taken above"),
            };
            return Err(usage_error(format!("unknown option `{shown}`"), here));
        };
        let value = match option.value {
            Some(_) => parser
                .value()
                .map_err(|e| usage_error(e.to_string(), here))?
                .string()
                .map_err(|_| usage_error(format!("--{} takes text", option.long), here))?,
            None => String::new(),
        };
        if !option.choices.is_empty() && !option.choices.contains(&value.as_str()) {
            return Err(usage_error(
                format!(
                    "`{value}` is not a --{} value: use {}",
                    option.long,
                    option.choices.join(", ")
                ),
                here,
            ));
        }
        parsed.values.entry(option.long).or_default().push(value);
    }
    let (fewest, most) = command.positionals;
    if parsed.positionals.len() > most {
        return Err(usage_error(
            format!("unexpected argument `{}`", parsed.positionals[most]),
            here,
        ));
    }
    if parsed.positionals.len() < fewest {
        return Err(usage_error(
            format!("strata {} needs {}", command.name, command.args),
            here,
        ));
    }
    Ok(Invocation::Run(parsed))
}

fn option_usage(option: &Opt) -> String {
    let mut text = match option.short {
        Some(short) => format!("-{short}, --{}", option.long),
        None => format!("    --{}", option.long),
    };
    if let Some(value) = option.value {
        let _ = write!(text, " {value}");
    }
    text
}

/// `strata --help`: every command; `strata CMD --help`: that command and its options.
pub fn help(command: Option<&Cmd>) -> String {
    let mut out = String::new();
    match command {
        None => {
            out.push_str(
                "strata: cache-correct container builds from a small strata.yaml\n\nusage:\n",
            );
            for c in COMMANDS {
                let line = format!("strata {} {}", c.name, c.args);
                let _ = writeln!(out, "  {:33} {}", line.trim_end(), c.summary);
            }
            let _ = writeln!(out, "  {:33} the release", "strata --version");
            out.push_str(
                "\n`strata COMMAND --help` shows a command's options. DIR is the build context \
                 (default `.`); a spec\nfile given in its place is the spec, with its directory \
                 as the context.\nExit codes: 0 success, 1 problems found (or the command \
                 failed), 2 a usage error.",
            );
        }
        Some(c) => {
            let _ = writeln!(out, "usage: strata {} {}", c.name, c.args);
            let _ = write!(out, "\n{}", c.summary);
            if !c.options.is_empty() {
                out.push_str("\n\noptions:");
                for option in c.options {
                    let _ = write!(out, "\n  {:24} {}", option_usage(option), option.help);
                }
            }
            if c.name == "init" {
                let _ = write!(
                    out,
                    "\n\nThe default frontend image is {}: this release's published image.",
                    crate::spec::default_frontend_image()
                );
            }
        }
    }
    out
}

/// A completion script for `shell`, from the same table the parser reads.
pub fn completions(shell: &str) -> Result<String, String> {
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let options_of = |c: &Cmd| -> Vec<String> {
        c.options
            .iter()
            .map(|o| format!("--{}", o.long))
            .chain(["--help".to_string()])
            .collect()
    };
    let mut out = String::new();
    match shell {
        "bash" | "zsh" => {
            if shell == "zsh" {
                out.push_str("autoload -U +X bashcompinit && bashcompinit\n");
            }
            out.push_str("_strata() {\n  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n");
            let _ = writeln!(
                out,
                "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W '{} --help --version' -- \"$cur\")); return; fi",
                names.join(" ")
            );
            out.push_str("  case \"$prev\" in\n");
            for c in COMMANDS {
                for o in c.options.iter().filter(|o| !o.choices.is_empty()) {
                    let _ = writeln!(
                        out,
                        "    --{}) COMPREPLY=($(compgen -W '{}' -- \"$cur\")); return;;",
                        o.long,
                        o.choices.join(" ")
                    );
                }
            }
            out.push_str("  esac\n  case \"${COMP_WORDS[1]}\" in\n");
            for c in COMMANDS {
                let mut words = options_of(c);
                // A closed set of words (`ls|prune`) is completed instead of paths.
                let closed = c.args.contains('|') && !c.args.contains('[');
                let paths = if closed {
                    words.extend(c.args.split('|').map(str::to_string));
                    ""
                } else {
                    "; [[ $cur == -* ]] || COMPREPLY+=($(compgen -f -- \"$cur\"))"
                };
                let _ = writeln!(
                    out,
                    "    {}) COMPREPLY=($(compgen -W '{}' -- \"$cur\")){paths};;",
                    c.name,
                    words.join(" ")
                );
            }
            out.push_str("  esac\n}\ncomplete -F _strata strata\n");
        }
        "fish" => {
            for c in COMMANDS {
                let _ = writeln!(
                    out,
                    "complete -c strata -n __fish_use_subcommand -f -a {} -d '{}'",
                    c.name,
                    c.summary.replace('\'', "\\'")
                );
                for o in c.options {
                    let mut line = format!(
                        "complete -c strata -n '__fish_seen_subcommand_from {}' -l {}",
                        c.name, o.long
                    );
                    if let Some(short) = o.short {
                        let _ = write!(line, " -s {short}");
                    }
                    if o.value.is_some() {
                        line.push_str(" -r");
                    }
                    if !o.choices.is_empty() {
                        let _ = write!(line, " -a '{}'", o.choices.join(" "));
                    }
                    let _ = writeln!(line, " -d '{}'", o.help.replace('\'', "\\'"));
                    out.push_str(&line);
                }
            }
        }
        other => {
            return Err(format!(
                "no completions for `{other}`: say bash, zsh or fish"
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::StageName;
    use crate::spec::Language;

    /// The parser's closed sets are the spec's and the plan's own names.
    #[test]
    fn choices_are_the_languages_and_stages_strata_knows() {
        let languages: Vec<&str> = Language::ALL.iter().map(|l| l.name()).collect();
        assert_eq!(LANGUAGES, languages.as_slice());
        let stages: Vec<&str> = StageName::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(TARGETS, stages.as_slice());
    }
}
