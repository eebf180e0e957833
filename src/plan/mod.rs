//! The build plan: what strata will build, as plain data.
//!
//! A plan is three stages — dependencies, compile, runtime — each a base plus steps. It holds
//! no BuildKit types, so every language provider is tested as data (`strata plan --json`), and
//! `llb` is the only place that knows how a step becomes an op.

mod display;
mod failures;
mod images;
mod patterns;

use std::collections::BTreeMap;

use serde::Serialize;

pub use failures::{FailureHint, Invocation, WRAPPER, quote as shell_quote};
pub use images::{ImageRole, default_image, default_version, image_for, version_in};
pub use patterns::{ParentMatches, PatternList, literal, walk_select};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub language: String,
    /// The application's name (binary name, image title).
    pub app: String,
    /// The application's directory inside the build context ("." or "a/b").
    pub context_dir: String,
    /// The toolchain the builder image has, and which file chose its version (`None` for a
    /// plan with no toolchain: a plain site).
    pub toolchain: Option<Toolchain>,
    pub stages: Vec<Stage>,
    /// What no step sees, whatever its selection says.
    pub excluded: ContextExclusions,
    pub image: ImageSettings,
    /// Things the user should know that do not stop the build.
    pub warnings: Vec<String>,
    /// The URLs the dependency steps fetch from (module proxies, package indexes, registries):
    /// what a firewall must let through, and what `strata doctor` probes.
    pub contacts: Vec<String>,
    /// The mirror settings in effect that are not the tools' defaults, and where each came
    /// from (a build arg or strata.yaml).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mirrors: Vec<MirrorSetting>,
}

/// A mirror setting in effect: `go.proxy = https://goproxy.cn (build arg GOPROXY)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MirrorSetting {
    pub key: String,
    pub value: String,
    pub from: String,
}

/// A toolchain at a version: `Python 3.14`, and what chose it (`.python-version`, the
/// default, `images.builder`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    pub name: String,
    pub version: String,
    pub chosen_by: String,
}

/// The stages a user can stop at with `--target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    Deps,
    Build,
    Runtime,
}

impl StageName {
    pub const ALL: [StageName; 3] = [StageName::Deps, StageName::Build, StageName::Runtime];

    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Deps => "deps",
            StageName::Build => "build",
            StageName::Runtime => "runtime",
        }
    }

    /// A stage named on the command line (`--target`) or by the engine's build options.
    pub fn parse(value: &str) -> Result<StageName, String> {
        StageName::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| format!("unknown target `{value}`: use deps, build or runtime"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub name: StageName,
    pub base: Base,
    /// Which platform's images and steps the stage uses when the build is for another one.
    pub runs_on: RunsOn,
    pub steps: Vec<Step>,
    /// What the stage hands on: its whole filesystem, or only what a step wrote to an
    /// output directory (a compiled binary, without the toolchain around it).
    pub result: StageResult,
}

/// Where a stage runs in a build for a platform other than the engine's own (`--platform
/// linux/arm64` on an amd64 engine, or several platforms at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunsOn {
    /// On the target platform: its base image, its steps under emulation if need be.
    Target,
    /// On the engine's own platform, natively, producing files for the target: the toolchain
    /// cross-compiles. `target_env` names the variables that tell it the target, by the part
    /// of the target platform each holds (Go: `GOOS`, `GOARCH`, `GOARM`).
    Build {
        target_env: BTreeMap<String, TargetPart>,
    },
}

/// A part of the target platform, as a cross-compiling toolchain wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetPart {
    /// `linux`
    Os,
    /// `amd64`, `arm64`, `arm`
    Architecture,
    /// The ARM version of a `linux/arm/v7` target (`7`); unset for other targets.
    ArmVersion,
}

