//! Python: a virtualenv built from the lockfiles only (uv or pip), the project's own code added
//! on top, and the venv plus sources on a slim Python runtime.

use std::collections::BTreeMap;

use super::context::join;
use super::{
    CA_TARGET, ContextFiles, Probe, Provider, ca_mount, interpreter_runtime, network, proxy_env,
    require_named_lockfiles, runtime_user, strings,
};
use crate::plan::{
    Base, CacheSharing, ContextSelection, ImageRole, ImageSettings, Mount, Network, Plan, RunStep,
    Stage, StageName, StageResult, Step, default_image,
};
use crate::spec::{Diagnostic, Diagnostics, Language, Spec};

pub struct Python;

const APP_DIR: &str = "/app";
const VENV: &str = "/app/.venv";
/// The interpreter the venv is made with. Its `bin/python` is a symlink to this path, so it
/// must exist at the same path in the builder and the runtime image: both the official images
/// (python:3.13-slim, uv's python images built on it) and the Debian-based stand-ins have
/// `/usr/local/bin/python3`, while `/usr/bin/python3` exists only in the stand-ins.
const INTERPRETER: &str = "/usr/local/bin/python3";
const UV_CACHE: &str = "/root/.cache/uv";
const PIP_CACHE: &str = "/root/.cache/pip";
/// The runtime PATH: the venv first, then the usual directories (the base image's PATH is not
/// known when planning, and every Debian-based Python image uses these).
const RUNTIME_PATH: &str =
    "/app/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Files that only matter to tests and tooling; leaving them out of the source selection
