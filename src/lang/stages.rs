//! The shared ways providers build their steps and their three stages: a step that downloads
//! (network, proxy, CA), a step that works offline, and the dependency → build → runtime
//! assembly with the image's settings. A provider says what is particular to its language and
//! nothing else.

use std::collections::BTreeMap;

use super::context::join;
use super::start::Start;
use super::{ca_mount, image_base, image_labels, network, proxy_env, runtime_user_or};
use crate::plan::{
    Base, ContextExclusions, ContextSelection, ImageRole, ImageSettings, Mount, Network, Plan,
    RunStep, RunsOn, Stage, StageName, StageResult, Step, TargetPart, Toolchain,
};
use crate::spec::{Language, RuntimeBase, Spec, default_frontend_image};

/// Where every provider puts the app in its images, and the default working directory.
pub(crate) const APP_DIR: &str = "/app";

/// A command for a step, before the plan decides what it may reach.
pub(crate) struct Command {
    name: String,
    argv: Vec<String>,
    cwd: String,
    env: BTreeMap<String, String>,
    mounts: Vec<Mount>,
}

impl Command {
    /// A `/bin/sh -c` script (what every download step is: lang/download.rs prepends to it).
    pub fn shell(name: impl Into<String>, script: impl Into<String>, cwd: &str) -> Command {
        Command::exec(
            name,
            vec!["/bin/sh".to_string(), "-c".to_string(), script.into()],
            cwd,
        )
    }