impl TargetPart {
    /// This part of `os/architecture[/variant]`, if the target has it.
    pub fn of(self, os: &str, architecture: &str, variant: Option<&str>) -> Option<String> {
        match self {
            TargetPart::Os => Some(os.to_string()),
            TargetPart::Architecture => Some(architecture.to_string()),
            TargetPart::ArmVersion => match (architecture, variant) {
                ("arm", Some(v)) => v.strip_prefix('v').map(str::to_string),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    Image { reference: String },
    Stage { stage: StageName },
    Scratch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageResult {
    Filesystem,
    OutputDir { path: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// Copy the named files of the build context (and nothing else) into the stage.
    CopyContext {
        name: String,
        files: ContextSelection,
        dest: String,
    },
    /// Copy a path produced by another stage, layered on top without touching the base
    /// (like `COPY --link`), so a base-image change never re-runs the copy's producers.
    CopyFromStage {
        name: String,
        stage: StageName,
        src: String,
        dest: String,
    },
    /// Copy a path out of an image (for the frontend's own binary), linked the same way.
    CopyFromImage {
        name: String,
        image: String,
        src: String,
        dest: String,
    },
    /// The layers an earlier stage's steps made over the image at the bottom of its chain,
    /// stacked onto this stage as they are (a diff and a merge): nothing is copied, and the
    /// layers are the very ones the dependency step cached and a CI cache exports.
    LayersOfStage {
        name: String,
        stage: StageName,
    },
    Run(RunStep),
    /// Files the plan generates (not read from the client), written under `dest`: the steps
    /// after it depend on these bytes and nothing else from the context.
    WriteFiles {
        name: String,
        files: Vec<GeneratedFile>,
        dest: String,
    },
}

/// One generated file, by path relative to the step's `dest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

/// A view of the build context: the files a step sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextSelection {
    /// Patterns relative to the context root, in order (see [`PatternList`]): a path is in
    /// the view when the last rule that matches it selects it.
    pub rules: Vec<SelectionRule>,
}

/// One pattern of a view, and why it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectionRule {
    pub pattern: String,
    /// Whether what it matches is in the view (or left out).
    pub selects: bool,
    /// Why, in the user's terms: "lockfile", "documentation", "named by pyproject.toml `readme`".
    pub why: String,
}

impl ContextSelection {
    /// Exactly these files, for one reason.
    pub fn files(paths: &[String], why: &str) -> ContextSelection {
        ContextSelection {
            rules: paths
                .iter()
                .map(|path| SelectionRule {
                    pattern: patterns::literal(path),
                    selects: true,
                    why: why.to_string(),
                })
                .collect(),
        }
    }

    /// The files of `listing` (paths relative to the context root) this view passes with
    /// `excluded` applied, as the engine decides it.
    pub fn pick<'a>(
        &self,
        excluded: &ContextExclusions,
        listing: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<&'a str>, String> {
        let include = PatternList::new(&self.include_patterns())?;
        let exclude = PatternList::new(&excluded.patterns())?;
        Ok(walk_select(&include, &exclude, listing))
    }

    /// The rules as the engine's include patterns: a left-out pattern gets its `!`.
    pub fn include_patterns(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|r| {
                if r.selects {
                    r.pattern.clone()
                } else {
                    format!("!{}", r.pattern)
                }
            })
            .collect()
    }
}

/// What no view of the context passes, relative to the context root: the build's ignore file
/// (`.dockerignore`, or the one beside the spec) and strata's never-inputs (version control,
/// installed packages, caches). A selection cannot bring these back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContextExclusions {
    /// The ignore file's name, when the build has one.
    pub ignore_file: Option<String>,
    pub ignored: Vec<String>,
    pub never: Vec<String>,
}

