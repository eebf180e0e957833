//! How an image starts (#15), chosen in one documented order for every language: the spec's
//! `run.command`, then the `Procfile`'s `web:` line, then what the app's framework runs in
//! production, then the language's own rule (a script, `__main__`, `start`, the binary). The
//! plan says which rule chose the command.

use super::context::ContextFiles;
use crate::spec::{Diagnostic, Diagnostics, Spec};

/// The command an image starts with, which rule chose it, and the port it listens on when the
/// rule knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Start {
    pub command: Vec<String>,
    pub why: String,
    pub port: Option<u16>,
}

impl Start {
    pub fn new(command: Vec<String>, why: impl Into<String>) -> Start {
        Start {
            command,
            why: why.into(),
            port: None,
        }
    }

    pub fn on_port(mut self, port: u16) -> Start {
        self.port = Some(port);
        self
    }
}

/// The port a Procfile command gets in `PORT` (and `$PORT`) unless the spec names one.
const PROCFILE_PORT: u16 = 8080;

/// The command by the first rule that applies: `run.command`, the Procfile (where the
/// language's image has a shell and the tools a Procfile names), `framework`, `generic`.
pub(crate) fn choose(
    spec: &Spec,
    files: &ContextFiles,
    procfile: bool,
    framework: impl FnOnce() -> Result<Option<Start>, Diagnostics>,
    generic: impl FnOnce() -> Result<Start, Diagnostics>,
) -> Result<Start, Diagnostics> {
    if let Some(command) = &spec.run.command {
        return Ok(Start::new(command.clone(), "run.command"));
    }
    if procfile {
        if let Some(line) = files
            .text(&spec.path.value, "Procfile")
            .and_then(procfile_web)
        {
            let port = spec
                .run
                .ports
                .first()
                .and_then(|p| p.split('/').next()?.parse().ok())
                .unwrap_or(PROCFILE_PORT);
            let line = line.replace("${PORT}", &port.to_string());
            let line = line.replace("$PORT", &port.to_string());
            return Ok(Start::new(shell_line(&line), "the Procfile's web: line").on_port(port));
        }
    }
    if let Some(start) = framework()? {
        return Ok(start);
    }
    generic()
}

/// The `web:` process of a Procfile.
fn procfile_web(text: &str) -> Option<&str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .find_map(|line| line.trim().strip_prefix("web:"))
        .map(str::trim)
        .filter(|command| !command.is_empty())
}

/// A shell command line as an entrypoint: exec form (the program is PID 1 and gets the stop
/// signal) when it is plain words, else `sh -c` for what needs a shell (variables, quotes,
/// `&&`, an environment assignment in front), with `exec` where it keeps the server as the
/// shell's replacement.
pub(crate) fn shell_line(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let plain = line
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c) || c == ' ')
        && words.first().is_some_and(|w| !w.contains('='));
    if plain {
        words.iter().map(|w| w.to_string()).collect()
    } else {
        vec!["/bin/sh".to_string(), "-c".to_string(), exec_last(line)]
    }
}

/// The line with `exec` before its last command when the commands are joined only by `&&` and
/// `;` (`migrate && gunicorn app`: the server replaces the shell and gets the stop signal; an
/// `exec` in front of the whole line would run the migration alone). Assignments in front of
/// that command stay in front of `exec`, which would otherwise take them for the program.
/// Pipes, `||`, background jobs and subshells run as written.
fn exec_last(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut last_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(b'"'), b'\\') => i += 1,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'\\') => i += 1,
            (None, b'&') if bytes.get(i + 1) == Some(&b'&') => {
                i += 1;
                last_start = i + 1;
            }
            (None, b';') => last_start = i + 1,
            (None, b'|' | b'&' | b'(' | b')' | b'`') => return line.to_string(),
            (None, b'$') if bytes.get(i + 1) == Some(&b'(') => return line.to_string(),
            (None, _) => {}
        }
        i += 1;
    }
    let (head, last) = line.split_at(last_start);
    let command = last.trim_start();
    if command.is_empty() {
        return line.to_string();
    }
    let mut assignments = 0;
    while let Some(word) = next_word(&command[assignments..]) {
        let name = word.split('=').next().unwrap_or_default();
        let assignment = word.contains('=')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !assignment {
            break;
        }
        assignments += word.len();
        assignments += command[assignments..].len() - command[assignments..].trim_start().len();
    }
    let spacing = &last[..last.len() - command.len()];
    let (env, program) = command.split_at(assignments);
    format!("{head}{spacing}{env}exec {program}")
}

