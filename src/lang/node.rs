//! Node: node_modules installed from the lockfile only (npm, pnpm or yarn v1), the `build`
//! script run over the sources, and production-only node_modules plus the app on a slim Node
//! runtime.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSetBuilder};
use serde_json::Value as Json;

use super::context::join;
use super::{
    ContextFiles, Probe, Provider, ca_mount, image_labels, interpreter_runtime, network, proxy_env,
    require_named_lockfiles, runtime_user_or, strings,
};
use crate::plan::{
    Base, CacheSharing, ContextSelection, ImageRole, ImageSettings, Mount, Network, Plan, RunStep,
    RunsOn, Stage, StageName, StageResult, Step, default_image,
};
use crate::spec::yaml::{self, Value as Yaml};
use crate::spec::{Diagnostic, Diagnostics, Language, Spec};

pub struct Node;

const APP_DIR: &str = "/app";
/// Where the production-only install happens, beside the full one in /app: it depends on the
/// lockfiles alone, so a source edit never re-runs it (pruning /app's node_modules after the
/// build would run on every source edit).
const PROD_DIR: &str = "/prod";
/// The build step copies the built app (without node_modules) here; the stage's result.
const BUILD_OUTPUT: &str = "/out";
/// corepack's download cache, where it keeps the pnpm or yarn it prepared. A layer, not a
/// cache mount: the offline steps after it need the package manager too.
const COREPACK_HOME: &str = "/opt/corepack";
/// The node image's own unprivileged user (official image and testbed stand-in alike).
const NODE_USER: &str = "1000:1000";
/// The runtime PATH: the app's own bin links first, so a start script's tools resolve as they
/// do under `npm start`; then the usual directories (the base image's PATH is not known when
/// planning, and both the official image and Debian put node in one of them).
const RUNTIME_PATH: &str =
    "/app/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What the app is made of: scripts, type definitions, configuration. Other assets (views,
/// static files) come in through `build.include`.
const SOURCE_PATTERNS: &[&str] = &[
    "**/*.js",
    "**/*.cjs",
    "**/*.mjs",
    "**/*.jsx",
    "**/*.ts",
    "**/*.cts",
    "**/*.mts",
    "**/*.tsx",
    "**/*.json",
];

/// Installed packages, tests and their fixtures, and the schema `strata init` writes beside the
/// spec (JSON, but not the app's): editing them rebuilds nothing.
const NOT_APP_SOURCES: &[&str] = &[
    crate::init::SCHEMA_FILE,
    "node_modules/**",
    "**/node_modules/**",
    "test/**",
    "tests/**",
    "**/__tests__/**",
    "**/*.test.*",
    "**/*.spec.*",
    "coverage/**",
];

/// The versions strata prepares when package.json has no `packageManager` field; its warning
/// asks for one, since only that pins the tool for everybody.
const DEFAULT_PNPM: &str = "pnpm@9.15.9";
const DEFAULT_YARN: &str = "yarn@1.22.22";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Manager {
    Npm,
    Pnpm,
    /// Yarn classic (v1); Yarn 2+ (berry) installs differently and is refused.
    Yarn,
}

