//! Python: a virtualenv built from the lockfiles only (uv, Poetry's lockfile or pip), the
//! project's own files added on top, and the venv plus the app on a slim Python runtime.

mod frameworks;
mod references;
mod wheels;

use std::collections::BTreeMap;

use super::context::join;
use super::inputs::{self, Documentation, Sources};
use super::stages::{APP_DIR, Command, Stages, copy_lockfiles, image_settings};
use super::start::{self, Start};
use super::toolchain::{self, Demand, Requirement};
use super::{
    ContextFiles, Probe, Provider, interpreter_runtime, network, require_named_lockfiles, strings,
};
use crate::plan::{
    CacheSharing, ContextSelection, ImageRole, Mount, Network, Plan, StageName, Step, Toolchain,
    default_image, default_version, shell_quote,
};
use crate::spec::{Diagnostic, Diagnostics, Language, RuntimeBase, Spec};

pub struct Python;

const VENV: &str = "/app/.venv";
/// The interpreter the venv is made with. Its `bin/python` is a symlink to this path, so it
/// must exist at the same path in the builder and the runtime image: both the official images
/// (python:3.13-slim, uv's python images built on it) and the Debian-based stand-ins have
/// `/usr/local/bin/python3`, while `/usr/bin/python3` exists only in the stand-ins.
const INTERPRETER: &str = "/usr/local/bin/python3";
/// The installers' caches (mounts), under a directory every base image has: the runtime takes
/// the install steps' layers as they are, and a mount point's parent BuildKit had to create
/// would stay in them.
const UV_CACHE: &str = "/var/cache/strata-uv";
const PIP_CACHE: &str = "/var/cache/strata-pip";
const UV_TOOLS: &str = "/var/cache/strata-uv/tools";
/// The runtime PATH: the venv first, then the usual directories (the base image's PATH is not
/// known when planning, and every Debian-based Python image uses these).
const RUNTIME_PATH: &str =
    "/app/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Tests and their tooling: the image does not run them, so editing them rebuilds nothing.
const TESTS: &[&str] = &[
    "tests",
    "test",
    "**/tests",
    "**/test_*.py",
    "**/*_test.py",
    "**/tests.py",
    "**/conftest.py",
];
/// What an earlier build or a tool left in the project directory.
const EARLIER_OUTPUTS: &[&str] = &["dist", "build", "**/*.egg-info", "htmlcov", ".coverage"];

/// The Poetry that turns `poetry.lock` into hashed requirements. Pinned so the dependency
/// step's cache key says exactly which exporter ran; it runs from uv's cache, never in a layer.
const POETRY_EXPORT: &str = "uvx --from poetry==2.2.1 --with poetry-plugin-export==1.9.0 poetry";
/// `uv pip` into the venv. Named explicitly: `UV_PYTHON` (the interpreter the venv is made
/// from) would otherwise win over `VIRTUAL_ENV` and install into the system's site-packages.
const UV_PIP_INSTALL: &str = "uv pip install --python /app/.venv/bin/python";
/// Where the exported requirements live for the length of the dependency step.
const EXPORTED_REQUIREMENTS: &str = "/tmp/strata-requirements.txt";

/// How the dependencies are pinned, which decides the tool that installs them.
enum Installer {
    /// `uv.lock` beside `pyproject.toml`.
    Uv { project: Pyproject },
    /// `poetry.lock` beside `pyproject.toml`: exported to hashed requirements and installed
    /// with uv, so the build needs neither Poetry's resolver nor its virtualenv handling.
    Poetry { project: Pyproject },
    /// Pinned requirements files, installed with pip, and the files they include. Lines that
    /// name a directory of the app (`-e .[extra]`, `./libs/x`) are built from the sources, so
    /// they wait for the build stage; `project` is pyproject.toml when one names the app itself.
    Pip {
        requirements: Vec<String>,
        includes: Vec<String>,
        local: Vec<LocalRequirement>,
        project: Option<Pyproject>,
    },
    /// `pyproject.toml` alone: its `[project] dependencies`, resolved afresh by uv on every
    /// dependency-step run (a warning says the layer cannot be pinned).
    Unpinned { project: Pyproject },
    /// setup.py without pinned dependencies (a pyproject.toml beside it, if any, names no
    /// `[project]`): setup.py often imports the package or reads its README, so nothing
    /// installs before the sources are there, and the project install resolves the
    /// dependencies (a warning says so).
    SetupPy { project: Option<Pyproject> },
}

impl Installer {
    fn project(&self) -> Option<&Pyproject> {
        match self {
            Installer::Uv { project }
            | Installer::Poetry { project }
            | Installer::Unpinned { project } => Some(project),
            Installer::Pip { project, .. } | Installer::SetupPy { project } => project.as_ref(),
        }
    }

    /// The files the dependency step sees: the installer's, then what the spec adds (a
    /// workspace member's pyproject.toml).
    fn lockfiles(&self, spec: &Spec) -> Vec<String> {
        let mut files = match self {
            Installer::Uv { .. } => strings(&["pyproject.toml", "uv.lock"]),
            Installer::Poetry { .. } => strings(&["pyproject.toml", "poetry.lock"]),
            Installer::Unpinned { .. } => strings(&["pyproject.toml"]),
            Installer::SetupPy { .. } => Vec::new(),
            // What pip reads: the files it installs and the ones they include (`-r`, `-c`).
            Installer::Pip {
                requirements,
                includes,
                ..
            } => return requirements.iter().chain(includes).cloned().collect(),
        };
        for named in spec.lockfiles.iter().flatten() {
            if !files.contains(&named.value) {
                files.push(named.value.clone());
            }
        }
        files
    }

    /// The lockfiles copied in, then the install of the locked dependencies (never the
    /// project) into the venv.
    fn dependency_steps(&self, spec: &Spec) -> Vec<Step> {
        let lockfiles = self.lockfiles(spec);
        let copy = (!lockfiles.is_empty()).then(|| copy_lockfiles(spec, &lockfiles, APP_DIR, ""));
        copy.into_iter()
            .chain([self.install_step(spec, &lockfiles.join(", "))])
            .collect()
    }