/// means editing them rebuilds nothing.
const NOT_APP_SOURCES: &[&str] = &[
    "tests/**",
    "**/tests/**",
    "test/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    ".venv/**",
    "**/__pycache__/**",
];

/// How the dependencies are pinned, which decides the tool that installs them.
enum Installer {
    /// `uv.lock` beside `pyproject.toml`.
    Uv { project: Pyproject },
    /// Pinned requirements files, installed with pip.
    Pip { requirements: Vec<String> },
}

impl Provider for Python {
    fn language(&self) -> Language {
        Language::Python
    }

    fn probe(&self) -> Probe {
        Probe {
            list: strings(&["pyproject.toml", "uv.lock", "requirements*.txt", "**/*.py"]),
            exclude: strings(&[".venv/**", "**/__pycache__/**"]),
            read: strings(&["pyproject.toml"]),
        }
    }

    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool {
        files
            .under(app_dir)
            .any(|p| matches!(p, "pyproject.toml" | "uv.lock") || is_requirements_file(p))
    }

    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
        let dir = spec.path.value.as_str();
        let local: Vec<&str> = files.under(dir).collect();
        let installer = installer(spec, files, &local)?;
        let lockfiles: Vec<String> = match &installer {
            Installer::Uv { .. } => {
                // Files the spec adds (a workspace member's pyproject.toml) come after the two
                // uv always needs.
                let mut files = strings(&["pyproject.toml", "uv.lock"]);
                for named in spec.lockfiles.iter().flatten() {
                    if !files.contains(&named.value) {
                        files.push(named.value.clone());
                    }
                }
                files
            }
            Installer::Pip { requirements } => requirements.clone(),
        };
        let listed = lockfiles.join(", ");
        let deps_network = network(spec.network.deps, Network::Default);
        let builder = spec
            .builder_image
            .as_ref()
            .map(|b| b.value.clone())
            .unwrap_or_else(|| default_image(ImageRole::PythonBuilder).to_string());

        let (install_deps, installer_name) = match &installer {
            Installer::Uv { .. } => (
                uv_step(
                    spec,
                    format!("[strata deps] uv sync --no-install-project ({listed})"),
                    "uv sync --frozen --no-install-project --no-dev",
                    deps_network,
                ),
                "uv",
            ),
            Installer::Pip { requirements } => (
                pip_step(
                    spec,
                    format!("[strata deps] pip install ({listed})"),
                    requirements,
                    deps_network,
                ),
                "pip",
            ),
        };
        let deps_steps = vec![
            Step::CopyContext {
                name: format!("[strata deps] copy {listed}"),
                files: ContextSelection {
                    include: lockfiles.iter().map(|f| join(dir, f)).collect(),
                    exclude: Vec::new(),
                },
                dest: APP_DIR.to_string(),
            },
            install_deps,
        ];

        let mut include: Vec<String> = ["**/*.py", "pyproject.toml"]
            .iter()
            .map(|p| join(dir, p))
            .collect();
        for extra in lockfiles
            .iter()
            .chain(spec.build.include.iter().map(|p| &p.value))
        {
            let pattern = join(dir, extra);
            if !include.contains(&pattern) {
                include.push(pattern);
            }
        }
        let sources = ContextSelection {
            include,
            exclude: NOT_APP_SOURCES.iter().map(|p| join(dir, p)).collect(),
        };
        let mut build_steps = vec![Step::CopyContext {
            name: "[strata build] copy the app's Python sources".to_string(),
            files: sources.clone(),
            dest: APP_DIR.to_string(),
        }];
        let project = match &installer {
            Installer::Uv { project } => Some(project),
            Installer::Pip { .. } => None,
        };
        let packaged = project.is_some_and(Pyproject::is_package);
        if packaged {
            // Building the project's wheel needs its build backend (hatchling, setuptools…),
            // which is not in uv.lock: this step may download it, so it gets the dependency
            // steps' network, cache and CA rather than no network at all.
            build_steps.push(uv_step(
                spec,
                format!(
                    "[strata build] uv sync: install {} into {VENV}",
                    project
                        .and_then(|p| p.name.as_deref())
                        .unwrap_or("the project")
                ),
                "uv sync --frozen --no-dev --no-editable",
                network(spec.network.build, deps_network),
            ));
        }

        let runtime_base = interpreter_runtime(
            spec,
            ImageRole::PythonRuntime,
            "a Python app",
            "an interpreter",
            &format!("Python 3 at {INTERPRETER}"),
        )?;

        let entrypoint = match &spec.run.command {
            Some(command) => command.clone(),
            None => entrypoint(spec, project.filter(|_| packaged), &local)?,
        };
        let app = project
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| app_name(dir, &entrypoint));
        let mut warnings = Vec::new();
        let user = runtime_user(spec, &mut warnings);
        let mut env = BTreeMap::from([
            ("PATH".to_string(), RUNTIME_PATH.to_string()),
            ("VIRTUAL_ENV".to_string(), VENV.to_string()),
        ]);
        env.extend(spec.run.env.clone());
        let labels = BTreeMap::from([("org.opencontainers.image.title".to_string(), app.clone())]);

        Ok(Plan {
            language: Language::Python.name().to_string(),
            app,
            context_dir: dir.to_string(),
            stages: vec![
                Stage {
                    name: StageName::Deps,
                    base: Base::Image { reference: builder },
                    steps: deps_steps,
                    result: StageResult::Filesystem,
                },
                Stage {
                    name: StageName::Build,
                    base: Base::Stage {
                        stage: StageName::Deps,
                    },
                    steps: build_steps,
                    result: StageResult::Filesystem,
                },
                Stage {
                    name: StageName::Runtime,
                    base: runtime_base,
                    steps: vec![
                        // The venv on its own layer: unchanged by a source edit (unless the
                        // project is installed into it), so pushes and pulls skip it.
                        Step::CopyFromStage {
                            name: format!(
                                "[strata runtime] copy the {installer_name}-built virtualenv"
                            ),
                            stage: StageName::Build,
                            src: VENV.to_string(),
                            dest: VENV.to_string(),
                        },
                        Step::CopyContext {
                            name: "[strata runtime] copy the app's Python sources".to_string(),
                            files: sources,
                            dest: APP_DIR.to_string(),
                        },
                    ],
                    result: StageResult::Filesystem,
                },
            ],
            image: ImageSettings {
                entrypoint,
                cmd: spec.run.args.clone(),
                env,
                workdir: spec
                    .run
                    .workdir
                    .clone()
                    .unwrap_or_else(|| APP_DIR.to_string()),
                user,
                ports: spec.run.ports.clone(),
                labels,
            },
            warnings,
        })
    }
}