/// The first shell word of `text` (quotes kept, so it spans their spaces).
fn next_word(text: &str) -> Option<&str> {
    let mut quote = None;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c.is_whitespace() => return Some(&text[..at]),
            _ => {}
        }
    }
    (!text.is_empty()).then_some(text)
}

/// What to do when no rule applies: set `run.command`, or give the app what `looked_for` names.
pub(crate) fn unknown(spec: &Spec, example: &str, looked_for: &str) -> Diagnostics {
    Diagnostic::at(spec.path.location, "cannot tell how to start the app")
        .with_hint(format!(
            "set `run.command` (e.g. `{example}`); strata looked for {looked_for}"
        ))
        .needs_command()
        .into()
}

/// The problem that keeps a plan from building when it is the only kind there is: how the app
/// starts (no rule applied, or the app's framework lacks its server).
pub fn missing_start(problems: &Diagnostics) -> Option<&Diagnostic> {
    if problems.0.iter().all(|d| d.needs_command) {
        problems.0.first()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_run_directly_and_shell_lines_through_sh() {
        assert_eq!(
            shell_line("gunicorn proj.wsgi --bind 0.0.0.0:8080"),
            ["gunicorn", "proj.wsgi", "--bind", "0.0.0.0:8080"]
        );
        assert_eq!(
            shell_line("node --enable-source-maps dist/server.js"),
            ["node", "--enable-source-maps", "dist/server.js"]
        );
        let sh = |line: &str| shell_line(line)[2].clone();
        assert_eq!(
            sh("NODE_OPTIONS=--x node a.js"),
            "NODE_OPTIONS=--x exec node a.js"
        );
        assert_eq!(
            sh("python manage.py migrate && gunicorn proj.wsgi"),
            "python manage.py migrate && exec gunicorn proj.wsgi"
        );
        assert_eq!(
            sh("flask db upgrade; flask translate compile; A='x y' B=2 gunicorn -b :$PORT app:app"),
            "flask db upgrade; flask translate compile; A='x y' B=2 exec gunicorn -b :$PORT app:app"
        );
        assert_eq!(
            sh("bin/server --port=\"$PORT\""),
            "exec bin/server --port=\"$PORT\""
        );
        assert_eq!(sh("echo 'a && b'"), "exec echo 'a && b'");
        // What exec cannot sit in front of runs as written.
        for line in [
            "migrate || true",
            "server | tee log",
            "worker & server",
            "(cd web && node index.js)",
            "server $(cat flags)",
        ] {
            assert_eq!(sh(line), line);
        }
        // The commands run as the test says: exec replaces the shell with the last one only.
        let run = |line: &str| {
            let out = std::process::Command::new("sh")
                .args(["-c", &sh(line)])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        assert_eq!(run("echo one; echo two && echo three"), "one\ntwo\nthree\n");
        assert_eq!(run("echo one && X=two sh -c 'echo $X'"), "one\ntwo\n");
    }

    #[test]
    fn the_procfile_web_line_wins_over_frameworks_with_its_port_filled_in() {
        let spec = crate::spec::parse(b"version: 1\nlanguage: python\n").unwrap();
        let mut files = ContextFiles::default();
        files.contents.insert(
            "Procfile".to_string(),
            "# processes\nrelease: python manage.py migrate\nweb: gunicorn proj.wsgi --bind 0.0.0.0:$PORT --log-file -\n"
                .to_string(),
        );
        let start = choose(
            &spec,
            &files,
            true,
            || Ok(Some(Start::new(vec!["framework".into()], "framework"))),
            || unreachable!("the Procfile comes first"),
        )
        .unwrap();
        assert_eq!(
            start.command,
            [
                "gunicorn",
                "proj.wsgi",
                "--bind",
                "0.0.0.0:8080",
                "--log-file",
                "-"
            ]
        );
        assert_eq!(
            (start.why.as_str(), start.port),
            ("the Procfile's web: line", Some(8080))
        );
        let start = choose(
            &spec,
            &files,
            false,
            || Ok(None),
            || Ok(Start::new(vec!["generic".into()], "generic")),
        )
        .unwrap();
        assert_eq!(start.why, "generic");
    }
}