    /// The step that installs the locked dependencies (never the project) into the venv.
    fn install_step(&self, spec: &Spec, listed: &str) -> Step {
        let network = network(spec.network.deps, Network::Default);
        match self {
            Installer::Uv { .. } => uv_command(
                spec,
                format!("[strata deps] uv sync --no-install-project ({listed})"),
                "uv sync --frozen --no-install-project --no-dev",
            )
            .downloads(spec, network),
            Installer::Poetry { .. } => uv_command(
                spec,
                format!("[strata deps] poetry export | uv pip install ({listed})"),
                &format!(
                    "{POETRY_EXPORT} export --only main --format requirements.txt{} \
                     --output {EXPORTED_REQUIREMENTS} && uv venv --quiet {VENV} && \
                     {UV_PIP_INSTALL} --require-hashes --no-deps -r {EXPORTED_REQUIREMENTS} && \
                     rm {EXPORTED_REQUIREMENTS}",
                    // The export names Poetry's sources as index URLs, which would win over
                    // the spec's mirror: leave them out when one is set.
                    if spec.python.index.is_some() {
                        " --without-urls"
                    } else {
                        ""
                    }
                ),
            )
            .downloads(spec, network),
            Installer::Pip {
                requirements,
                local,
                ..
            } => pip_command(
                spec,
                format!("[strata deps] pip install ({listed})"),
                requirements,
                local,
            )
            .downloads(spec, network),
            Installer::Unpinned { .. } => uv_command(
                spec,
                "[strata deps] uv pip install (pyproject.toml dependencies, unpinned)".to_string(),
                &format!("uv venv --quiet {VENV} && {UV_PIP_INSTALL} -r pyproject.toml"),
            )
            .downloads(spec, network),
            Installer::SetupPy { .. } => uv_command(
                spec,
                "[strata deps] uv venv (setup.py pins nothing to install before the sources)"
                    .to_string(),
                &format!("uv venv --quiet {VENV}"),
            )
            .offline(spec),
        }
    }

    /// Installs the project itself into the venv, when it is a package, or the app's
    /// directories a requirements file names: its dependencies are already there, so a source
    /// edit never re-resolves them. Building the project's wheel needs its build backend
    /// (hatchling, poetry-core…), which no lockfile pins: this step may download it, so it gets
    /// the dependency steps' network, cache and CA.
    fn project_install(&self, spec: &Spec, project: Option<&Pyproject>) -> Option<Step> {
        let (verb, command, what) = match self {
            // pip resolves what the directories need beyond the pinned requirements (an extra's
            // packages, say), keeping what is installed. Installed, not editable: the image
            // runs what was built.
            Installer::Pip { local, .. } if !local.is_empty() => {
                let targets: Vec<&str> = local.iter().map(|l| l.target.as_str()).collect();
                let quoted: Vec<String> = targets.iter().map(|t| shell_quote(t)).collect();
                let command = format!("{UV_PIP_INSTALL} {}", quoted.join(" "));
                ("uv pip install", command, Some(targets.join(" ")))
            }
            Installer::Pip { .. } => return None,
            Installer::SetupPy { .. } => (
                "uv pip install",
                format!("{UV_PIP_INSTALL} ."),
                Some("the setup.py project and its dependencies".to_string()),
            ),
            Installer::Uv { .. } => (
                "uv sync",
                "uv sync --frozen --no-dev --no-editable".to_string(),
                None,
            ),
            _ => (
                "uv pip install",
                format!("{UV_PIP_INSTALL} --no-deps ."),
                None,
            ),
        };
        // Otherwise the package itself, when the project is one.
        let what =
            what.or_else(|| project.map(|p| p.name.clone().unwrap_or("the project".to_string())))?;
        let deps_network = network(spec.network.deps, Network::Default);
        let git_version = project
            .and_then(|p| p.version_from_git)
            .map(|g| (g.variable, VERSION_WITHOUT_GIT));
        // uv reuses a wheel it built from the same sources, whatever the variables said then:
        // a version named in build.env would not reach the image.
        let rebuilt = match (git_version, project.and_then(|p| p.name.as_deref())) {
            (Some(_), Some(name)) => format!(" --reinstall-package {}", shell_quote(name)),
            _ => String::new(),
        };
        let step = uv_command(
            spec,
            format!("[strata build] {verb}: install {what} into {VENV}"),
            &format!("{command}{rebuilt}"),
        )
        .env(git_version)
        .env(spec.build.env.clone())
        .downloads(spec, network(spec.network.build, deps_network));
        Some(step)
    }

    fn warnings(&self, spec: &Spec) -> Vec<String> {
        let mut warnings = Vec::new();
        let git_version = self
            .project()
            .filter(|p| p.is_package())
            .and_then(|p| p.version_from_git)
            .filter(|g| !spec.build.env.contains_key(g.variable));
        if let Some(GitVersion { plugin, variable }) = git_version {
            warnings.push(format!(
                "{}: the version comes from git ({plugin}), and no build step sees `.git`: the \
                 package installs as {VERSION_WITHOUT_GIT}; name the version with \
                 `build.env: {{{variable}: \"1.2.3\"}}`",
                join(&spec.path.value, "pyproject.toml")
            ));
        }
        if let Installer::SetupPy { .. } = self {
            warnings.push(format!(
                "{}: no lockfile, so the dependencies install with the project in the build \
                 step: every source edit installs them again; pin them (`uv lock`, or a \
                 requirements.txt with `.` on its last line) to give them a layer of their own",
                join(&spec.path.value, "setup.py")
            ));
        }
        if let Installer::Unpinned { .. } = self {
            warnings.push(format!(
                "{}: no lockfile, so the dependency layer cannot be pinned: dependencies resolve \
                 afresh whenever pyproject.toml changes; run `uv lock` to pin them",
                join(&spec.path.value, "pyproject.toml")
            ));
        }
        if let (Installer::Uv { .. }, Some(_)) = (self, &spec.python.index) {
            let setting = match spec.mirror_args.get("python.index") {
                Some(arg) => format!("build arg {arg}"),
                None => "python.index".to_string(),
            };
            warnings.push(format!(
                "{setting} does not move uv.lock's packages: uv.lock records where each one \
                 comes from, and `uv sync --frozen` installs from there; configure the mirror \
                 when locking (`[[tool.uv.index]]`, `uv lock`)"
            ));
        }
        warnings
    }
}

impl Provider for Python {
    fn language(&self) -> Language {
        Language::Python
    }

    fn probe(&self) -> Probe {
        Probe {
            never: Vec::new(),
            // The manifests and the packaging files that name what a project install reads;
            // the dependency files, the Procfile and the Python files near the top, where apps
            // define their framework's app object; Django's settings.
            read: strings(&[
                "pyproject.toml",
                "setup.cfg",
                "MANIFEST.in",
                "requirements*.txt",
                "requirements/*.txt",
                "uv.lock",
                "poetry.lock",
                ".python-version",
                "Procfile",
                "*.py",
                "*/*.py",
                "*/*/*.py",
                "src/*/*/*.py",
                "**/settings.py",
                "**/settings/*.py",
            ]),
        }
    }

    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool {
        files.under(app_dir).any(|p| {
            matches!(p, "pyproject.toml" | "uv.lock" | "poetry.lock" | "setup.py")
                || is_requirements_file(p)
        })
    }