impl Manager {
    fn name(self) -> &'static str {
        match self {
            Manager::Npm => "npm",
            Manager::Pnpm => "pnpm",
            Manager::Yarn => "yarn",
        }
    }

    fn lockfile(self) -> &'static str {
        match self {
            Manager::Npm => "package-lock.json",
            Manager::Pnpm => "pnpm-lock.yaml",
            Manager::Yarn => "yarn.lock",
        }
    }

    const ALL: [Manager; 3] = [Manager::Npm, Manager::Pnpm, Manager::Yarn];

    /// The download cache as a mount. npm's and pnpm's stores write atomically and are made to
    /// be shared; yarn v1's cache is not safe for concurrent writers.
    fn cache(self, spec: &Spec) -> Mount {
        let (target, sharing) = match self {
            Manager::Npm => ("/root/.npm", CacheSharing::Shared),
            Manager::Pnpm => (PNPM_STORE, CacheSharing::Shared),
            Manager::Yarn => (YARN_CACHE, CacheSharing::Locked),
        };
        Mount::Cache {
            target: target.to_string(),
            id: format!("strata/{}/{}", spec.cache_namespace, self.name()),
            sharing,
        }
    }

    /// The full install (dev dependencies included) and the production-only one.
    fn install_commands(self) -> (&'static str, &'static str) {
        match self {
            Manager::Npm => (
                "npm ci --no-audit --no-fund",
                // The full install just filled the cache: take packages from it first.
                "npm ci --omit=dev --prefer-offline --no-audit --no-fund",
            ),
            // `pnpm fetch` filled the store from the lockfile alone.
            Manager::Pnpm => (
                "pnpm install --frozen-lockfile --offline",
                "pnpm install --frozen-lockfile --offline --prod",
            ),
            Manager::Yarn => (
                "yarn install --frozen-lockfile --non-interactive",
                "yarn install --frozen-lockfile --non-interactive --production --prefer-offline",
            ),
        }
    }
}

/// pnpm's content-addressed store, at a fixed path so every step (and every build) finds it.
const PNPM_STORE: &str = "/pnpm/store";
const YARN_CACHE: &str = "/root/.cache/yarn";

/// The facts strata reads from package.json.
#[derive(Debug, Default)]
struct PackageJson {
    name: Option<String>,
    main: Option<String>,
    start: Option<String>,
    has_build: bool,
    /// `packageManager`, e.g. `pnpm@9.15.9+sha512.…`.
    package_manager: Option<String>,
    /// npm and yarn workspaces: globs of member directories.
    workspaces: Vec<String>,
}

impl PackageJson {
    fn parse(text: &str) -> Result<PackageJson, String> {
        let doc: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let string = |v: Option<&Json>| v.and_then(Json::as_str).map(str::to_string);
        let scripts = doc.get("scripts");
        let workspaces = match doc.get("workspaces") {
            Some(Json::Array(globs)) => globs.as_slice(),
            Some(Json::Object(fields)) => fields
                .get("packages")
                .and_then(Json::as_array)
                .map_or(&[][..], Vec::as_slice),
            _ => &[],
        };
        Ok(PackageJson {
            name: string(doc.get("name")),
            main: string(doc.get("main")),
            start: string(scripts.and_then(|s| s.get("start"))),
            has_build: scripts.and_then(|s| s.get("build")).is_some(),
            package_manager: string(doc.get("packageManager")),
            workspaces: workspaces
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect(),
        })
    }
}

impl Provider for Node {
    fn language(&self) -> Language {
        Language::Node
    }

    fn probe(&self) -> Probe {
        let mut list = strings(&["pnpm-workspace.yaml", "**/package.json", "index.js"]);
        list.extend(Manager::ALL.iter().map(|m| m.lockfile().to_string()));
        Probe {
            list,
            exclude: strings(&["node_modules/**", "**/node_modules/**"]),
            read: strings(&["package.json", "pnpm-workspace.yaml"]),
        }
    }

    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool {
        files.under(app_dir).any(|p| p == "package.json")
    }

    fn contacts(&self, spec: &Spec) -> Vec<String> {
        // npm, pnpm, yarn and corepack all fetch from the one registry.
        let registry = spec.node.registry.as_deref();
        vec![
            registry
                .unwrap_or("https://registry.npmjs.org/")
                .to_string(),
        ]
    }

    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
        let dir = spec.path.value.as_str();
        let local: Vec<&str> = files.under(dir).collect();
        let manifest_path = join(dir, "package.json");
        let text = files.contents.get(&manifest_path).ok_or_else(|| {
            Diagnostic::at(spec.path.location, format!("`{dir}` has no package.json"))
                .with_hint("point `path:` at the directory with the app's package.json")
        })?;
        let package = PackageJson::parse(text).map_err(|why| {
            Diagnostic::at(
                spec.path.location,
                format!("cannot read {manifest_path}: {why}"),
            )
            .with_hint("package.json must be valid JSON")
        })?;
        let mut warnings = Vec::new();
        let manager = manager(spec, &package, &local)?;
        require_named_lockfiles(
            spec,
            files,
            "check the name; Node lockfiles are package-lock.json, pnpm-lock.yaml or yarn.lock",
        )?;
        let members = workspace_members(spec, files, manager, &package, &local)?;

