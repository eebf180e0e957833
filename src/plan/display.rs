//! The human-readable plan that `strata plan` prints.

use std::fmt::{self, Display, Formatter};

use super::{
    Base, ContextExclusions, ContextSelection, Mount, Network, Plan, RunsOn, StageResult, Step,
};

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// At most this many patterns of a group are shown on one line.
const SHOWN_PATTERNS: usize = 6;

impl ContextSelection {
    /// One line per run of rules with the same effect and reason: `+ why: patterns` for what is
    /// in, `- why: patterns` for what is left out, in the order they apply.
    pub fn summary(&self) -> Vec<String> {
        let mut groups: Vec<(bool, &str, Vec<&str>)> = Vec::new();
        for rule in &self.rules {
            match groups.last_mut() {
                Some((selects, why, patterns)) if *selects == rule.selects && *why == rule.why => {
                    patterns.push(&rule.pattern)
                }
                _ => groups.push((rule.selects, &rule.why, vec![&rule.pattern])),
            }
        }
        groups
            .into_iter()
            .map(|(selects, why, patterns)| {
                format!(
                    "{} {why}: {}",
                    if selects { "+" } else { "-" },
                    shortened(&patterns)
                )
            })
            .collect()
    }

    /// Whether every rule takes files in for one reason (a list of named files).
    fn is_plain_list(&self) -> bool {
        self.rules
            .iter()
            .all(|r| r.selects && r.why == self.rules[0].why)
    }
}

impl ContextExclusions {
    /// What no step sees, in a line, or `None` when only strata's never-inputs apply.
    pub fn summary(&self) -> Option<String> {
        let file = self.ignore_file.as_deref()?;
        let patterns: Vec<&str> = self.ignored.iter().map(String::as_str).collect();
        Some(format!("what {file} leaves out: {}", shortened(&patterns)))
    }
}

fn shortened(patterns: &[&str]) -> String {
    let mut shown = patterns
        .iter()
        .take(SHOWN_PATTERNS)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if patterns.len() > SHOWN_PATTERNS {
        shown.push_str(&format!(" and {} more", patterns.len() - SHOWN_PATTERNS));
    }
    shown
}

impl Display for ContextSelection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.is_plain_list() {
            let files: Vec<&str> = self.rules.iter().map(|r| r.pattern.as_str()).collect();
            return write!(f, "{{{}}}", files.join(", "));
        }
        for line in self.summary() {
            write!(f, "\n        {line}")?;
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
        if let Some(ignored) = self.excluded.summary() {
            writeln!(f, "no step sees {ignored}")?;
        }
        writeln!(
            f,
            "no step sees what no build reads: {}",
            shortened(
                &self
                    .excluded
                    .never
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            )
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
                        if files.is_plain_list() {
                            writeln!(f, "      copy context {files} -> {dest}")?;
                        } else {
                            writeln!(f, "      copy context -> {dest}:{files}")?;
                        }
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
                    Step::CopyFromImage {
                        name,
                        image,
                        src,
                        dest,
                    } => {
                        writeln!(f, "  {name}")?;
                        writeln!(f, "      copy {image}:{src} -> {dest} (linked)")?;
                    }
                    Step::LayersOfStage { name, stage } => {
                        writeln!(f, "  {name}")?;
                        writeln!(
                            f,
                            "      the layers {} made over its base image (linked, not copied)",
                            stage.as_str()
                        )?;
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
                        if !run.setup.is_empty() {
                            writeln!(f, "      setup {}", run.setup)?;
                        }
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
                                    starts_from,
                                } => writeln!(
                                    f,
                                    "      cache {target} (id {id}, {}{})",
                                    format!("{sharing:?}").to_lowercase(),
                                    starts_from
                                        .as_ref()
                                        .map(|dir| format!(", starts as {dir} when new"))
                                        .unwrap_or_default()
                                )?,
                                Mount::Context {
                                    target,
                                    files,
                                    writable,
                                } => {
                                    let access = if *writable {
                                        "a scratch copy, changes thrown away"
                                    } else {
                                        "read-only"
                                    };
                                    if files.is_plain_list() {
                                        writeln!(f, "      context {files} at {target} ({access})")?
                                    } else {
                                        writeln!(f, "      context at {target} ({access}):{files}")?
                                    }
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
                                Mount::BuildSettings { target, env, .. } => {
                                    for (k, v) in env {
                                        writeln!(
                                            f,
                                            "      env {k}={v} (from a build arg, via {target}; \
                                             not in cache key or image)"
                                        )?;
                                    }
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
        if let Some(toolchain) = &self.toolchain {
            writeln!(
                f,
                "\ntoolchain {} {} (chosen by {})",
                toolchain.name, toolchain.version, toolchain.chosen_by
            )?;
        }
        writeln!(f, "\nimage")?;
        writeln!(
            f,
            "  entrypoint {} (chosen by {})",
            quoted_list(&image.entrypoint),
            image.chosen_by
        )?;
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
        for mirror in &self.mirrors {
            writeln!(
                f,
                "mirror {} = {} ({})",
                mirror.key, mirror.value, mirror.from
            )?;
        }
        for warning in &self.warnings {
            writeln!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}