    /// A pyproject.toml of tool settings (`[tool.ruff]`, `[tool.black]`) and nothing else: no
    /// project, no build system, no lockfile or requirements.
    fn only_tooling(&self, files: &ContextFiles, app_dir: &str) -> bool {
        let Some(Ok(doc)) = files
            .text(app_dir, "pyproject.toml")
            .map(toml::from_str::<toml::Table>)
        else {
            return false;
        };
        let project = ["project", "build-system"]
            .iter()
            .any(|table| doc.contains_key(*table))
            || doc
                .get("tool")
                .and_then(toml::Value::as_table)
                .is_some_and(|tool| tool.contains_key("poetry"));
        !project
            && !files
                .under(app_dir)
                .any(|p| matches!(p, "uv.lock" | "poetry.lock") || is_requirements_file(p))
    }

    fn contacts(&self, spec: &Spec) -> Vec<String> {
        let mut urls = match &spec.python.index {
            Some(index) => vec![index.clone()],
            // PyPI serves its index and its files from two hosts.
            None => vec![
                "https://pypi.org/simple/".to_string(),
                "https://files.pythonhosted.org/".to_string(),
            ],
        };
        urls.extend(spec.python.extra_indexes.iter().cloned());
        urls
    }

    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
        let dir = spec.path.value.as_str();
        let local: Vec<&str> = files.under(dir).collect();
        let installer = installer(spec, files, &local)?;
        let project = installer.project().filter(|p| p.is_package());
        let mut warnings = installer.warnings(spec);
        let sources = sources(spec, files, &local, &mut warnings);
        let build = std::iter::once(copy_sources("build", &sources))
            .chain(installer.project_install(spec, project))
            .collect();
        let pyproject = read_pyproject(spec, files)?;
        let demands = python_demands(spec, files, pyproject.as_ref(), &mut warnings)?;
        let (builder, toolchain) =
            toolchain::builder(spec, ImageRole::PythonBuilder, "Python", &demands)?;
        let runtime_image = runtime_image(spec, &builder, &toolchain, &mut warnings);
        let dependencies = frameworks::dependencies(files, dir, &local);
        let start = start::choose(
            spec,
            files,
            true,
            || frameworks::start(spec, files, &local, &dependencies, &mut warnings),
            || generic_start(spec, project, &local),
        )?;
        let app = installer
            .project()
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| app_name(dir, &start.command));
        let env = BTreeMap::from([
            ("PATH".to_string(), RUNTIME_PATH.to_string()),
            ("VIRTUAL_ENV".to_string(), VENV.to_string()),
        ]);
        let image = image_settings(spec, &app, start, "65532:65532", env, &mut warnings);
        Ok(Stages {
            language: Language::Python,
            builder,
            deps: installer.dependency_steps(spec),
            build,
            build_output: None,
            cross_compile: None,
            runtime_base: interpreter_runtime(
                spec,
                &runtime_image,
                "a Python app",
                "an interpreter",
                &format!("Python 3 at {INTERPRETER}"),
            )?,
            toolchain: Some(toolchain),
            // The venv is built where the runtime reads it (/app/.venv, against the same
            // interpreter), so the runtime takes the dependency and build stages' layers as they
            // are: the venv's dependency layer is the one the cache holds (unchanged by a source
            // edit, skipped by pushes), and no step copies it.
            runtime: [Step::LayersOfStage {
                name: "[strata runtime] the virtualenv and the app's files, as built".to_string(),
                stage: StageName::Build,
            }]
            .into_iter()
            .chain(collect_static(spec, files, &local))
            .collect(),
            image,
            warnings,
            app,
        }
        .into_plan(spec))
    }
}

/// Django's `collectstatic` into STATIC_ROOT, in the runtime stage after the app's files,
/// when the settings set STATIC_ROOT: no network, and made-up secrets so settings that read
/// them from the environment load (collectstatic connects to nothing).
fn collect_static(spec: &Spec, files: &ContextFiles, local: &[&str]) -> Option<Step> {
    let django = frameworks::Django::find(files, &spec.path.value, local)?;
    if !django.collects_static() {
        return None;
    }
    let placeholder = "strata-collectstatic-placeholder";
    Some(
        Command::shell(
            "[strata runtime] manage.py collectstatic",
            format!("{VENV}/bin/python manage.py collectstatic --noinput"),
            APP_DIR,
        )
        .env([
            ("DJANGO_SETTINGS_MODULE", django.settings_module.as_str()),
            ("SECRET_KEY", placeholder),
            ("DJANGO_SECRET_KEY", placeholder),
            (
                "DATABASE_URL",
                "sqlite:////tmp/strata-collectstatic.sqlite3",
            ),
        ])
        .offline(spec),
    )
}

/// What the project install and the runtime see: the app directory without documentation,
/// tests, tooling and earlier build outputs, plus every file the packaging names.
fn sources(
    spec: &Spec,
    files: &ContextFiles,
    local: &[&str],
    warnings: &mut Vec<String>,
) -> ContextSelection {
    let dir = spec.path.value.as_str();
    let mut sources = Sources::app_directory(spec, Documentation::All);
    sources.leave_out(TESTS, "tests (the image does not run them)");
    sources.leave_out(EARLIER_OUTPUTS, "output of an earlier build");
    let read = |path: &str| files.contents.get(&join(dir, path)).cloned();
    let named = references::packaging_references(read, local);
    for missing in sources.name(local, named) {
        warnings.push(format!(
            "{}: `{}` is not in the build context{}; the project install may fail without it",
            missing.why,
            missing.path,
            files.ignore_hint()
        ));
    }
    sources.finish(spec)
}

fn copy_sources(stage: &str, sources: &ContextSelection) -> Step {
    Step::CopyContext {
        name: format!("[strata {stage}] copy the app's files"),
        files: sources.clone(),
        dest: APP_DIR.to_string(),
    }
}