        // What the install sees: the lockfile, the manifests, and whatever the spec adds (an
        // .npmrc, a patches directory).
        let mut lockfiles = vec![manager.lockfile().to_string()];
        if manager == Manager::Pnpm && local.contains(&"pnpm-workspace.yaml") {
            lockfiles.push("pnpm-workspace.yaml".to_string());
        }
        for named in spec.lockfiles.iter().flatten() {
            if !lockfiles.contains(&named.value) {
                lockfiles.push(named.value.clone());
            }
        }
        let mut manifests = vec!["package.json".to_string()];
        manifests.extend(members);
        let inputs: Vec<String> = lockfiles.iter().chain(&manifests).cloned().collect();
        let listed = inputs.join(", ");
        let selection = |names: &[String]| ContextSelection {
            include: names.iter().map(|f| join(dir, f)).collect(),
            exclude: Vec::new(),
        };
        let deps_network = network(spec.network.deps, Network::Default);
        let builder = spec
            .builder_image
            .as_ref()
            .map(|b| b.value.clone())
            .unwrap_or_else(|| default_image(ImageRole::Node).to_string());

        let mut deps_steps = Vec::new();
        if manager != Manager::Npm {
            let wanted = prepared_version(manager, &package, &mut warnings);
            deps_steps.push(node_step(
                spec,
                NodeStep {
                    name: format!("[strata deps] corepack prepare {wanted}"),
                    command: format!(
                        "corepack enable {name} && corepack prepare {wanted} --activate",
                        name = manager.name()
                    ),
                    cwd: "/",
                    manager,
                    cached: false,
                    network: deps_network,
                },
            ));
        }
        let (full_install, prod_install) = manager.install_commands();
        if manager == Manager::Pnpm {
            // `pnpm fetch` needs the lockfile alone: a package.json edit that keeps the
            // lockfile (a script, the version) downloads nothing.
            deps_steps.push(Step::CopyContext {
                name: format!("[strata deps] copy {}", lockfiles.join(", ")),
                files: selection(&lockfiles),
                dest: APP_DIR.to_string(),
            });
            deps_steps.push(node_step(
                spec,
                NodeStep {
                    name: format!("[strata deps] pnpm fetch ({})", lockfiles.join(", ")),
                    command: "pnpm fetch".to_string(),
                    cwd: APP_DIR,
                    manager,
                    cached: true,
                    network: deps_network,
                },
            ));
            deps_steps.push(Step::CopyContext {
                name: format!("[strata deps] copy {}", manifests.join(", ")),
                files: selection(&manifests),
                dest: APP_DIR.to_string(),
            });
        } else {
            deps_steps.push(Step::CopyContext {
                name: format!("[strata deps] copy {listed}"),
                files: selection(&inputs),
                dest: APP_DIR.to_string(),
            });
        }
        deps_steps.push(node_step(
            spec,
            NodeStep {
                name: format!("[strata deps] {full_install} ({listed})"),
                command: full_install.to_string(),
                cwd: APP_DIR,
                manager,
                cached: true,
                network: deps_network,
            },
        ));
        deps_steps.push(Step::CopyContext {
            name: format!("[strata deps] copy {listed} for the production install"),
            files: selection(&inputs),
            dest: PROD_DIR.to_string(),
        });
        deps_steps.push(node_step(
            spec,
            NodeStep {
                name: format!("[strata deps] {prod_install} ({listed})"),
                command: prod_install.to_string(),
                cwd: PROD_DIR,
                manager,
                cached: true,
                network: deps_network,
            },
        ));

