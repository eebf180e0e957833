//! The human-readable plan that `strata plan` prints.

use std::fmt::{self, Display, Formatter};

use super::{Base, ContextSelection, Mount, Network, Plan, RunsOn, StageResult, Step};

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

impl Display for ContextSelection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.include.join(", "))?;
        if !self.exclude.is_empty() {
            write!(f, " except {{{}}}", self.exclude.join(", "))?;
        }
        Ok(())
    }
}

impl Display for Base {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Base::Image { reference } => f.write_str(reference),
            Base::Stage { stage } => write!(f, "stage {}", stage.as_str()),
            Base::Scratch => f.write_str("scratch"),
        }
    }
}

impl Display for Plan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} app `{}` in context dir `{}`",
            self.language, self.app, self.context_dir
        )?;
        for stage in &self.stages {
            let runs_on = match &stage.runs_on {
                RunsOn::Target => String::new(),
                RunsOn::Build { target_env } if target_env.is_empty() => {
                    ", on the build platform".to_string()
                }
                RunsOn::Build { target_env } => format!(
                    ", on the build platform, told the target by {}",
                    target_env.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            };
            writeln!(
                f,
                "\n{} (from {}{runs_on})",
                stage.name.as_str(),
                stage.base
            )?;
            for step in &stage.steps {
                match step {
                    Step::CopyContext { name, files, dest } => {
                        writeln!(f, "  {name}")?;
                        writeln!(f, "      copy context {files} -> {dest}")?;
                    }
                    Step::CopyFromStage {
                        name,
                        stage,
                        src,
                        dest,
                    } => {
                        writeln!(f, "  {name}")?;
                        writeln!(f, "      copy {}:{src} -> {dest} (linked)", stage.as_str())?;
                    }
                    Step::WriteFiles { name, files, dest } => {
                        writeln!(f, "  {name}")?;
                        for file in files {
                            writeln!(
                                f,
                                "      write {dest}/{} ({} bytes)",
                                file.path,
                                file.contents.len()
                            )?;
                        }
                    }
                    Step::Run(run) => {
                        writeln!(f, "  {}", run.name)?;
                        writeln!(f, "      run {} in {}", quoted_list(&run.argv), run.cwd)?;
                        if !run.failure_hints.is_empty() {
                            let causes: Vec<&str> =
                                run.failure_hints.iter().map(|h| h.cause.as_str()).collect();
                            writeln!(f, "      on failure: explains {}", causes.join(", "))?;
                        }
                        for (k, v) in &run.env {
                            writeln!(f, "      env {k}={v}")?;
                        }
                        for mount in &run.mounts {
                            match mount {
                                Mount::Cache {
                                    target,
                                    id,
                                    sharing,
                                } => writeln!(
                                    f,
                                    "      cache {target} (id {id}, {})",
                                    format!("{sharing:?}").to_lowercase()
                                )?,
                                Mount::Context { target, files } => {
                                    writeln!(f, "      context {files} at {target} (read-only)")?
                                }
                                Mount::Output { target } => writeln!(f, "      output {target}")?,
                                Mount::Secret {
                                    id,
                                    target,
                                    required,
                                } => writeln!(
                                    f,
                                    "      secret {id} at {target} ({})",
                                    if *required { "required" } else { "optional" }
                                )?,
                                Mount::Tmpfs { target } => {
                                    writeln!(f, "      tmpfs {target} (in memory)")?
                                }
                                Mount::SshAgent { id, target } => {
                                    writeln!(f, "      ssh agent {id} at {target} (optional)")?
                                }
                            }
                        }
                        let network = match run.network {
                            Network::Default => "default",
                            Network::Host => "host",
                            Network::None => "none",
                        };
                        writeln!(f, "      network {network}")?;
                        if run.proxy.is_some() {
                            writeln!(f, "      proxy from spec (not in cache key or image)")?;
                        }
                    }
                }
            }
            if let StageResult::OutputDir { path } = &stage.result {
                writeln!(f, "  result: the contents of {path}")?;
            }
        }
        let image = &self.image;
        writeln!(f, "\nimage")?;
        writeln!(f, "  entrypoint {}", quoted_list(&image.entrypoint))?;
        if !image.cmd.is_empty() {
            writeln!(f, "  cmd {}", quoted_list(&image.cmd))?;
        }
        writeln!(f, "  user {}  workdir {}", image.user, image.workdir)?;
        if !image.ports.is_empty() {
            writeln!(f, "  ports {}", image.ports.join(", "))?;
        }
        for (k, v) in &image.env {
            writeln!(f, "  env {k}={v}")?;
        }
        for (k, v) in &image.labels {
            writeln!(f, "  label {k}={v}")?;
        }
        if !self.contacts.is_empty() {
            writeln!(
                f,
                "\ndependency steps fetch from {}",
                self.contacts.join(", ")
            )?;
        }
        for warning in &self.warnings {
            writeln!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}