/// A uv command (sync, pip install, a Poetry export run by uvx) into the venv at /app/.venv,
/// with uv's cache.
fn uv_command(spec: &Spec, name: String, command: &str) -> Command {
    // uv trusts its own root list, not the system's: the SSL_CERT_FILE every download step
    // gets (lang/download.rs) is how it takes the CA.
    Command::shell(name, command, APP_DIR)
        .env(index_env(spec, "UV_DEFAULT_INDEX", "UV_INDEX"))
        .env([
            ("UV_CACHE_DIR", UV_CACHE),
            // The cache is a mount: hard links into it would not survive into the layer.
            ("UV_LINK_MODE", "copy"),
            // The runtime user cannot write __pycache__; compile once here.
            ("UV_COMPILE_BYTECODE", "1"),
            // The image's interpreter, never a downloaded one the runtime image would lack.
            ("UV_PYTHON_DOWNLOADS", "never"),
            ("UV_PYTHON", INTERPRETER),
            ("UV_PROJECT_ENVIRONMENT", VENV),
            // uvx's tool registry (the Poetry export), kept out of the layer with the cache.
            ("UV_TOOL_DIR", UV_TOOLS),
        ])
        // uv's lock files: scratch, not the runtime's.
        .mount(Mount::Tmpfs {
            target: "/tmp".to_string(),
        })
        .mount(Mount::Cache {
            target: UV_CACHE.to_string(),
            id: format!("strata/{}/uv", spec.cache_namespace),
            // uv locks its cache itself; concurrent builds may share it.
            sharing: CacheSharing::Shared,
            starts_from: None,
        })
}

/// The spec's package indexes in the variables one installer reads (both take a
/// space-separated list of extra indexes).
fn index_env(spec: &Spec, index_var: &str, extra_var: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    if let Some(index) = &spec.python.index {
        env.insert(index_var.to_string(), index.clone());
    }
    if !spec.python.extra_indexes.is_empty() {
        env.insert(extra_var.to_string(), spec.python.extra_indexes.join(" "));
    }
    env
}

/// pip into a fresh venv from pinned requirements files, with pip's cache. The lines naming the
/// app's directories are struck from the copies the step sees: the sources come later.
fn pip_command(
    spec: &Spec,
    name: String,
    requirements: &[String],
    local: &[LocalRequirement],
) -> Command {
    let mut struck: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for l in local {
        struck
            .entry(&l.file)
            .or_default()
            .push(format!("{}d", l.line));
    }
    let strike: Vec<String> = struck
        .iter()
        .map(|(file, lines)| format!("sed -i '{}' {} && ", lines.join(";"), shell_quote(file)))
        .collect();
    let files: Vec<String> = requirements.iter().map(|r| format!("-r {r}")).collect();
    // The builder's pip installs into a venv made without pip: the runtime image gets the
    // dependencies, not an installer.
    let script = format!(
        "{}{INTERPRETER} -m venv --without-pip {VENV} && \
         pip --python {VENV}/bin/python install {}",
        strike.concat(),
        files.join(" ")
    );
    Command::shell(name, script, APP_DIR)
        .env(index_env(spec, "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"))
        .env([
            ("PIP_CACHE_DIR", PIP_CACHE),
            ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
            ("PIP_ROOT_USER_ACTION", "ignore"),
        ])
        .mount(Mount::Cache {
            target: PIP_CACHE.to_string(),
            id: format!("strata/{}/pip", spec.cache_namespace),
            // pip does not lock its cache: concurrent builds take turns.
            sharing: CacheSharing::Locked,
            starts_from: None,
        })
}

/// The files requirements files include (`-r other.txt`, `-c constraints.txt`, relative to the
/// including file), transitively, that are in the listing; not the roots themselves.
fn requirement_includes(
    files: &ContextFiles,
    dir: &str,
    roots: &[String],
    local: &[&str],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending: Vec<String> = roots.to_vec();
    while let Some(file) = pending.pop() {
        for line in files.text(dir, &file).unwrap_or_default().lines() {
            let line = line.trim();
            let included = ["-r", "--requirement", "-c", "--constraint"]
                .iter()
                .find_map(|flag| {
                    let rest = line.strip_prefix(flag)?;
                    let rest = rest.strip_prefix('=').unwrap_or(rest);
                    rest.starts_with([' ', '\t'])
                        .then(|| rest.trim())
                        .or_else(|| (!rest.is_empty() && flag.starts_with("--")).then_some(rest))
                });
            let Some(included) = included else { continue };
            let Some(path) = inputs::resolve_inside(inputs::parent_dir(&file), included) else {
                continue;
            };
            if local.contains(&path.as_str()) && !roots.contains(&path) && !out.contains(&path) {
                out.push(path.clone());
                pending.push(path);
            }
        }
    }
    out
}

/// A requirements line naming a directory of the app (`-e .[extra]`, `./libs/x`): pip builds it
/// from the sources, which the dependency step has not got.
struct LocalRequirement {
    file: String,
    /// 1-based, as sed counts.
    line: usize,
    /// What pip installs, without `-e` (the image runs what was built, not a checkout).
    target: String,
}

/// pip on requirements files: what they include, the lines naming the app's directories, and
/// pyproject.toml when one of those is the app itself (its scripts start it).
fn pip_installer(
    spec: &Spec,
    files: &ContextFiles,
    requirements: Vec<String>,
    local: &[&str],
) -> Result<Installer, Diagnostics> {
    let dir = spec.path.value.as_str();
    let includes = requirement_includes(files, dir, &requirements, local);
    let mut directories = Vec::new();
    for file in requirements.iter().chain(&includes) {
        let text = files.text(dir, file).unwrap_or_default();
        for (index, line) in text.lines().enumerate() {
            if let Some(target) = local_requirement(line) {
                directories.push(LocalRequirement {
                    file: file.clone(),
                    line: index + 1,
                    target,
                });
            }
        }
    }
    let names_the_app = directories
        .iter()
        .any(|l| l.target == "." || l.target.starts_with(".[") || l.target == "./");
    let project = match names_the_app {
        true => read_pyproject(spec, files)?,
        false => None,
    };
    Ok(Installer::Pip {
        requirements,
        includes,
        local: directories,
        project,
    })
}

/// The directory a requirements line installs, when it is one of the app's (`.`, `./x`, with
/// or without `-e`/`--editable` and extras); pip reads such paths from its working directory,
/// the app's.
fn local_requirement(line: &str) -> Option<String> {
    // pip's comments start at a `#` at the line's start or after whitespace.
    let line = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => &line[..at],
        None => line,
    }
    .trim();
    let target = ["--editable", "-e"]
        .iter()
        .find_map(|flag| line.strip_prefix(flag))
        .map(|rest| rest.strip_prefix('=').unwrap_or(rest).trim())
        .unwrap_or(line);
    let target = target.strip_prefix("file:").unwrap_or(target);
    let directory = target.split('[').next().unwrap_or(target);
    let inside = directory == "."
        || directory
            .strip_prefix("./")
            .is_some_and(|rest| !rest.split('/').any(|part| part == ".."));
    inside.then(|| target.to_string())
}