        let mut include: Vec<String> = SOURCE_PATTERNS.iter().map(|p| join(dir, p)).collect();
        for extra in spec.build.include.iter().map(|p| &p.value) {
            let pattern = join(dir, extra);
            if !include.contains(&pattern) {
                include.push(pattern);
            }
        }
        let sources = ContextSelection {
            include,
            exclude: NOT_APP_SOURCES.iter().map(|p| join(dir, p)).collect(),
        };
        let copy_sources = |stage: &str| Step::CopyContext {
            name: format!("[strata {stage}] copy the app's sources"),
            files: sources.clone(),
            dest: APP_DIR.to_string(),
        };
        let mut build_steps = vec![copy_sources("build")];
        let build_result;
        let app_layer;
        if package.has_build {
            let mut build = node_step(
                spec,
                NodeStep {
                    name: format!("[strata build] {} run build", manager.name()),
                    // The built app is the project directory after the build, without the
                    // dev-dependency node_modules that the runtime gets in production form.
                    command: format!(
                        "{} run build && find . -mindepth 1 -maxdepth 1 ! -name node_modules \
                         -exec cp -a -t {BUILD_OUTPUT} {{}} +",
                        manager.name()
                    ),
                    cwd: APP_DIR,
                    manager,
                    cached: false,
                    network: network(spec.network.build, Network::None),
                },
            );
            if let Step::Run(run) = &mut build {
                run.mounts.push(Mount::Output {
                    target: BUILD_OUTPUT.to_string(),
                });
            }
            build_steps.push(build);
            build_result = StageResult::OutputDir {
                path: BUILD_OUTPUT.to_string(),
            };
            app_layer = Step::CopyFromStage {
                name: "[strata runtime] copy the built app".to_string(),
                stage: StageName::Build,
                src: "/".to_string(),
                dest: APP_DIR.to_string(),
            };
        } else {
            build_result = StageResult::Filesystem;
            app_layer = copy_sources("runtime");
        }

        let runtime_base = interpreter_runtime(
            spec,
            ImageRole::Node,
            "a Node app",
            "node",
            "node on its PATH",
        )?;

        let entrypoint = match &spec.run.command {
            Some(command) => command.clone(),
            None => entrypoint(spec, &package, &local)?,
        };
        let app = package.name.clone().unwrap_or_else(|| {
            if dir == "." {
                "app".to_string()
            } else {
                dir.rsplit('/').next().unwrap_or(dir).to_string()
            }
        });
        let user = runtime_user_or(spec, NODE_USER, &mut warnings);
        let mut env = BTreeMap::from([
            ("PATH".to_string(), RUNTIME_PATH.to_string()),
            ("NODE_ENV".to_string(), "production".to_string()),
        ]);
        env.extend(spec.run.env.clone());
        let labels = image_labels(spec, &app);

