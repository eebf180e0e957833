//! How a step with setup or failure hints runs: through a small wrapper script mounted into
//! the step, so the process the engine runs, and names when it fails, is the step's own command
//! (`/.strata-step uv sync --frozen`), not our plumbing. The wrapper runs the step's setup
//! (trusting the build's CA, writing SSH host keys), then the command with its output streamed
//! and kept; when the command fails, one `strata:` line names the step and the fix for the first
//! cause the output shows. The exit status stays the command's.

use std::collections::BTreeMap;

use serde::Serialize;

use super::RunStep;

/// A known cause of failure: any of `fragments` (case-insensitive) in the output means `hint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureHint {
    /// A short name for `strata plan`, e.g. `tls`.
    pub cause: String,
    pub fragments: Vec<String>,
    pub hint: String,
}

/// Where the wrapper keeps the step's output and exit status while it reads them; removed
/// before the step ends, so never in a layer.
const LOG: &str = "/tmp/.strata-step.log";
const STATUS: &str = "/tmp/.strata-step.status";

/// Where the wrapper is mounted (read-only, gone when the step ends): a file at the top, since
/// the engine removes the empty file it made to mount on but not directories made for it. The
/// engine shows a failed process as its argv joined by spaces, so this path is the only
/// plumbing a user reads.
pub const WRAPPER: &str = "/.strata-step";

/// What the engine runs for a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// The wrapper script `argv[0]` names, when the step runs through one.
    pub wrapper: Option<String>,
}

impl RunStep {
    /// `argv` and `env` themselves, or, when the step has setup or failure hints and is a
    /// `/bin/sh -c` script, that script handed to the wrapper.
    pub fn invocation(&self) -> Invocation {
        match self.argv.as_slice() {
            [shell, flag, script]
                if shell == "/bin/sh"
                    && flag == "-c"
                    && (!self.setup.is_empty() || !self.failure_hints.is_empty()) =>
            {
                Invocation {
                    argv: vec![WRAPPER.to_string(), script.clone()],
                    env: self.env.clone(),
                    wrapper: Some(wrapper_script(&self.name, &self.setup, &self.failure_hints)),
                }
            }
            _ => Invocation {
                argv: self.argv.clone(),
                env: self.env.clone(),
                wrapper: None,
            },
        }
    }
}

/// The wrapper: runs `setup`, then its first argument as a shell script in a subshell with
/// its output streamed and kept, and when that fails prints the hint of the first cause the
/// output shows; exits with the script's status.
fn wrapper_script(step: &str, setup: &str, hints: &[FailureHint]) -> String {
    let mut diagnosis = String::new();
    for (i, hint) in hints.iter().enumerate() {
        let patterns: Vec<String> = hint
            .fragments
            .iter()
            .map(|f| format!("-e {}", quote(f)))
            .collect();
        diagnosis.push_str(&format!(
            "  {} grep -qiF {} {LOG}; then\n    echo {} >&2\n",
            if i == 0 { "if" } else { "elif" },
            patterns.join(" "),
            quote(&format!("strata: {step} failed: {}", hint.hint)),
        ));
    }
    if !hints.is_empty() {
        diagnosis.push_str("  fi\n");
    }
    format!(
        "#!/bin/sh\n\
         # strata's step wrapper: the step's setup, then its command ($1).\n\
         {setup}\n\
         {{ ( eval \"$1\" ); echo $? > {STATUS}; }} 2>&1 | tee {LOG}\n\
         status=$(cat {STATUS})\n\
         if [ \"$status\" != 0 ]; then\n\
         {diagnosis}\
         fi\n\
         rm -f {LOG} {STATUS}\n\
         exit \"$status\"\n",
        setup = if setup.is_empty() { ":" } else { setup },
        diagnosis = if hints.is_empty() {
            "  :\n".to_string()
        } else {
            diagnosis
        },
    )
}

/// Single-quotes a word for /bin/sh.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn hint(cause: &str, fragments: &[&str], text: &str) -> FailureHint {
        FailureHint {
            cause: cause.to_string(),
            fragments: fragments.iter().map(|f| f.to_string()).collect(),
            hint: text.to_string(),
        }
    }

    /// Runs `script` wrapped, as a step named `[strata deps] fetch` with two causes.
    fn run(script: &str) -> (i32, String) {
        let step = RunStep {
            name: "[strata deps] fetch".to_string(),
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            env: Default::default(),
            cwd: "/".to_string(),
            mounts: Vec::new(),
            network: super::super::Network::Default,
            proxy: None,
            setup: "export GREETING=hello".to_string(),
            failure_hints: vec![
                hint("proxy-auth", &["407 Proxy"], "check the proxy's password"),
                hint("auth", &["401", "407"], "declare a netrc"),
            ],
        };
        // Each step has a /tmp of its own in a build; tests running side by side do not.
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let private = std::env::temp_dir().join(format!(
            "strata-step-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let invocation = step.invocation();
        assert_eq!(
            invocation.argv,
            [WRAPPER, script],
            "the engine shows the step's own command"
        );
        let wrapper = invocation
            .wrapper
            .expect("a step with hints runs wrapped")
            .replace("/tmp/.strata-step", &private.display().to_string());
        let wrapper_file = private.with_extension("sh");
        std::fs::write(&wrapper_file, wrapper).expect("temp dir is writable");
        let out = Command::new("/bin/sh")
            .arg(&wrapper_file)
            .arg(&invocation.argv[1])
            .output()
            .expect("sh runs");
        std::fs::remove_file(&wrapper_file).ok();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }

    #[test]
    fn a_known_failure_gets_its_hint_and_keeps_the_exit_status() {
        let (status, text) = run("echo 'HTTP 401 from the index'; exit 3");
        assert_eq!(status, 3);
        assert!(text.starts_with("HTTP 401 from the index\n"), "{text}");
        assert!(
            text.contains("strata: [strata deps] fetch failed: declare a netrc"),
            "{text}"
        );
    }

    #[test]
    fn the_first_matching_cause_wins() {
        let (_, text) =
            run("echo 'Tunnel connection failed: 407 proxy authentication required' >&2; exit 1");
        assert!(text.contains("check the proxy's password"), "{text}");
        assert!(!text.contains("declare a netrc"), "{text}");
    }

    #[test]
    fn success_and_unknown_failures_add_nothing() {
        let (status, text) = run("echo fine");
        assert_eq!((status, text.as_str()), (0, "fine\n"));
        let (_, text) = run("echo \"$GREETING from the setup\"");
        assert_eq!(text, "hello from the setup\n");
        let (status, text) = run("echo 'syntax error in go.mod'; exit 1");
        assert_eq!(status, 1);
        assert!(!text.contains("strata:"), "{text}");
    }

    #[test]
    fn a_step_without_hints_runs_as_written() {
        let step = RunStep {
            name: "compile".to_string(),
            argv: vec!["/bin/sh".into(), "-c".into(), "make".into()],
            env: Default::default(),
            cwd: "/".to_string(),
            mounts: Vec::new(),
            network: super::super::Network::None,
            proxy: None,
            setup: String::new(),
            failure_hints: Vec::new(),
        };
        let invocation = step.invocation();
        assert_eq!(
            (invocation.argv, invocation.wrapper),
            (step.argv.clone(), None)
        );
    }
}