fn is_requirements_file(path: &str) -> bool {
    path.starts_with("requirements") && path.ends_with(".txt") && !path.contains('/')
}

/// uv when uv.lock is there (and, if the spec names lockfiles, among them); Poetry's export
/// when poetry.lock is; else pip with the spec's lockfiles or requirements.txt; else uv on the
/// unpinned `[project] dependencies` of a lone pyproject.toml.
fn installer(spec: &Spec, files: &ContextFiles, local: &[&str]) -> Result<Installer, Diagnostics> {
    let dir = spec.path.value.as_str();
    if let Some(named) = &spec.lockfiles {
        require_named_lockfiles(
            spec,
            files,
            "check the name; Python lockfiles are `uv.lock`, `poetry.lock` or pinned requirements files",
        )?;
        if named
            .iter()
            .all(|l| l.value != "uv.lock" && l.value != "poetry.lock")
        {
            let requirements: Vec<String> = named.iter().map(|l| l.value.clone()).collect();
            return pip_installer(spec, files, requirements, local);
        }
    }
    let named = |name: &str| {
        spec.lockfiles
            .as_ref()
            .is_none_or(|named| named.iter().any(|l| l.value == name))
    };
    for (lockfile, tool) in [("uv.lock", "uv"), ("poetry.lock", "Poetry")] {
        if local.contains(&lockfile) && named(lockfile) {
            let project = read_pyproject(spec, files)?.ok_or_else(|| {
                Diagnostic::at(
                    spec.path.location,
                    format!("`{dir}` has {lockfile} but no pyproject.toml"),
                )
                .with_hint(format!(
                    "{lockfile} belongs next to the pyproject.toml {tool} locked it from"
                ))
            })?;
            return Ok(if lockfile == "uv.lock" {
                Installer::Uv { project }
            } else {
                Installer::Poetry { project }
            });
        }
    }
    if local.contains(&"requirements.txt") {
        return pip_installer(spec, files, vec!["requirements.txt".to_string()], local);
    }
    unlocked_installer(spec, files, local)
}

/// Without uv.lock, poetry.lock or requirements.txt: other requirements files must be named,
/// and a lone pyproject.toml installs unpinned (not a Poetry 1 one, which uv cannot read).
fn unlocked_installer(
    spec: &Spec,
    files: &ContextFiles,
    local: &[&str],
) -> Result<Installer, Diagnostics> {
    let dir = spec.path.value.as_str();
    let refuse = |message: String, hint: String| -> Diagnostics {
        Diagnostic::at(spec.path.location, message)
            .with_hint(hint)
            .into()
    };
    let others: Vec<&str> = local
        .iter()
        .copied()
        .filter(|p| is_requirements_file(p))
        .collect();
    if let Some(first) = others.first() {
        return Err(refuse(
            format!(
                "`{dir}` has no uv.lock, poetry.lock or requirements.txt, only {}",
                others.join(", ")
            ),
            format!("name the ones to install with `lockfiles:`, e.g. `lockfiles: [{first}]`"),
        ));
    }
    let setup_py = local.contains(&"setup.py");
    match read_pyproject(spec, files)? {
        Some(project) if setup_py && project.name.is_none() => Ok(Installer::SetupPy {
            project: Some(project),
        }),
        None if setup_py => Ok(Installer::SetupPy { project: None }),
        Some(project) if project.poetry => Err(refuse(
            format!("`{dir}` is a Poetry project without poetry.lock"),
            "run `poetry lock` and add poetry.lock to the repository".to_string(),
        )),
        Some(project) => Ok(Installer::Unpinned { project }),
        None => Err(refuse(
            format!("`{dir}` has no pyproject.toml, uv.lock, poetry.lock or requirements.txt"),
            "run `uv lock` (uv) or write a pinned requirements.txt (pip)".to_string(),
        )),
    }
}

/// pyproject.toml's facts, if the app directory has one.
fn read_pyproject(spec: &Spec, files: &ContextFiles) -> Result<Option<Pyproject>, Diagnostics> {
    let path = join(&spec.path.value, "pyproject.toml");
    let Some(text) = files.contents.get(&path) else {
        return Ok(None);
    };
    Pyproject::parse(text).map(Some).map_err(|why| {
        Diagnostic::at(spec.path.location, format!("cannot read {path}: {why}"))
            .with_hint("fix the TOML; `uv lock --check` or `poetry check` point at the line")
            .into()
    })
}

/// The runtime's image: the official one of the builder's Python line. A builder named without a
/// version strata can read gets the default runtime, with a warning unless `target.runtime`
/// names the image: a virtualenv runs only on the interpreter it was made with.
fn runtime_image(
    spec: &Spec,
    builder: &str,
    toolchain: &Toolchain,
    warnings: &mut Vec<String>,
) -> String {
    toolchain::image_at(ImageRole::PythonRuntime, toolchain).unwrap_or_else(|| {
        let image = default_image(ImageRole::PythonRuntime).to_string();
        if !matches!(spec.runtime.value, RuntimeBase::Image(_)) {
            warnings.push(format!(
                "images.builder `{builder}` names no Python version strata can read, so the \
                 runtime is {image}: the virtualenv runs only if the builder's Python is that \
                 one too; put the version in the builder's tag (`…python3.13…`) or set \
                 target.runtime"
            ));
        }
        image
    })
}