        Ok(Plan {
            language: Language::Node.name().to_string(),
            app,
            context_dir: dir.to_string(),
            stages: vec![
                Stage {
                    name: StageName::Deps,
                    base: Base::Image { reference: builder },
                    runs_on: RunsOn::Target,
                    steps: deps_steps,
                    result: StageResult::Filesystem,
                },
                Stage {
                    name: StageName::Build,
                    base: Base::Stage {
                        stage: StageName::Deps,
                    },
                    runs_on: RunsOn::Target,
                    steps: build_steps,
                    result: build_result,
                },
                Stage {
                    name: StageName::Runtime,
                    base: runtime_base,
                    runs_on: RunsOn::Target,
                    steps: vec![
                        // Production node_modules on their own layer, made from the lockfiles
                        // only: a source edit leaves it byte-identical.
                        Step::CopyFromStage {
                            name: format!(
                                "[strata runtime] copy the production node_modules ({})",
                                manager.name()
                            ),
                            stage: StageName::Deps,
                            src: format!("{PROD_DIR}/node_modules"),
                            dest: format!("{APP_DIR}/node_modules"),
                        },
                        app_layer,
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
            contacts: Vec::new(),
        })
    }
}

/// One step that runs a Node tool in the builder.
struct NodeStep {
    name: String,
    command: String,
    cwd: &'static str,
    manager: Manager,
    /// Whether the step mounts the package manager's download cache.
    cached: bool,
    network: Network,
}

/// A shell step with the package manager's settings and, when it has a network, the optional
/// CA (which node, corepack and the package manager take from the variables every download
/// step gets, lang/download.rs). Steps without a network tell corepack so, so it never tries
/// one.
fn node_step(spec: &Spec, step: NodeStep) -> Step {
    let mut env: BTreeMap<String, String> = match step.manager {
        Manager::Npm => BTreeMap::from([(
            "npm_config_update_notifier".to_string(),
            "false".to_string(),
        )]),
        Manager::Pnpm => BTreeMap::from([
            ("npm_config_store_dir".to_string(), PNPM_STORE.to_string()),
            // The store is a cache mount: links into it would not survive into the layer.
            (
                "npm_config_package_import_method".to_string(),
                "copy".to_string(),
            ),
        ]),
        Manager::Yarn => {
            BTreeMap::from([("YARN_CACHE_FOLDER".to_string(), YARN_CACHE.to_string())])
        }
    };
    if step.manager != Manager::Npm {
        env.insert("COREPACK_HOME".to_string(), COREPACK_HOME.to_string());
        env.insert(
            "COREPACK_ENABLE_DOWNLOAD_PROMPT".to_string(),
            "0".to_string(),
        );
    }
    let mut mounts = Vec::new();
    if step.cached {
        mounts.push(step.manager.cache(spec));
    }
    if step.network == Network::None {
        env.insert("COREPACK_ENABLE_NETWORK".to_string(), "0".to_string());
    } else {
        mounts.push(ca_mount(spec));
        // npm, pnpm and yarn 1 all read npm_config_registry (npm also fetches a lockfile's
        // registry.npmjs.org URLs from it: replace-registry-host); corepack fetches the
        // package managers themselves from COREPACK_NPM_REGISTRY.
        if let Some(registry) = &spec.node.registry {
            env.insert("npm_config_registry".to_string(), registry.clone());
            env.insert("COREPACK_NPM_REGISTRY".to_string(), registry.clone());
        }
    }
    Step::Run(RunStep {
        name: step.name,
        argv: strings(&["/bin/sh", "-c", &step.command]),
        env,
        cwd: step.cwd.to_string(),
        mounts,
        network: step.network,
        proxy: if step.network == Network::None {
            None
        } else {
            proxy_env(spec)
        },
        failure_hints: Vec::new(),
    })
}

/// The package manager: the one `packageManager` names, else the one whose lockfile is there.
fn manager(spec: &Spec, package: &PackageJson, local: &[&str]) -> Result<Manager, Diagnostics> {
    let dir = &spec.path.value;
    let present: Vec<Manager> = Manager::ALL
        .into_iter()
        .filter(|m| local.contains(&m.lockfile()))
        .collect();
    if let Some(field) = &package.package_manager {
        let (name, version) = field.split_once('@').unwrap_or((field, ""));
        let Some(named) = Manager::ALL.into_iter().find(|m| m.name() == name) else {
            return Err(Diagnostic::at(
                spec.path.location,
                format!(
                    "package.json names the package manager `{field}`, which strata does not know"
                ),
            )
            .with_hint("strata installs with npm, pnpm or yarn v1")
            .into());
        };
        if named == Manager::Yarn && !version.starts_with("1.") {
            return Err(Diagnostic::at(
                spec.path.location,
                format!(
                    "package.json asks for `{field}`: strata installs with Yarn classic (1.x) only"
                ),
            )
            .with_hint("set `\"packageManager\": \"yarn@1.22.22\"`, or use npm or pnpm")
            .into());
        }
        if !present.contains(&named) {
            return Err(Diagnostic::at(
                spec.path.location,
                format!(
                    "package.json asks for {name}, but `{dir}` has no {}",
                    named.lockfile()
                ),
            )
            .with_hint(format!(
                "run `{name} install` and commit {}: strata installs only locked dependencies",
                named.lockfile()
            ))
            .into());
        }
        return Ok(named);
    }
    match present.as_slice() {
        [one] => Ok(*one),
        [] => Err(Diagnostic::at(
            spec.path.location,
            format!("`{dir}` has no package-lock.json, pnpm-lock.yaml or yarn.lock: strata installs only locked dependencies"),
        )
        .with_hint("run `npm install` (or pnpm/yarn) and commit the lockfile")
        .into()),
        many => {
            let names: Vec<&str> = many.iter().map(|m| m.lockfile()).collect();
            Err(Diagnostic::at(
                spec.path.location,
                format!("`{dir}` has several lockfiles: {}", names.join(", ")),
            )
            .with_hint("name the package manager in package.json, e.g. `\"packageManager\": \"pnpm@9.15.9\"`, or delete the stale lockfile")
            .into())
        }
    }
}

/// What corepack prepares: the `packageManager` field as written (its hash included, which
/// corepack checks), else strata's default, with a warning.
fn prepared_version(manager: Manager, package: &PackageJson, warnings: &mut Vec<String>) -> String {
    if let Some(field) = &package.package_manager {
        return field.clone();
    }
    let default = match manager {
        Manager::Pnpm => DEFAULT_PNPM,
        _ => DEFAULT_YARN,
    };
    warnings.push(format!(
        "package.json has no `packageManager`: strata uses {default}; pin yours with `corepack use {}@<version>`",
        manager.name()
    ));
    default.to_string()
}

/// Every workspace member's package.json (relative to the app dir), in path order: the install
/// needs them all, and nothing else of the members.
fn workspace_members(
    spec: &Spec,
    files: &ContextFiles,
    manager: Manager,
    package: &PackageJson,
    local: &[&str],
) -> Result<Vec<String>, Diagnostics> {
    let dir = &spec.path.value;
    let globs = if manager == Manager::Pnpm {
        match files.contents.get(&join(dir, "pnpm-workspace.yaml")) {
            Some(text) => pnpm_workspace_globs(text).map_err(|why| {
                Diagnostic::at(
                    spec.path.location,
                    format!("cannot read {}: {why}", join(dir, "pnpm-workspace.yaml")),
                )
                .with_hint("list the members as `packages: [\"packages/*\"]`")
            })?,
            None => Vec::new(),
        }
    } else {
        package.workspaces.clone()
    };
    let mut set = GlobSetBuilder::new();
    for glob in &globs {
        let pattern = format!("{}/package.json", glob.trim_end_matches('/'));
        let built = GlobBuilder::new(pattern.trim_start_matches("./"))
            .literal_separator(true)
            .build()
            .map_err(|e| {
                Diagnostic::at(
                    spec.path.location,
                    format!("workspace pattern `{glob}` is not a glob: {e}"),
                )
            })?;
        set.add(built);
    }
    let set = set
        .build()
        .expect("a set of globs that each built is a valid set");
    Ok(local
        .iter()
        .filter(|p| **p != "package.json" && set.is_match(p))
        .map(|p| p.to_string())
        .collect())
}

/// The `packages:` globs of pnpm-workspace.yaml (negated ones are left to pnpm).
fn pnpm_workspace_globs(text: &str) -> Result<Vec<String>, String> {
    let Some(root) = yaml::parse(text).map_err(|d| d.message)? else {
        return Ok(Vec::new());
    };
    let Yaml::Mapping(entries) = &root.value else {
        return Err("the file is not a mapping".to_string());
    };
    let packages = entries
        .iter()
        .find(|(k, _)| matches!(&k.value, Yaml::Scalar { text, .. } if text == "packages"));
    let Some((_, list)) = packages else {
        return Ok(Vec::new());
    };
    let Yaml::Sequence(items) = &list.value else {
        return Err("`packages` is not a list".to_string());
    };
    Ok(items
        .iter()
        .filter_map(|item| match &item.value {
            Yaml::Scalar { text, .. } if !text.starts_with('!') => Some(text.clone()),
            _ => None,
        })
        .collect())
}

/// The default entrypoint, by the first rule that applies: the `start` script (as exec form
/// when it is a plain `node …` command, else through `sh -c`), `main`, `index.js`.
fn entrypoint(
    spec: &Spec,
    package: &PackageJson,
    local: &[&str],
) -> Result<Vec<String>, Diagnostics> {
    if let Some(start) = &package.start {
        return Ok(start_command(start));
    }
    if let Some(main) = &package.main {
        let main = main.trim_start_matches("./");
        return Ok(vec!["node".to_string(), format!("{APP_DIR}/{main}")]);
    }
    if local.contains(&"index.js") {
        return Ok(vec!["node".to_string(), format!("{APP_DIR}/index.js")]);
    }
    Err(
        Diagnostic::at(spec.path.location, "cannot tell how to start the app")
            .with_hint(
                "set `run.command` (e.g. `[\"node\", \"server.js\"]`), or add a `start` script, \
                 a `main` field or an index.js",
            )
            .into(),
    )
}

/// A start script as the image's entrypoint. `node server.js --flag` becomes exec form, so
/// node is PID 1 and gets the container's signals; anything with shell syntax (or another
/// tool) runs under `sh -c 'exec …'` with node_modules/.bin on the PATH, as `npm start` would
/// run it, minus npm itself in between.
fn start_command(start: &str) -> Vec<String> {
    let plain = start
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c) || c == ' ');
    let words: Vec<&str> = start.split_whitespace().collect();
    if plain && words.first() == Some(&"node") {
        return words.iter().map(|w| w.to_string()).collect();
    }
    vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        format!("exec {start}"),
    ]
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
            if matches!(*path, "package.json" | "pnpm-workspace.yaml") {
                context
                    .contents
                    .insert(path.to_string(), contents.to_string());
            }
        }
        Node.plan(&spec, &context)
            .map_err(|d| d.render("strata.yaml", ""))
    }

    const SPEC: &str = "version: 1\nlanguage: node\n";

    fn run_names(plan: &Plan, stage: StageName) -> Vec<String> {
        plan.stage(stage)
            .unwrap()
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Run(run) => Some(run.name.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_plain_node_start_script_becomes_exec_form() {
        assert_eq!(
            start_command("node --enable-source-maps dist/server.js"),
            ["node", "--enable-source-maps", "dist/server.js"]
        );
        assert_eq!(
            start_command("NODE_OPTIONS=--x node a.js && echo done"),
            [
                "/bin/sh",
                "-c",
                "exec NODE_OPTIONS=--x node a.js && echo done"
            ]
        );
        assert_eq!(
            start_command("next start"),
            ["/bin/sh", "-c", "exec next start"]
        );
    }

    #[test]
    fn entrypoint_falls_back_to_main_then_index_js() {
        let plan = plan_of(
            SPEC,
            &[
                ("package.json", r#"{"main": "./lib/app.js"}"#),
                ("package-lock.json", ""),
            ],
        )
        .unwrap();
        assert_eq!(plan.image.entrypoint, ["node", "/app/lib/app.js"]);
        let plan = plan_of(
            SPEC,
            &[
                ("package.json", "{}"),
                ("package-lock.json", ""),
                ("index.js", ""),
            ],
        )
        .unwrap();
        assert_eq!(plan.image.entrypoint, ["node", "/app/index.js"]);
        let err = plan_of(SPEC, &[("package.json", "{}"), ("package-lock.json", "")]).unwrap_err();
        assert!(err.contains("cannot tell how to start the app"), "{err}");
    }

    #[test]
    fn npm_installs_twice_from_lockfiles_and_builds_without_network() {
        let plan = plan_of(
            SPEC,
            &[
                (
                    "package.json",
                    r#"{"scripts": {"build": "tsc", "start": "node dist/a.js"}}"#,
                ),
                ("package-lock.json", ""),
            ],
        )
        .unwrap();
        assert_eq!(
            run_names(&plan, StageName::Deps),
            [
                "[strata deps] npm ci --no-audit --no-fund (package-lock.json, package.json)",
                "[strata deps] npm ci --omit=dev --prefer-offline --no-audit --no-fund (package-lock.json, package.json)"
            ]
        );
        let Step::Run(build) = &plan.stage(StageName::Build).unwrap().steps[1] else {
            panic!("the build stage runs the build script")
        };
        assert_eq!(build.network, Network::None);
        assert!(
            build
                .mounts
                .iter()
                .all(|m| !matches!(m, Mount::Secret { .. }))
        );
        assert_eq!(plan.image.user, "1000:1000");
    }

    #[test]
    fn pnpm_without_package_manager_gets_the_default_with_a_warning() {
        let plan = plan_of(
            SPEC,
            &[
                ("package.json", r#"{"main": "a.js"}"#),
                ("pnpm-lock.yaml", ""),
            ],
        )
        .unwrap();
        assert_eq!(
            run_names(&plan, StageName::Deps)[0],
            format!("[strata deps] corepack prepare {DEFAULT_PNPM}")
        );
        assert!(
            plan.warnings[0].contains("no `packageManager`"),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn several_lockfiles_or_none_or_yarn_berry_are_refused() {
        let both = [
            ("package.json", "{}"),
            ("package-lock.json", ""),
            ("yarn.lock", ""),
            ("index.js", ""),
        ];
        let err = plan_of(SPEC, &both).unwrap_err();
        assert!(err.contains("several lockfiles"), "{err}");
        let err = plan_of(SPEC, &[("package.json", "{}"), ("index.js", "")]).unwrap_err();
        assert!(err.contains("only locked dependencies"), "{err}");
        let err = plan_of(
            SPEC,
            &[
                ("package.json", r#"{"packageManager": "yarn@4.1.0"}"#),
                ("yarn.lock", ""),
                ("index.js", ""),
            ],
        )
        .unwrap_err();
        assert!(err.contains("Yarn classic (1.x) only"), "{err}");
        let err = plan_of(
            SPEC,
            &[
                ("package.json", r#"{"packageManager": "pnpm@9.15.9"}"#),
                ("package-lock.json", ""),
                ("index.js", ""),
            ],
        )
        .unwrap_err();
        assert!(err.contains("has no pnpm-lock.yaml"), "{err}");
    }

    #[test]
    fn workspace_members_manifests_reach_the_install() {
        let plan = plan_of(
            SPEC,
            &[
                (
                    "package.json",
                    r#"{"workspaces": ["packages/*"], "main": "a.js"}"#,
                ),
                ("package-lock.json", ""),
                ("packages/a/package.json", ""),
                ("packages/b/package.json", ""),
                ("tools/package.json", ""),
            ],
        )
        .unwrap();
        let Step::CopyContext { files, .. } = &plan.stages[0].steps[0] else {
            panic!("deps starts with the manifests")
        };
        assert_eq!(
            files.include,
            [
                "package-lock.json",
                "package.json",
                "packages/a/package.json",
                "packages/b/package.json"
            ]
        );
        assert_eq!(
            pnpm_workspace_globs("packages:\n  - 'apps/*'\n  - '!apps/skip'\n").unwrap(),
            ["apps/*"]
        );
    }
}