impl ContextExclusions {
    /// Every pattern, as the engine's exclude patterns: the ignore file's first, so its `!`
    /// lines cannot take back a never-input.
    pub fn patterns(&self) -> Vec<String> {
        self.ignored.iter().chain(&self.never).cloned().collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunStep {
    /// The progress line the user sees, e.g. `[strata deps] go mod download (go.mod, go.sum)`.
    pub name: String,
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub cwd: String,
    pub mounts: Vec<Mount>,
    pub network: Network,
    /// Proxy settings travel beside the command, not in its env: BuildKit leaves them out of
    /// the cache key and out of the image, so changing a proxy rebuilds nothing.
    pub proxy: Option<ProxyEnv>,
    /// Shell run before the command, in the shell that runs it (trusting the build's CA,
    /// writing SSH host keys): kept apart from `argv` so the command the engine shows when the
    /// step fails is the step's own; see [`RunStep::invocation`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub setup: String,
    /// Known failures to recognise in the command's output, each with the fix to print.
    pub failure_hints: Vec<FailureHint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mount {
    /// A persistent cache directory shared between builds (`RUN --mount=type=cache`).
    Cache {
        target: String,
        id: String,
        sharing: CacheSharing,
        /// A directory of the step's own filesystem that a new cache starts as (copy on
        /// write, not copied): what an earlier step compiled into a layer, which a CI cache
        /// export carries, so a cold runner's cache mount is warm. BuildKit keys such a cache
        /// by the directory's snapshot too: a new layer starts a new cache.
        #[serde(skip_serializing_if = "Option::is_none")]
        starts_from: Option<String>,
    },
    /// A view of selected context files, without copying them into a layer: read-only, or
    /// `writable` as a scratch copy whose changes are thrown away (a build script that writes
    /// generated code beside its sources).
    Context {
        target: String,
        files: ContextSelection,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        writable: bool,
    },
    /// An empty directory whose contents become the stage's result.
    Output { target: String },
    /// A file the user passes with `--secret id=…`: readable by the step, never in a layer
    /// and never in the cache key. Optional ones are simply absent when not passed.
    Secret {
        id: String,
        target: String,
        required: bool,
    },
    /// An in-memory directory for files a step makes and must not leave in a layer.
    Tmpfs { target: String },
    /// The client's SSH agent socket (`--ssh id`), absent when the build does not forward it.
    SshAgent { id: String, target: String },
    /// Settings given at build time (mirrors from build args) as `export` lines in
    /// `target/env`, which the step's setup reads. A separate step writes them afresh on every
    /// build into the cache directory `id` (named by their hash), so they reach the step without
    /// entering its cache key (the engine leaves cache ids out of it) or any layer.
    BuildSettings {
        target: String,
        id: String,
        env: BTreeMap<String, String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheSharing {
    /// Many builds may use it at once: the tool locks what it writes (Go's caches do).
    Shared,
    /// One build at a time; others wait.
    Locked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    Default,
    Host,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ProxyEnv {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

/// What the final image's config says, before it is merged with the base image's config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageSettings {
    pub entrypoint: Vec<String>,
    /// Which rule chose the entrypoint: `run.command`, the Procfile, the framework, the
    /// language's own rule.
    pub chosen_by: String,
    pub cmd: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub workdir: String,
    pub user: String,
    pub ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

impl Step {
    /// The progress line the user sees for the step.
    pub fn name(&self) -> &str {
        match self {
            Step::CopyContext { name, .. }
            | Step::CopyFromStage { name, .. }
            | Step::CopyFromImage { name, .. }
            | Step::LayersOfStage { name, .. }
            | Step::WriteFiles { name, .. }
            | Step::Run(RunStep { name, .. }) => name,
        }
    }
}

impl Plan {
    pub fn stage(&self, name: StageName) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// Proxy settings given at build time (`--build-arg HTTPS_PROXY=…`) override the spec's
    /// for every step that can reach the network.
    pub fn apply_build_proxy(&mut self, proxy: &ProxyEnv) {
        for stage in &mut self.stages {
            for step in &mut stage.steps {
                let Step::Run(run) = step else { continue };
                if run.network == Network::None {
                    continue;
                }
                let merged = run.proxy.get_or_insert_with(ProxyEnv::default);
                for (mine, given) in [
                    (&mut merged.http, &proxy.http),
                    (&mut merged.https, &proxy.https),
                    (&mut merged.no_proxy, &proxy.no_proxy),
                ] {
                    if given.is_some() {
                        mine.clone_from(given);
                    }
                }
            }
        }
    }

    /// What the build stage sees of the app: the first selection it copies or mounts.
    pub fn sources(&self) -> Option<&ContextSelection> {
        self.stage(StageName::Build)?
            .steps
            .iter()
            .find_map(|step| match step {
                Step::CopyContext { files, .. } => Some(files),
                Step::Run(run) => run.mounts.iter().find_map(|m| match m {
                    Mount::Context { files, .. } => Some(files),
                    _ => None,
                }),
                _ => None,
            })
    }

    /// Every image the plan uses (stage bases, images files are copied from) once, with where
    /// the first stage that uses it runs.
    /// Replaces every base image and copied-from image `replacement` names (a named
    /// context of the build), keeping the rest.
    pub fn replace_images(&mut self, replacement: impl Fn(&str) -> Option<String>) {
        for stage in &mut self.stages {
            if let Base::Image { reference } = &mut stage.base {
                if let Some(new) = replacement(reference) {
                    *reference = new;
                }
            }
            for step in &mut stage.steps {
                if let Step::CopyFromImage { image, .. } = step {
                    if let Some(new) = replacement(image) {
                        *image = new;
                    }
                }
            }
        }
    }

    pub fn images(&self) -> Vec<(&str, &RunsOn)> {
        let mut out: Vec<(&str, &RunsOn)> = Vec::new();
        for stage in &self.stages {
            let copied = stage.steps.iter().filter_map(|step| match step {
                Step::CopyFromImage { image, .. } => Some(image.as_str()),
                _ => None,
            });
            let base = match &stage.base {
                Base::Image { reference } => Some(reference.as_str()),
                _ => None,
            };
            for reference in base.into_iter().chain(copied) {
                if out.iter().all(|(r, _)| *r != reference) {
                    out.push((reference, &stage.runs_on));
                }
            }
        }
        out
    }
}