/// What the project asks of Python: the version `.python-version` pins (uv's and pyenv's pin),
/// and the ones `requires-python` and Poetry's `python` dependency allow.
fn python_demands(
    spec: &Spec,
    files: &ContextFiles,
    project: Option<&Pyproject>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Demand>, Diagnostics> {
    let mut demands = Vec::new();
    let pinned = files
        .text(&spec.path.value, ".python-version")
        .and_then(|text| {
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
        });
    if let Some(written) = pinned {
        let version = written
            .trim_start_matches("cpython")
            .trim_start_matches(['-', '@'])
            .trim_end_matches('t');
        match toolchain::line_for(ImageRole::PythonBuilder, version) {
            Some(line) => demands.push(Demand::pin(format!(".python-version `{written}`"), line)),
            None => warnings.push(format!(
                ".python-version asks for `{written}`; strata builds with CPython (set \
                 `images.builder` and `target.runtime` to images with that interpreter)"
            )),
        }
    }
    let ranges = project.into_iter().flat_map(|p| {
        [
            (
                "requires-python",
                p.requires_python.as_deref(),
                Requirement::pep440 as fn(&str) -> _,
            ),
            (
                "[tool.poetry.dependencies] python",
                p.poetry_python.as_deref(),
                poetry_constraint,
            ),
        ]
    });
    for (field, written, parse) in ranges {
        let Some(written) = written else { continue };
        let source = format!("pyproject.toml `{field} = \"{written}\"`");
        let requirement = parse(written).map_err(|why| {
            Diagnostic::at(spec.path.location, format!("{source}: {why}"))
                .with_hint("write a version specifier, e.g. `>=3.12`")
        })?;
        demands.push(Demand::allows(source, requirement));
    }
    // Without a pin, the lock's wheels bound the line too: a newer one would build sdists.
    let default = default_version(ImageRole::PythonBuilder)
        .and_then(|v| toolchain::line_for(ImageRole::PythonBuilder, v));
    let lock = ["uv.lock", "poetry.lock"]
        .into_iter()
        .find_map(|name| Some((name, files.text(&spec.path.value, name)?)));
    if let (None, Some((name, lock)), Some(default)) = (pinned, lock, default) {
        demands.extend(wheels::wheel_demand(name, lock, default));
    }
    Ok(demands)
}

/// A Poetry version constraint: comma-separated PEP 440 clauses, or npm-like `^3.11`, `~3.11`,
/// `3.11.*`, `>=3.9 <4` and `||` alternatives.
fn poetry_constraint(text: &str) -> Result<Requirement, String> {
    if text.contains(',') {
        Requirement::pep440(text)
    } else {
        Requirement::npm(text)
    }
}

/// The facts strata reads from pyproject.toml.
#[derive(Debug, Default)]
struct Pyproject {
    name: Option<String>,
    /// `[project.scripts]` names, in file order.
    scripts: Vec<String>,
    has_build_system: bool,
    /// `[tool.uv] package = …` or `[tool.poetry] package-mode = …`, which override what the
    /// build system says.
    package_override: Option<bool>,
    /// Whether the dependencies live in `[tool.poetry]` (Poetry 1 style), where uv cannot read
    /// them.
    poetry: bool,
    /// `[project] requires-python` (PEP 440), and Poetry's `python` dependency (its own syntax).
    requires_python: Option<String>,
    poetry_python: Option<String>,
    /// The build plugin that reads the version from git, and the variable that names it
    /// instead: no step sees `.git`.
    version_from_git: Option<GitVersion>,
}

/// A build plugin that takes the version from git tags, and how a build without `.git` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GitVersion {
    plugin: &'static str,
    variable: &'static str,
}

/// The plugins, by the requirement `build-system.requires` names them with (hatch-vcs runs
/// setuptools-scm, and takes its variable).
const GIT_VERSION_PLUGINS: &[(&str, GitVersion)] = &[
    (
        "setuptools-scm",
        GitVersion {
            plugin: "setuptools-scm",
            variable: "SETUPTOOLS_SCM_PRETEND_VERSION",
        },
    ),
    (
        "hatch-vcs",
        GitVersion {
            plugin: "hatch-vcs",
            variable: "SETUPTOOLS_SCM_PRETEND_VERSION",
        },
    ),
    (
        "poetry-dynamic-versioning",
        GitVersion {
            plugin: "poetry-dynamic-versioning",
            variable: "POETRY_DYNAMIC_VERSIONING_BYPASS",
        },
    ),
    (
        "uv-dynamic-versioning",
        GitVersion {
            plugin: "uv-dynamic-versioning",
            variable: "UV_DYNAMIC_VERSIONING_BYPASS",
        },
    ),
];

/// The version a package whose version comes from git installs with, unless `build.env` names one.
const VERSION_WITHOUT_GIT: &str = "0.0.0";

impl Pyproject {
    fn parse(text: &str) -> Result<Pyproject, String> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let tool = |name: &str| {
            doc.get("tool")
                .and_then(|t| t.get(name))
                .and_then(toml::Value::as_table)
        };
        // PEP 621 `[project]` first; Poetry 1 projects keep the same facts in `[tool.poetry]`.
        let tables: Vec<&toml::Table> = [
            doc.get("project").and_then(toml::Value::as_table),
            tool("poetry"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let first = |key: &str| tables.iter().find_map(|t| t.get(key));
        Ok(Pyproject {
            name: first("name")
                .and_then(toml::Value::as_str)
                .map(str::to_string),
            scripts: first("scripts")
                .and_then(toml::Value::as_table)
                .map(|s| s.keys().cloned().collect())
                .unwrap_or_default(),
            has_build_system: doc.contains_key("build-system"),
            package_override: tool("uv")
                .and_then(|u| u.get("package"))
                .or_else(|| tool("poetry").and_then(|p| p.get("package-mode")))
                .and_then(toml::Value::as_bool),
            poetry: tool("poetry").is_some_and(|p| p.contains_key("dependencies")),
            requires_python: doc
                .get("project")
                .and_then(|p| p.get("requires-python"))
                .and_then(toml::Value::as_str)
                .map(str::to_string),
            poetry_python: tool("poetry")
                .and_then(|p| p.get("dependencies"))
                .and_then(|d| d.get("python"))
                .and_then(toml::Value::as_str)
                .map(str::to_string),
            version_from_git: git_version(&doc),
        })
    }

    /// Whether the project itself is built and installed (so its scripts exist), the way uv
    /// and Poetry decide it.
    fn is_package(&self) -> bool {
        self.package_override.unwrap_or(self.has_build_system)
    }
}

/// The git-versioning plugin `build-system.requires` names, or pdm-backend's `scm` source;
/// none when setuptools-scm has a `fallback_version` of its own.
fn git_version(doc: &toml::Table) -> Option<GitVersion> {
    let tool = |name: &str| doc.get("tool").and_then(|t| t.get(name));
    if tool("setuptools_scm").is_some_and(|t| t.get("fallback_version").is_some()) {
        return None;
    }
    let pdm_scm = tool("pdm")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.get("source"))
        .and_then(toml::Value::as_str)
        == Some("scm");
    if pdm_scm {
        return Some(GitVersion {
            plugin: "pdm-backend",
            variable: "PDM_BUILD_SCM_VERSION",
        });
    }
    let requires = doc
        .get("build-system")
        .and_then(|b| b.get("requires"))
        .and_then(toml::Value::as_array)?;
    requires
        .iter()
        .filter_map(toml::Value::as_str)
        .find_map(|requirement| {
            // The distribution name: up to the first version, extra or marker character, with
            // `_` and `-` alike (PEP 503).
            let name = requirement
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
                .next()?
                .to_ascii_lowercase()
                .replace('_', "-");
            GIT_VERSION_PLUGINS
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, plugin)| *plugin)
        })
}