    pub fn exec(name: impl Into<String>, argv: Vec<String>, cwd: &str) -> Command {
        Command {
            name: name.into(),
            argv,
            cwd: cwd.to_string(),
            env: BTreeMap::new(),
            mounts: Vec::new(),
        }
    }

    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Command {
        self.env
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    pub fn mount(mut self, mount: Mount) -> Command {
        self.mounts.push(mount);
        self
    }

    /// A step that downloads, on `network`: the spec's proxy and the optional CA, to which
    /// lang/download.rs adds the secrets, SSH and failure hints.
    pub fn downloads(mut self, spec: &Spec, network: Network) -> Step {
        self.mounts.push(ca_mount(spec));
        self.into_step(network, proxy_env(spec))
    }

    /// A step that needs no network (unless `network.build` gives it one): no CA, and the
    /// proxy only when it has a network.
    pub fn offline(self, spec: &Spec) -> Step {
        let network = network(spec.network.build, Network::None);
        let proxy = (network != Network::None)
            .then(|| proxy_env(spec))
            .flatten();
        self.into_step(network, proxy)
    }

    fn into_step(self, network: Network, proxy: Option<crate::plan::ProxyEnv>) -> Step {
        Step::Run(RunStep {
            name: self.name,
            argv: self.argv,
            env: self.env,
            cwd: self.cwd,
            mounts: self.mounts,
            network,
            proxy,
            setup: String::new(),
            failure_hints: Vec::new(),
        })
    }
}

/// A provider's plan, by stage.
pub(crate) struct Stages {
    pub language: Language,
    pub app: String,
    /// The toolchain image of the dependency and build stages.
    pub builder: String,
    /// Its toolchain and version, and what chose it.
    pub toolchain: Option<Toolchain>,
    pub deps: Vec<Step>,
    pub build: Vec<Step>,
    /// The build stage hands on only what its steps wrote here, or (`None`) its filesystem.
    pub build_output: Option<&'static str>,
    /// Where the dependency and build stages run for another platform: natively, with the
    /// build told the target by these variables (Go), or (`None`) on the target itself.
    pub cross_compile: Option<BTreeMap<String, TargetPart>>,
    pub runtime_base: Base,
    pub runtime: Vec<Step>,
    pub image: ImageSettings,
    pub warnings: Vec<String>,
}

impl Stages {
    pub fn into_plan(self, spec: &Spec) -> Plan {
        let (deps_runs_on, build_runs_on) = match self.cross_compile {
            // Downloads are the same for every target: one run serves them all.
            Some(target_env) => (
                RunsOn::Build {
                    target_env: BTreeMap::new(),
                },
                RunsOn::Build { target_env },
            ),
            None => (RunsOn::Target, RunsOn::Target),
        };
        Plan {
            language: self.language.name().to_string(),
            app: self.app,
            context_dir: spec.path.value.clone(),
            toolchain: self.toolchain,
            stages: vec![
                Stage {
                    name: StageName::Deps,
                    base: Base::Image {
                        reference: self.builder,
                    },
                    runs_on: deps_runs_on,
                    steps: self.deps,
                    result: StageResult::Filesystem,
                },
                Stage {
                    name: StageName::Build,
                    base: Base::Stage {
                        stage: StageName::Deps,
                    },
                    runs_on: build_runs_on,
                    steps: self.build,
                    result: match self.build_output {
                        Some(path) => StageResult::OutputDir {
                            path: path.to_string(),
                        },
                        None => StageResult::Filesystem,
                    },
                },
                Stage {
                    name: StageName::Runtime,
                    base: self.runtime_base,
                    runs_on: RunsOn::Target,
                    steps: self.runtime,
                    result: StageResult::Filesystem,
                },
            ],
            excluded: ContextExclusions::default(),
            image: self.image,
            warnings: self.warnings,
            contacts: Vec::new(),
            mirrors: Vec::new(),
        }
    }
}

/// Copies exactly the named files (relative to the app directory) for a dependency step:
/// `[strata deps] copy a, b{what}`.
pub(crate) fn copy_lockfiles(spec: &Spec, names: &[String], dest: &str, what: &str) -> Step {
    let rooted: Vec<String> = names.iter().map(|f| join(&spec.path.value, f)).collect();
    Step::CopyContext {
        name: format!("[strata deps] copy {}{what}", names.join(", ")),
        files: ContextSelection::files(&rooted, "dependency manifest"),
        dest: dest.to_string(),
    }
}

/// A runtime stage's base and steps, and the image's settings.
pub(crate) struct Runtime {
    pub base: Base,
    pub steps: Vec<Step>,
    pub image: ImageSettings,
}

/// Where a built site lives in its image, and the web server that serves it.
pub(crate) const SITE_DIR: &str = "/app/site";
const SITE_SERVER: &str = "/app/strata";

/// The runtime of a site: strata's own web server (`strata serve`, a static binary taken from
/// the frontend image this build runs) and the site that `site` puts in [`SITE_DIR`], on the
/// distroless base, as uid 65532, on port 8080. `scratch` works too; an image the spec names gets
/// the same two layers.
pub(crate) fn site_runtime(
    spec: &Spec,
    app: &str,
    site: Step,
    why: &str,
    warnings: &mut Vec<String>,
) -> Runtime {
    let base = match &spec.runtime.value {
        RuntimeBase::Static | RuntimeBase::Slim => image_base(ImageRole::RuntimeStatic),
        RuntimeBase::Scratch => Base::Scratch,
        RuntimeBase::Image(reference) => Base::Image {
            reference: reference.clone(),
        },
    };
    let frontend = spec
        .frontend_image
        .clone()
        .unwrap_or_else(default_frontend_image);
    let steps = vec![
        Step::CopyFromImage {
            name: "[strata runtime] copy strata's web server".to_string(),
            image: frontend,
            src: "/strata".to_string(),
            dest: SITE_SERVER.to_string(),
        },
        site,
    ];
    let server = Start::new(
        vec![
            SITE_SERVER.to_string(),
            "serve".to_string(),
            SITE_DIR.to_string(),
        ],
        format!("a site ({why}): strata's web server"),
    )
    .on_port(crate::serve::DEFAULT_PORT);
    let image = image_settings(spec, app, server, "65532:65532", BTreeMap::new(), warnings);
    Runtime { base, steps, image }
}

/// The image's settings: how it starts (`run.command` over `start`), the spec's args, `env`
/// under the spec's `run.env` (with `PORT` when the start rule knows the port), `/app` unless the
/// spec names a workdir, `default_user` unless the spec names one (a warning when it is root),
/// the spec's ports (else the start rule's), and labels.
pub(crate) fn image_settings(
    spec: &Spec,
    app: &str,
    start: Start,
    default_user: &str,
    mut env: BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> ImageSettings {
    let start = match &spec.run.command {
        Some(command) => Start::new(command.clone(), "run.command"),
        None => start,
    };
    let mut ports = spec.run.ports.clone();
    if let Some(port) = start.port {
        env.insert("PORT".to_string(), port.to_string());
        if ports.is_empty() {
            ports.push(format!("{port}/tcp"));
        }
    }
    env.extend(spec.run.env.clone());
    ImageSettings {
        entrypoint: start.command,
        chosen_by: start.why,
        cmd: spec.run.args.clone(),
        env,
        workdir: spec
            .run
            .workdir
            .clone()
            .unwrap_or_else(|| APP_DIR.to_string()),
        user: runtime_user_or(spec, default_user, warnings),
        ports,
        labels: image_labels(spec, app),
    }
}