/// A `uv sync` into the venv at /app/.venv, with uv's cache and the optional CA.
fn uv_step(spec: &Spec, name: String, command: &str, network: Network) -> Step {
    // uv trusts its own root list, not the system's: SSL_CERT_FILE is how it takes the CA.
    let script =
        format!("if [ -f {CA_TARGET} ]; then export SSL_CERT_FILE={CA_TARGET}; fi; exec {command}");
    let env = BTreeMap::from([
        ("UV_CACHE_DIR".to_string(), UV_CACHE.to_string()),
        // The cache is a mount: hard links into it would not survive into the layer.
        ("UV_LINK_MODE".to_string(), "copy".to_string()),
        // The runtime user cannot write __pycache__; compile once here.
        ("UV_COMPILE_BYTECODE".to_string(), "1".to_string()),
        // The image's interpreter, never a downloaded one the runtime image would lack.
        ("UV_PYTHON_DOWNLOADS".to_string(), "never".to_string()),
        ("UV_PYTHON".to_string(), INTERPRETER.to_string()),
        ("UV_PROJECT_ENVIRONMENT".to_string(), VENV.to_string()),
    ]);
    Step::Run(RunStep {
        name,
        argv: strings(&["/bin/sh", "-c", &script]),
        env,
        cwd: APP_DIR.to_string(),
        mounts: vec![
            Mount::Cache {
                target: UV_CACHE.to_string(),
                id: format!("strata/{}/uv", spec.cache_namespace),
                // uv locks its cache itself; concurrent builds may share it.
                sharing: CacheSharing::Shared,
            },
            ca_mount(spec),
        ],
        network,
        proxy: proxy_env(spec),
    })
}

/// pip into a fresh venv from pinned requirements files, with pip's cache and the optional CA.
fn pip_step(spec: &Spec, name: String, requirements: &[String], network: Network) -> Step {
    let files: Vec<String> = requirements.iter().map(|r| format!("-r {r}")).collect();
    // The builder's pip installs into a venv made without pip: the runtime image gets the
    // dependencies, not an installer.
    let script = format!(
        "if [ -f {CA_TARGET} ]; then export PIP_CERT={CA_TARGET}; fi; \
         {INTERPRETER} -m venv --without-pip {VENV} && \
         pip --python {VENV}/bin/python install {}",
        files.join(" ")
    );
    let env = BTreeMap::from([
        ("PIP_CACHE_DIR".to_string(), PIP_CACHE.to_string()),
        ("PIP_DISABLE_PIP_VERSION_CHECK".to_string(), "1".to_string()),
        ("PIP_ROOT_USER_ACTION".to_string(), "ignore".to_string()),
    ]);
    Step::Run(RunStep {
        name,
        argv: strings(&["/bin/sh", "-c", &script]),
        env,
        cwd: APP_DIR.to_string(),
        mounts: vec![
            Mount::Cache {
                target: PIP_CACHE.to_string(),
                id: format!("strata/{}/pip", spec.cache_namespace),
                // pip does not lock its cache: concurrent builds take turns.
                sharing: CacheSharing::Locked,
            },
            ca_mount(spec),
        ],
        network,
        proxy: proxy_env(spec),
    })
}

fn is_requirements_file(path: &str) -> bool {
    path.starts_with("requirements") && path.ends_with(".txt") && !path.contains('/')
}

/// uv when uv.lock is there (and, if the spec names lockfiles, among them); else pip with the
/// spec's lockfiles or requirements.txt.
fn installer(spec: &Spec, files: &ContextFiles, local: &[&str]) -> Result<Installer, Diagnostics> {
    let dir = spec.path.value.as_str();
    let has = |name: &str| local.contains(&name);
    if let Some(named) = &spec.lockfiles {
        require_named_lockfiles(
            spec,
            files,
            "check the name; Python lockfiles are `uv.lock` or pinned requirements files",
        )?;
        if named.iter().all(|l| l.value != "uv.lock") {
            return Ok(Installer::Pip {
                requirements: named.iter().map(|l| l.value.clone()).collect(),
            });
        }
    }
    if has("uv.lock") {
        let text = files
            .contents
            .get(&join(dir, "pyproject.toml"))
            .ok_or_else(|| {
                Diagnostic::at(
                    spec.path.location,
                    format!("`{dir}` has uv.lock but no pyproject.toml"),
                )
                .with_hint("uv.lock belongs next to the pyproject.toml it locks")
            })?;
        let project = Pyproject::parse(text).map_err(|why| {
            Diagnostic::at(
                spec.path.location,
                format!("cannot read {}: {why}", join(dir, "pyproject.toml")),
            )
            .with_hint("check the file with `uv lock --check`")
        })?;
        return Ok(Installer::Uv { project });
    }
    if has("requirements.txt") {
        return Ok(Installer::Pip {
            requirements: vec!["requirements.txt".to_string()],
        });
    }
    let others: Vec<&str> = local
        .iter()
        .copied()
        .filter(|p| is_requirements_file(p))
        .collect();
    let hint = if others.is_empty() {
        "run `uv lock` (uv) or write a pinned requirements.txt (pip)".to_string()
    } else {
        format!(
            "name the ones to install with `lockfiles:`, e.g. `lockfiles: [{}]`",
            others[0]
        )
    };
    Err(Diagnostic::at(
        spec.path.location,
        format!("`{dir}` has no uv.lock and no requirements.txt: strata installs only pinned dependencies"),
    )
    .with_hint(hint)
    .into())
}