/// The language's own rule: the installed project's first `[project.scripts]` entry;
/// `python -m <pkg>` for a top-level package with `__main__.py`; `python app.py` or `main.py`.
fn generic_start(
    spec: &Spec,
    installed: Option<&Pyproject>,
    local: &[&str],
) -> Result<Start, Diagnostics> {
    let python = format!("{VENV}/bin/python");
    if let Some(script) = installed.and_then(|p| p.scripts.first()) {
        let command = vec![format!("{VENV}/bin/{script}")];
        return Ok(Start::new(command, format!("[project.scripts] `{script}`")));
    }
    let mut packages: Vec<&str> = local
        .iter()
        .filter_map(|p| p.strip_suffix("/__main__.py"))
        .filter(|pkg| !pkg.contains('/'))
        .collect();
    if installed.is_some() {
        // A src-layout package is importable once the project is installed.
        packages.extend(
            local
                .iter()
                .filter_map(|p| p.strip_prefix("src/")?.strip_suffix("/__main__.py"))
                .filter(|pkg| !pkg.contains('/')),
        );
    }
    if let [package] = packages.as_slice() {
        let command = vec![python, "-m".to_string(), package.to_string()];
        return Ok(Start::new(
            command,
            format!("the package's {package}/__main__.py"),
        ));
    }
    for script in ["app.py", "main.py"] {
        if local.contains(&script) {
            return Ok(Start::new(
                vec![python, format!("{APP_DIR}/{script}")],
                script,
            ));
        }
    }
    Err(start::unknown(
        spec,
        "[\"/app/.venv/bin/python\", \"-m\", \"mypkg\"]",
        "a Procfile, Django's manage.py, a FastAPI, Starlette or Flask app, a \
         `[project.scripts]` entry, a package `__main__.py`, and app.py or main.py",
    ))
}

