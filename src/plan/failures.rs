//! Reading a failed step's output for known causes. A step with failure hints runs wrapped:
//! its output still streams to the user, and when it fails one `strata:` line names the step
//! and the fix for the first cause the output shows. The exit status stays the command's.

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

/// The variable that carries the failure reader into a step: a shell function, so the command
/// line BuildKit shows when the step fails stays the step's own script plus a short prefix.
const READER_VARIABLE: &str = "STRATA_ON_FAILURE";

impl RunStep {
    /// What the engine runs: `argv` and `env` themselves, or, when the step has failure hints
    /// and is a `/bin/sh -c` script, that script run by the failure reader, which the
    /// environment defines.
    pub fn invocation(&self) -> (Vec<String>, BTreeMap<String, String>) {
        match self.argv.as_slice() {
            [shell, flag, script]
                if shell == "/bin/sh" && flag == "-c" && !self.failure_hints.is_empty() =>
            {
                let mut env = self.env.clone();
                env.insert(
                    READER_VARIABLE.to_string(),
                    failure_reader(&self.name, &self.failure_hints),
                );
                let argv = vec![
                    shell.clone(),
                    flag.clone(),
                    format!("eval \"${READER_VARIABLE}\"; strata_run {}", quote(script)),
                ];
                (argv, env)
            }
            _ => (self.argv.clone(), self.env.clone()),
        }
    }
}

/// `strata_run SCRIPT`: runs SCRIPT in a subshell with its output streamed and kept, and when
/// it fails prints the hint of the first cause the output shows; returns SCRIPT's status.
fn failure_reader(step: &str, hints: &[FailureHint]) -> String {
    let mut diagnosis = String::new();
    for (i, hint) in hints.iter().enumerate() {
        let patterns: Vec<String> = hint
            .fragments
            .iter()
            .map(|f| format!("-e {}", quote(f)))
            .collect();
        diagnosis.push_str(&format!(
            "{} grep -qiF {} {LOG}; then echo {} >&2; ",
            if i == 0 { "if" } else { "elif" },
            patterns.join(" "),
            quote(&format!("strata: {step} failed: {}", hint.hint)),
        ));
    }
    diagnosis.push_str("fi; ");
    format!(
        "strata_run() {{ {{ ( eval \"$1\" ); echo $? > {STATUS}; }} 2>&1 | tee {LOG}; \
         status=$(cat {STATUS}); if [ \"$status\" != 0 ]; then {diagnosis}fi; \
         rm -f {LOG} {STATUS}; return \"$status\"; }}"
    )
}

/// Single-quotes a word for /bin/sh.
fn quote(word: &str) -> String {
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
        let (argv, env) = step.invocation();
        let reader =
            env[READER_VARIABLE].replace("/tmp/.strata-step", &private.display().to_string());
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(&argv[2])
            .env(READER_VARIABLE, reader)
            .output()
            .expect("sh runs");
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
            failure_hints: Vec::new(),
        };
        assert_eq!(step.invocation(), (step.argv.clone(), step.env.clone()));
    }
}