/// The facts strata reads from pyproject.toml.
#[derive(Debug, Default)]
struct Pyproject {
    name: Option<String>,
    /// `[project.scripts]` names, in file order.
    scripts: Vec<String>,
    has_build_system: bool,
    /// `[tool.uv] package = …`, which overrides what the build system says.
    uv_package: Option<bool>,
}

impl Pyproject {
    fn parse(text: &str) -> Result<Pyproject, String> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let project = doc.get("project").and_then(toml::Value::as_table);
        Ok(Pyproject {
            name: project
                .and_then(|p| p.get("name"))
                .and_then(toml::Value::as_str)
                .map(str::to_string),
            scripts: project
                .and_then(|p| p.get("scripts"))
                .and_then(toml::Value::as_table)
                .map(|s| s.keys().cloned().collect())
                .unwrap_or_default(),
            has_build_system: doc.contains_key("build-system"),
            uv_package: doc
                .get("tool")
                .and_then(|t| t.get("uv"))
                .and_then(|u| u.get("package"))
                .and_then(toml::Value::as_bool),
        })
    }

    /// Whether uv builds and installs the project itself (so its scripts exist), the way
    /// uv decides it.
    fn is_package(&self) -> bool {
        self.uv_package.unwrap_or(self.has_build_system)
    }
}

/// The default entrypoint, by the first rule that applies: the installed project's first
/// `[project.scripts]` entry; `python -m <pkg>` for a top-level package with `__main__.py`;
/// `python app.py` or `python main.py`.
fn entrypoint(
    spec: &Spec,
    installed: Option<&Pyproject>,
    local: &[&str],
) -> Result<Vec<String>, Diagnostics> {
    let python = format!("{VENV}/bin/python");
    if let Some(script) = installed.and_then(|p| p.scripts.first()) {
        return Ok(vec![format!("{VENV}/bin/{script}")]);
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
        return Ok(vec![python, "-m".to_string(), package.to_string()]);
    }
    for script in ["app.py", "main.py"] {
        if local.contains(&script) {
            return Ok(vec![python, format!("{APP_DIR}/{script}")]);
        }
    }
    Err(
        Diagnostic::at(spec.path.location, "cannot tell how to start the app")
            .with_hint(
                "set `run.command` (e.g. `[\"/app/.venv/bin/python\", \"-m\", \"mypkg\"]`), add a \
                 `[project.scripts]` entry, a package `__main__.py`, or an `app.py`/`main.py`",
            )
            .into(),
    )
}

/// A name for a project without `[project] name`: the directory's, else the entry script's.
fn app_name(dir: &str, entrypoint: &[String]) -> String {
    if dir != "." {
        return dir.rsplit('/').next().unwrap_or(dir).to_string();
    }
    entrypoint
        .last()
        .map(|last| {
            let file = last.rsplit('/').next().unwrap_or(last);
            file.strip_suffix(".py").unwrap_or(file).to_string()
        })
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
            if *path == "pyproject.toml" {
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
    fn only_unpinned_or_other_requirements_is_refused_with_a_hint() {
        let err = plan_of(SPEC, &[("pyproject.toml", "[project]\n"), ("app.py", "")]).unwrap_err();
        assert!(
            err.contains("has no uv.lock and no requirements.txt"),
            "{err}"
        );
        let err = plan_of(SPEC, &[("requirements-prod.txt", ""), ("app.py", "")]).unwrap_err();
        assert!(err.contains("lockfiles: [requirements-prod.txt]"), "{err}");
        let plan = plan_of(
            "version: 1\nlanguage: python\nlockfiles: [requirements-prod.txt]\n",
            &[("requirements-prod.txt", ""), ("app.py", "")],
        )
        .unwrap();
        assert!(plan.stages[0].steps.iter().any(|s| matches!(
            s,
            Step::Run(run) if run.argv[2].ends_with("install -r requirements-prod.txt")
        )));
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
            files.include,
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
}