/// A name for a project without `[project] name`: the directory's, else the entry script's.
/// The app's name when the project has none: its directory, else what the entrypoint runs —
/// the last word that is not an option or an option's value (`app.py`, `mysite.wsgi`,
/// `main:app`, a script), as a bare module or file name.
fn app_name(dir: &str, entrypoint: &[String]) -> String {
    if dir != "." {
        return dir.rsplit('/').next().unwrap_or(dir).to_string();
    }
    let words: Vec<&str> = entrypoint
        .iter()
        .flat_map(|w| w.split_whitespace())
        .collect();
    let runs = words
        .iter()
        .enumerate()
        .rev()
        .find(|(i, word)| {
            let after_long_option = *i > 0 && {
                let previous = words[i - 1];
                previous.starts_with("--") && !previous.contains('=')
            };
            !word.starts_with('-') && !after_long_option && **word != "exec"
        })
        .map(|(_, word)| *word);
    runs.map(|word| {
        let target = word
            .split(':')
            .next()
            .unwrap_or(word)
            .trim_matches(['\'', '"']);
        let file = target.rsplit('/').next().unwrap_or(target);
        let module = file.strip_suffix(".py").unwrap_or(file);
        module.split('.').next().unwrap_or(module).to_string()
    })
    .filter(|name| !name.is_empty())
    .unwrap_or_else(|| "app".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plans a context of the given paths (with contents where the provider reads them).
    fn plan_of(spec: &str, files: &[(&str, &str)]) -> Result<Plan, String> {
        let spec = crate::spec::parse(spec.as_bytes()).expect("a valid test spec");
        let mut context = ContextFiles::default();
        for (path, contents) in files {
            context.paths.insert(path.to_string());
            if path.ends_with("pyproject.toml") || !contents.is_empty() {
                context
                    .contents
                    .insert(path.to_string(), contents.to_string());
            }
        }
        Python
            .plan(&spec, &context)
            .map_err(|d| d.render("strata.yaml", ""))
    }

    const SPEC: &str = "version: 1\nlanguage: python\n";

    #[test]
    fn a_package_with_main_runs_as_a_module() {
        let plan = plan_of(
            SPEC,
            &[
                ("requirements.txt", ""),
                ("svc/__main__.py", ""),
                ("svc/__init__.py", ""),
            ],
        )
        .unwrap();
        assert_eq!(
            plan.image.entrypoint,
            ["/app/.venv/bin/python", "-m", "svc"]
        );
    }

    #[test]
    fn a_uv_project_without_build_system_installs_nothing_and_ignores_its_scripts() {
        let pyproject = "[project]\nname = \"svc\"\n[project.scripts]\nsvc = \"svc:main\"\n";
        let plan = plan_of(
            SPEC,
            &[
                ("pyproject.toml", pyproject),
                ("uv.lock", ""),
                ("main.py", ""),
            ],
        )
        .unwrap();
        let build = plan.stage(StageName::Build).unwrap();
        assert!(build.steps.iter().all(|s| !matches!(s, Step::Run(_))));
        assert_eq!(
            plan.image.entrypoint,
            ["/app/.venv/bin/python", "/app/main.py"]
        );
        assert_eq!(plan.app, "svc");
    }

    #[test]
    fn a_lone_pyproject_installs_unpinned_with_a_warning() {
        let plan = plan_of(
            SPEC,
            &[
                ("pyproject.toml", "[project]\nname = \"svc\"\n"),
                ("app.py", ""),
            ],
        )
        .unwrap();
        assert!(plan.warnings[0].contains("cannot be pinned"), "{plan:?}");
        assert!(deps_script(&plan).ends_with("/app/.venv/bin/python -r pyproject.toml"));
        let err = plan_of(
            SPEC,
            &[
                (
                    "pyproject.toml",
                    "[tool.poetry.dependencies]\npython = \"^3.13\"\n",
                ),
                ("app.py", ""),
            ],
        )
        .unwrap_err();
        assert!(err.contains("run `poetry lock`"), "{err}");
    }

    #[test]
    fn other_requirements_files_must_be_named() {
        let err = plan_of(SPEC, &[("requirements-prod.txt", ""), ("app.py", "")]).unwrap_err();
        assert!(err.contains("lockfiles: [requirements-prod.txt]"), "{err}");
        let plan = plan_of(
            "version: 1\nlanguage: python\nlockfiles: [requirements-prod.txt]\n",
            &[("requirements-prod.txt", ""), ("app.py", "")],
        )
        .unwrap();
        assert!(deps_script(&plan).ends_with("install -r requirements-prod.txt"));
    }

    #[test]
    fn a_poetry_lock_is_exported_to_hashes_and_the_package_installed_without_deps() {
        let pyproject = "[tool.poetry]\nname = \"stamp\"\n[tool.poetry.dependencies]\n\
                         python = \">=3.13\"\n[tool.poetry.scripts]\nstamp = \"stamp.cli:main\"\n\
                         [build-system]\nrequires = [\"poetry-core\"]\n";
        let plan = plan_of(
            SPEC,
            &[
                ("pyproject.toml", pyproject),
                ("poetry.lock", ""),
                ("src/stamp/cli.py", ""),
            ],
        )
        .unwrap();
        let script = deps_script(&plan);
        assert!(script.contains("export --only main"), "{script}");
        assert!(script.contains("--require-hashes --no-deps"), "{script}");
        let build = plan.stage(StageName::Build).unwrap();
        assert!(build.steps.iter().any(|s| matches!(
            s,
            Step::Run(run) if run.argv[2].ends_with("--python /app/.venv/bin/python --no-deps .")
        )));
        assert_eq!(plan.image.entrypoint, ["/app/.venv/bin/stamp"]);
        assert_eq!(plan.app, "stamp");
        assert!(plan.warnings.is_empty());
    }

    /// The shell script of the dependency stage's install step.
    fn deps_script(plan: &Plan) -> &str {
        plan.stages[0]
            .steps
            .iter()
            .find_map(|s| match s {
                Step::Run(run) => Some(run.argv[2].as_str()),
                _ => None,
            })
            .expect("the dependency stage installs")
    }

    #[test]
    fn requirements_naming_the_app_install_it_after_its_sources() {
        let pyproject = "[project]\nname = \"links\"\n[project.scripts]\nlinks = \"links:main\"\n\
                         [build-system]\nrequires = [\"setuptools\"]\n";
        let requirements = "-e .[server]  # the app\nflask==3.1.3\n./libs/slugs\n\
                            --editable=./libs/auth\n-e git+https://git.example/y.git#egg=y\n\
                            ../outside\n# -e .\n";
        let plan = plan_of(
            SPEC,
            &[
                ("pyproject.toml", pyproject),
                ("requirements.txt", requirements),
                ("links/__init__.py", ""),
            ],
        )
        .unwrap();
        assert!(
            deps_script(&plan).starts_with("sed -i '1d;3d;4d' 'requirements.txt' && "),
            "{}",
            deps_script(&plan)
        );
        let installs: Vec<&str> = plan
            .stage(StageName::Build)
            .unwrap()
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Run(run) => Some(run.argv[2].as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            installs,
            [format!(
                "{UV_PIP_INSTALL} '.[server]' './libs/slugs' './libs/auth'"
            )]
        );
        // The requirements installed the project, so its script starts it.
        assert_eq!(plan.image.entrypoint, ["/app/.venv/bin/links"]);
    }

    #[test]
    fn plain_requirements_install_no_project() {
        let plan = plan_of(
            SPEC,
            &[("requirements.txt", "flask==3.1.3\n"), ("app.py", "")],
        )
        .unwrap();
        assert!(deps_script(&plan).starts_with("/usr/local/bin/python3 -m venv"));
        let build = plan.stage(StageName::Build).unwrap();
        assert!(build.steps.iter().all(|s| !matches!(s, Step::Run(_))));
    }

    #[test]
    fn named_lockfiles_with_uv_lock_stay_with_uv() {
        let pyproject = "[project]\nname = \"svc\"\n";
        let plan = plan_of(
            "version: 1\nlanguage: python\nlockfiles: [uv.lock, libs/a/pyproject.toml]\n",
            &[
                ("pyproject.toml", pyproject),
                ("uv.lock", ""),
                ("libs/a/pyproject.toml", ""),
                ("app.py", ""),
            ],
        )
        .unwrap();
        let Step::CopyContext { files, .. } = &plan.stages[0].steps[0] else {
            panic!("deps starts with the lockfiles")
        };
        assert_eq!(
            files.include_patterns(),
            ["pyproject.toml", "uv.lock", "libs/a/pyproject.toml"]
        );
    }

    #[test]
    fn scratch_runtime_and_unknown_entrypoint_are_refused() {
        let err = plan_of(
            "version: 1\nlanguage: python\ntarget: {runtime: scratch}\n",
            &[("requirements.txt", ""), ("app.py", "")],
        )
        .unwrap_err();
        assert!(err.contains("cannot run on `scratch`"), "{err}");
        let err = plan_of(SPEC, &[("requirements.txt", ""), ("lib/util.py", "")]).unwrap_err();
        assert!(err.contains("cannot tell how to start the app"), "{err}");
    }

    #[test]
    fn pyproject_facts_keep_script_order_and_uv_package_overrides() {
        let project = Pyproject::parse(
            "[project]\nname = \"tool\"\n[project.scripts]\nzeta = \"t:z\"\nalpha = \"t:a\"\n\
             [build-system]\nrequires = [\"hatchling\"]\n[tool.uv]\npackage = false\n",
        )
        .unwrap();
        assert_eq!(project.name.as_deref(), Some("tool"));
        assert_eq!(project.scripts, ["zeta", "alpha"]);
        assert!(project.has_build_system);
        assert!(!project.is_package());
        assert!(Pyproject::parse("[project\n").is_err());
    }

    #[test]
    fn an_unnamed_project_is_named_after_what_its_entrypoint_runs() {
        let name = |words: &[&str]| {
            app_name(
                ".",
                &words.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(name(&["/app/.venv/bin/python", "/app/app.py"]), "app");
        assert_eq!(name(&["/app/.venv/bin/notes"]), "notes");
        assert_eq!(name(&["python", "-m", "shop"]), "shop");
        assert_eq!(
            name(&[
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "gettingstarted.wsgi"
            ]),
            "gettingstarted"
        );
        assert_eq!(
            name(&[
                "uvicorn",
                "api.main:app",
                "--host",
                "0.0.0.0",
                "--port",
                "8000"
            ]),
            "api"
        );
        assert_eq!(
            name(&[
                "/bin/sh",
                "-c",
                "exec gunicorn 'shop:create_app()' --bind :$PORT"
            ]),
            "shop"
        );
        assert_eq!(app_name("services/api", &[]), "api");
    }
}
