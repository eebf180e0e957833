//! Node: node_modules installed from the lockfile only (npm, pnpm or yarn v1), the `build`
//! script run over the app directory, and production-only node_modules plus the app on a slim
//! Node runtime; a front-end app's built site is served by a small static server instead.

mod sites;

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSetBuilder};
use serde_json::Value as Json;

use super::context::join;
use super::inputs::{Documentation, Reference, Sources};
use super::stages::{
    APP_DIR, Command, Runtime, SITE_DIR, Stages, copy_lockfiles, image_settings, site_runtime,
};
use super::start::{self, Start, shell_line};
use super::toolchain::{self, Demand, Line, Requirement, line_for};
use super::{
    ContextFiles, Probe, Provider, interpreter_runtime, network, require_named_lockfiles, strings,
};
use crate::plan::{
    Base, CacheSharing, ContextSelection, ImageRole, Mount, Network, Plan, StageName, Step,
    Toolchain,
};
use crate::spec::yaml::{self, Value as Yaml};
use crate::spec::{Diagnostic, Diagnostics, Language, Location, Spec};
use sites::AppKind;

pub struct Node;

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

/// Tests and their output: the image does not run them, so editing them rebuilds nothing.
const TESTS: &[&str] = &[
    "test",
    "tests",
    "**/__tests__",
    "**/*.test.*",
    "**/*.spec.*",
    "coverage",
    ".nyc_output",
];
/// Directories a build script writes: left out when .gitignore says they are not source, since
/// the build makes them again (a `build/` of webpack configs is source and stays).
const BUILD_OUTPUTS: &[&str] = &["dist", "build", "out"];

/// The versions strata prepares when package.json has no `packageManager` field; its warning
/// asks for one, since only that pins the tool for everybody. With their hashes, as `corepack
/// use` writes them: corepack then checks the hash instead of the registry's signatures, which
/// registry mirrors often do not serve (corepack ≥ 0.27 refuses an unsigned package otherwise).
const DEFAULT_PNPM: &str = "pnpm@9.15.9+sha512.68046141893c66fad01c079231128e9afb89ef87e2691d69e4d40eee228988295fd4682181bae55b58418c3a253bde65a505ec7c5f9403ece5cc3cd37dcf2531";
const DEFAULT_YARN: &str = "yarn@1.22.22+sha512.a6b2f7906b721bba3d67d4aff083df04dad64c399707841b7acf00f6b133b7ac24255f2652fa22ae3534329dc6180534e98d17432037ff6fd140556e2bb3137e";

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
            starts_from: None,
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

/// npm without a lockfile: the full install resolves package.json and writes
/// package-lock.json, which the production install follows, so both get the same versions.
const UNLOCKED_NPM_INSTALLS: (&str, &str) = (
    "npm install --no-audit --no-fund",
    "npm ci --omit=dev --prefer-offline --no-audit --no-fund",
);

/// pnpm's content-addressed store, at a fixed path so every step (and every build) finds it.
const PNPM_STORE: &str = "/pnpm/store";
const YARN_CACHE: &str = "/root/.cache/yarn";

/// The facts strata reads from package.json.
#[derive(Debug, Default)]
struct PackageJson {
    name: Option<String>,
    main: Option<String>,
    /// `scripts`, by name.
    scripts: BTreeMap<String, String>,
    has_build: bool,
    /// `packageManager`, e.g. `pnpm@9.15.9+sha512.…`.
    package_manager: Option<String>,
    /// npm and yarn workspaces: globs of member directories.
    workspaces: Vec<String>,
    /// Every package it depends on, dev dependencies included.
    dependencies: Vec<String>,
    /// Dev dependencies that `dependencies` does not name: the runtime's production install
    /// leaves them out.
    dev_only: Vec<String>,
    /// What `main`, `browser`, `bin` and `files` name: what the package runs from.
    named_files: Vec<(String, &'static str)>,
    /// Whether it names any package to install (or workspaces to link).
    declares_dependencies: bool,
    /// `engines.node`: the Node versions the package runs on.
    engines_node: Option<String>,
}

/// The paths `main`, `browser`, `bin` and `files` name, with the field.
fn named_files(doc: &Json) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for field in ["main", "browser", "bin", "files"] {
        let values: Vec<&Json> = match doc.get(field) {
            Some(Json::Array(items)) => items.iter().collect(),
            Some(Json::Object(map)) => map.values().collect(),
            Some(value) => vec![value],
            None => Vec::new(),
        };
        out.extend(
            values
                .into_iter()
                .filter_map(Json::as_str)
                .map(|p| (p.trim_start_matches("./").to_string(), field)),
        );
    }
    out
}

impl PackageJson {
    fn parse(text: &str) -> Result<PackageJson, serde_json::Error> {
        let doc: Json = serde_json::from_str(text)?;
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
            scripts: scripts
                .and_then(Json::as_object)
                .map(|s| {
                    s.iter()
                        .filter_map(|(name, line)| Some((name.clone(), line.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            has_build: scripts.and_then(|s| s.get("build")).is_some(),
            package_manager: string(doc.get("packageManager")),
            workspaces: workspaces
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect(),
            dependencies: ["dependencies", "devDependencies"]
                .iter()
                .filter_map(|table| doc.get(*table).and_then(Json::as_object))
                .flat_map(|table| table.keys().cloned())
                .collect(),
            dev_only: doc
                .get("devDependencies")
                .and_then(Json::as_object)
                .map(|dev| {
                    let runtime = doc.get("dependencies").and_then(Json::as_object);
                    dev.keys()
                        .filter(|name| runtime.is_none_or(|r| !r.contains_key(*name)))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
            declares_dependencies: !workspaces.is_empty()
                || [
                    "dependencies",
                    "devDependencies",
                    "optionalDependencies",
                    "peerDependencies",
                ]
                .iter()
                .any(|table| {
                    doc.get(*table)
                        .and_then(Json::as_object)
                        .is_some_and(|t| !t.is_empty())
                }),
            engines_node: string(doc.pointer("/engines/node")),
            named_files: named_files(&doc),
        })
    }
}

impl Provider for Node {
    fn language(&self) -> Language {
        Language::Node
    }

    fn probe(&self) -> Probe {
        Probe {
            // Framework and bundler caches and outputs no build reads back.
            never: strings(&[
                "**/.next",
                "**/.nuxt",
                "**/.svelte-kit",
                "**/.turbo",
                "**/.parcel-cache",
                "**/.angular",
                ".pnpm-store",
                ".npm",
            ]),
            read: strings(
                &[
                    &[
                        "package.json",
                        "pnpm-workspace.yaml",
                        ".gitignore",
                        "Procfile",
                        "angular.json",
                        ".nvmrc",
                        ".node-version",
                        ".npmrc",
                    ],
                    sites::NEXT_CONFIGS,
                    sites::NEXT_FONT_FILES,
                ]
                .concat(),
            ),
        }
    }

    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool {
        files.under(app_dir).any(|p| p == "package.json")
    }

    /// Nothing to start or build: linters and formatters, or browser libraries a script of
    /// the other language's project copies into its static files (datasette's, nicegui's).
    fn only_tooling(&self, files: &ContextFiles, app_dir: &str) -> bool {
        let Some(Ok(package)) = files.text(app_dir, "package.json").map(PackageJson::parse) else {
            return false;
        };
        package.main.is_none()
            && !files.under(app_dir).any(|p| p == "index.js")
            && package.workspaces.is_empty()
            && !package.has_build
            && !package.scripts.contains_key("start")
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
        let local: Vec<&str> = files.under(&spec.path.value).collect();
        let package = read_package(spec, files)?;
        let kind = sites::kind(spec, files, &package);
        let mut warnings = Vec::new();
        let npmrc = settings_npmrc(spec, files, &local, &mut warnings);
        let installs = install(spec, files, &package, &local, &mut warnings)?.map(
            |(manager, members, locked)| {
                let production = kind == AppKind::Server;
                Installs {
                    manager,
                    members,
                    // A server without a build script runs as it is: nothing reads the dev
                    // dependencies (without a lockfile, the production install follows the
                    // lockfile the full install writes).
                    full: !production || package.has_build || !locked,
                    production,
                    locked,
                    npmrc,
                }
            },
        );
        let deps = match &installs {
            Some(installs) => dependency_steps(spec, installs, &package, &local, &mut warnings),
            None => Vec::new(),
        };
        let sources = sources(spec, files, &package, &local, &mut warnings);
        let app = app_name(spec, &package);
        let mut build = vec![copy_sources("build", &sources)];
        let (tools, toolchain) =
            node_tools(spec, files, &package, installs.as_ref(), &mut warnings)?;
        let runtime = match kind {
            AppKind::Site(site) => {
                let keep = format!("cp -a {}/. {BUILD_OUTPUT}", site.dir);
                build.push(build_step(spec, &tools, &keep, &site.dir));
                let copy = Step::CopyFromStage {
                    name: "[strata runtime] copy the built site".to_string(),
                    stage: StageName::Build,
                    src: "/".to_string(),
                    dest: SITE_DIR.to_string(),
                };
                site_runtime(spec, &app, copy, &site.why, &mut warnings)
            }
            AppKind::NextStandalone => {
                let standalone = ".next/standalone";
                build.push(build_step(spec, &tools, NEXT_STANDALONE_KEEP, standalone));
                next_runtime(spec, &app, &tools, &mut warnings)?
            }
            AppKind::Server => {
                let (app_build, runtime) =
                    server(spec, files, &tools, &package, &sources, &app, &mut warnings)?;
                build.extend(app_build);
                runtime
            }
        };
        Ok(Stages {
            language: Language::Node,
            builder: toolchain.0,
            toolchain: Some(toolchain.1),
            deps,
            build_output: (build.len() > 1).then_some(BUILD_OUTPUT),
            build,
            cross_compile: None,
            runtime_base: runtime.base,
            runtime: runtime.steps,
            image: runtime.image,
            warnings,
            app,
        }
        .into_plan(spec))
    }
}

/// What the Node steps run with (see [`NodeTools`]), and the builder image with its toolchain:
/// the Node version `.nvmrc` or `.node-version` pins and `engines.node` allows.
fn node_tools(
    spec: &Spec,
    files: &ContextFiles,
    package: &PackageJson,
    installs: Option<&Installs>,
    warnings: &mut Vec<String>,
) -> Result<(NodeTools, (String, Toolchain)), Diagnostics> {
    let dir = spec.path.value.as_str();
    let mut demands = Vec::new();
    for name in [".nvmrc", ".node-version"] {
        let Some(text) = files.text(dir, name) else {
            continue;
        };
        let written = text.lines().next().unwrap_or_default().trim();
        // `lts/*`, `node`, `stable`: the newest, which the default stands for.
        if let Some(line) = lts_major(written).or_else(|| line_for(ImageRole::Node, written)) {
            demands.push(Demand::pin(format!("{name} `{written}`"), line));
        }
    }
    if let Some(range) = &package.engines_node {
        let requirement = Requirement::npm(range).map_err(|why| {
            Diagnostic::at(
                spec.path.location,
                format!("package.json `engines.node`: {why}"),
            )
            .with_hint("write an npm semver range, e.g. `>=20`")
        })?;
        let source = format!("package.json `\"engines\": {{\"node\": \"{range}\"}}`");
        demands.push(Demand::allows(source, requirement));
    }
    let (builder, toolchain) = toolchain::builder(spec, ImageRole::Node, "Node", &demands)?;
    let fonts = sites::google_fonts(spec, files, package);
    if let Some(file) = &fonts {
        warnings.push(format!(
            "{file} loads Google Fonts through next/font/google, which `next build` \
             downloads: the build step has the network; next/font/local builds offline"
        ));
    }
    let tools = NodeTools {
        installed: installs.map(|i| i.manager),
        production_as_built: installs.is_some_and(Installs::production_in_app),
        build_downloads: fonts.is_some(),
        image: toolchain::image_of(ImageRole::Node, &toolchain),
    };
    Ok((tools, (builder, toolchain)))
}

/// The major an nvm LTS alias names (`lts/iron` is Node 20).
fn lts_major(alias: &str) -> Option<Line> {
    const CODENAMES: [(&str, u32); 5] = [
        ("gallium", 16),
        ("hydrogen", 18),
        ("iron", 20),
        ("jod", 22),
        ("krypton", 24),
    ];
    let name = alias.strip_prefix("lts/")?.to_ascii_lowercase();
    CODENAMES
        .iter()
        .find(|(codename, _)| *codename == name)
        .map(|(_, major)| Line {
            major: *major,
            minor: None,
        })
}

/// The package manager, the workspace members' manifests and whether a lockfile pins the
/// versions, or `None` when there is nothing to install: an app that depends on nothing often
/// has no lockfile either.
fn install(
    spec: &Spec,
    files: &ContextFiles,
    package: &PackageJson,
    local: &[&str],
    warnings: &mut Vec<String>,
) -> Result<Option<(Manager, Vec<String>, bool)>, Diagnostics> {
    let locked = Manager::ALL.iter().any(|m| local.contains(&m.lockfile()));
    if !locked && !package.declares_dependencies && package.package_manager.is_none() {
        return Ok(None);
    }
    if !locked && package.package_manager.is_none() {
        // Many small apps and samples commit package.json alone; npm resolves it as `npm
        // install` would on the user's machine, and the versions may move between builds.
        warnings.push(
            "no package-lock.json, pnpm-lock.yaml or yarn.lock beside package.json: npm \
             resolves its version ranges at build time, so versions can change between builds; \
             run `npm install` and commit package-lock.json to pin them"
                .to_string(),
        );
        require_named_lockfiles(spec, files, "check the name")?;
        return Ok(Some((Manager::Npm, Vec::new(), false)));
    }
    let manager = manager(spec, package, local)?;
    require_named_lockfiles(
        spec,
        files,
        "check the name; Node lockfiles are package-lock.json, pnpm-lock.yaml or yarn.lock",
    )?;
    let members = workspace_members(spec, files, manager, package, local)?;
    Ok(Some((manager, members, true)))
}

/// The name of the app: package.json's, else its directory's.
fn app_name(spec: &Spec, package: &PackageJson) -> String {
    let dir = spec.path.value.as_str();
    package.name.clone().unwrap_or_else(|| {
        if dir == "." {
            "app".to_string()
        } else {
            dir.rsplit('/').next().unwrap_or(dir).to_string()
        }
    })
}

/// What a Next.js standalone build leaves for the runtime: the server with the node_modules it
/// traced, the static assets beside it, and `public/`, as Next's own Dockerfile copies them.
const NEXT_STANDALONE_KEEP: &str = "cp -a .next/standalone/. /out && mkdir -p /out/.next && \
     cp -a .next/static /out/.next/static && { [ ! -d public ] || cp -a public /out/public; }";
/// The port `next start` and the standalone server listen on.
const NEXT_PORT: u16 = 3000;

/// A Next.js standalone server: the traced server, no package manager's node_modules,
/// `node server.js` on 0.0.0.0:3000.
fn next_runtime(
    spec: &Spec,
    app: &str,
    tools: &NodeTools,
    warnings: &mut Vec<String>,
) -> Result<Runtime, Diagnostics> {
    let start = Start::new(
        vec!["node".to_string(), "server.js".to_string()],
        "Next.js: its standalone server",
    )
    .on_port(NEXT_PORT);
    let env = BTreeMap::from([
        ("HOSTNAME".to_string(), "0.0.0.0".to_string()),
        ("NODE_ENV".to_string(), "production".to_string()),
    ]);
    Ok(Runtime {
        base: tools.runtime_base(spec)?,
        steps: vec![Step::CopyFromStage {
            name: "[strata runtime] copy the standalone server".to_string(),
            stage: StageName::Build,
            src: "/".to_string(),
            dest: APP_DIR.to_string(),
        }],
        image: image_settings(spec, app, start, NODE_USER, env, warnings),
    })
}

/// A server's build steps (the build script, when there is one) and runtime: the production
/// node_modules, then the built app or the app's files, on the Node image, started by `start`,
/// `main` or index.js.
fn server(
    spec: &Spec,
    files: &ContextFiles,
    tools: &NodeTools,
    package: &PackageJson,
    sources: &ContextSelection,
    app: &str,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Step>, Runtime), Diagnostics> {
    let mut build = Vec::new();
    let app_layer = if package.has_build {
        // The built app is the project directory after the build, without the dev-dependency
        // node_modules that the runtime gets in production form.
        let keep = format!(
            "find . -mindepth 1 -maxdepth 1 ! -name node_modules -exec cp -a -t {BUILD_OUTPUT} {{}} +"
        );
        build.push(build_step(spec, tools, &keep, "."));
        Step::CopyFromStage {
            name: "[strata runtime] copy the built app".to_string(),
            stage: StageName::Build,
            src: "/".to_string(),
            dest: APP_DIR.to_string(),
        }
    } else {
        copy_sources("runtime", sources)
    };
    let local: Vec<&str> = files.under(&spec.path.value).collect();
    let start = start::choose(
        spec,
        files,
        true,
        || Ok(None),
        || generic_start(spec, package, &local),
    )?;
    if !package.has_build && spec.run.command.is_none() {
        warnings.extend(unbuilt_entry(package, &start.command, &local));
    }
    // Production node_modules on their own layers, made from the lockfiles only: a source edit
    // leaves them byte-identical.
    let modules = tools
        .installed
        .map(|manager| match tools.production_as_built {
            true => Step::LayersOfStage {
                name: format!(
                    "[strata runtime] the production node_modules ({}), as installed",
                    manager.name()
                ),
                stage: StageName::Deps,
            },
            false => Step::CopyFromStage {
                name: format!(
                    "[strata runtime] copy the production node_modules ({})",
                    manager.name()
                ),
                stage: StageName::Deps,
                src: format!("{PROD_DIR}/node_modules"),
                dest: format!("{APP_DIR}/node_modules"),
            },
        });
    let env = BTreeMap::from([
        ("PATH".to_string(), RUNTIME_PATH.to_string()),
        ("NODE_ENV".to_string(), "production".to_string()),
    ]);
    let runtime = Runtime {
        base: tools.runtime_base(spec)?,
        steps: modules.into_iter().chain([app_layer]).collect(),
        image: image_settings(spec, app, start, NODE_USER, env, warnings),
    };
    Ok((build, runtime))
}

fn read_package(spec: &Spec, files: &ContextFiles) -> Result<PackageJson, Diagnostics> {
    let dir = spec.path.value.as_str();
    let manifest_path = join(dir, "package.json");
    let text = files.contents.get(&manifest_path).ok_or_else(|| {
        Diagnostic::at(spec.path.location, format!("`{dir}` has no package.json"))
            .with_hint("point `path:` at the directory with the app's package.json")
    })?;
    Ok(PackageJson::parse(text).map_err(|why| {
        // serde_json's message ends with its own "at line L column C"; the place is shown instead.
        let message = why.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        let at = Location {
            line: why.line().max(1),
            column: why.column().max(1),
        };
        Diagnostic::in_file(
            &manifest_path,
            text,
            at,
            format!("not valid JSON: {message}"),
        )
        .with_hint("package.json must be valid JSON (npm and the build read it too)")
    })?)
}

/// The installs, from the lockfile and the manifests only (and whatever the spec adds: an
/// .npmrc, a patches directory): the full one in /app for the build, the production one in
/// /prod for the runtime; pnpm's and yarn's own version prepared first.
/// What the dependency stage installs: with which manager, for which workspace members, and
/// whether a production-only install is kept for the runtime (a server's; a site and Next's
/// standalone server carry no node_modules of the package manager's).
struct Installs {
    manager: Manager,
    members: Vec<String>,
    /// Whether the full install (dev dependencies included) is made, for a build script.
    full: bool,
    production: bool,
    /// A lockfile pins the versions; without one (npm only) the full install resolves them
    /// and writes the lockfile the production install then follows.
    locked: bool,
    /// The app's .npmrc is an input of the installs (it holds settings, no credentials).
    npmrc: bool,
}

impl Installs {
    /// Whether the production install is the stage's only one, made by npm where the runtime
    /// reads it (/app): the runtime then stacks the stage's layers onto its base (the lockfile
    /// copy and the install, nothing else), as the cache holds them, and no step copies
    /// node_modules. pnpm and yarn keep the copy: their stage also holds the package manager
    /// corepack prepared, which the runtime does not need.
    fn production_in_app(&self) -> bool {
        self.production && !self.full && self.manager == Manager::Npm
    }

    fn production_dir(&self) -> &'static str {
        match self.production_in_app() {
            true => APP_DIR,
            false => PROD_DIR,
        }
    }
}

fn dependency_steps(
    spec: &Spec,
    installs: &Installs,
    package: &PackageJson,
    local: &[&str],
    warnings: &mut Vec<String>,
) -> Vec<Step> {
    let manager = installs.manager;
    let (lockfiles, manifests) = install_inputs(spec, installs, local);
    let inputs: Vec<String> = lockfiles.iter().chain(&manifests).cloned().collect();
    let listed = inputs.join(", ");
    let copy = |names: &[String], dest: &str, what: &str| copy_lockfiles(spec, names, dest, what);
    let download = |name: String, script: String, cwd: &str, cached: bool| {
        let command = node_command(manager, name, script, cwd).env(registry_env(spec));
        let command = if cached {
            command.mount(manager.cache(spec))
        } else {
            command
        };
        command.downloads(spec, network(spec.network.deps, Network::Default))
    };
    let mut steps = Vec::new();
    if manager != Manager::Npm {
        let wanted = prepared_version(manager, package, warnings);
        let name = manager.name();
        // The hash stays out of the step's name: it is in the command, and a screen wide.
        let shown = wanted
            .split_once('+')
            .map_or(wanted.as_str(), |(version, _)| version);
        steps.push(download(
            format!("[strata deps] corepack prepare {shown}"),
            format!("corepack enable {name} && corepack prepare {wanted} --activate"),
            "/",
            false,
        ));
    }
    if manager == Manager::Pnpm {
        // `pnpm fetch` needs the lockfile alone: a package.json edit that keeps the lockfile (a
        // script, the version) downloads nothing.
        steps.push(copy(&lockfiles, APP_DIR, ""));
        let name = format!("[strata deps] pnpm fetch ({})", lockfiles.join(", "));
        steps.push(download(name, "pnpm fetch".to_string(), APP_DIR, true));
        if installs.full {
            steps.push(copy(&manifests, APP_DIR, ""));
        }
    } else if installs.full {
        steps.push(copy(&inputs, APP_DIR, ""));
    }
    let name = |install: &str| format!("[strata deps] {install} ({listed})");
    // Without a lockfile the production install follows the one the full install wrote.
    let (full_install, (prod_name, prod_script)) = if installs.locked {
        let (full, prod) = manager.install_commands();
        (full, (name(prod), prod.to_string()))
    } else {
        let (full, prod) = UNLOCKED_NPM_INSTALLS;
        let name = format!("[strata deps] {prod} (package-lock.json from the full install)");
        (
            full,
            (name, format!("cp {APP_DIR}/package-lock.json . && {prod}")),
        )
    };
    if installs.full {
        steps.push(download(
            name(full_install),
            full_install.to_string(),
            APP_DIR,
            true,
        ));
    }
    if installs.production {
        let dir = installs.production_dir();
        steps.push(copy(&inputs, dir, " for the production install"));
        steps.push(download(prod_name, prod_script, dir, true));
    }
    steps
}

/// What the installs see: the lockfile (with pnpm's workspace file and whatever the spec adds:
/// an .npmrc, a patches directory), and the manifests of the app and its workspace members.
fn install_inputs(spec: &Spec, installs: &Installs, local: &[&str]) -> (Vec<String>, Vec<String>) {
    let (manager, members) = (installs.manager, &installs.members);
    let mut lockfiles = Vec::new();
    if installs.locked {
        lockfiles.push(manager.lockfile().to_string());
    }
    if manager == Manager::Pnpm && local.contains(&"pnpm-workspace.yaml") {
        lockfiles.push("pnpm-workspace.yaml".to_string());
    }
    let named = spec.lockfiles.iter().flatten().map(|l| l.value.clone());
    for input in named.chain(installs.npmrc.then(|| ".npmrc".to_string())) {
        if !lockfiles.contains(&input) {
            lockfiles.push(input);
        }
    }
    let mut manifests = vec!["package.json".to_string()];
    manifests.extend(members.iter().cloned());
    (lockfiles, manifests)
}

/// Whether the app's .npmrc goes to the installs: it often holds settings the install needs
/// (`legacy-peer-deps`, pnpm's `node-linker` and `shamefully-hoist`, a scope's registry), so it
/// does when it holds no credentials. One that does (a token, a password, a client key, or a
/// `${VAR}` the user's shell fills in) stays out of every step, with a warning: it belongs under
/// `secrets:`.
fn settings_npmrc(
    spec: &Spec,
    files: &ContextFiles,
    local: &[&str],
    warnings: &mut Vec<String>,
) -> bool {
    if !local.contains(&".npmrc") {
        return false;
    }
    let text = files.text(&spec.path.value, ".npmrc").unwrap_or_default();
    let credential = text.lines().any(|line| {
        let line = line.trim();
        let Some((key, value)) = line.split_once('=') else {
            return false;
        };
        let key = key.trim().to_ascii_lowercase();
        !line.starts_with(['#', ';'])
            && ([
                "auth", "token", "password", "username", "email", "certfile", "keyfile",
            ]
            .iter()
            .any(|word| key.contains(word))
                || key == "key"
                || key == "cert"
                || value.contains("${"))
    });
    let named = spec.lockfiles.iter().flatten().any(|l| l.value == ".npmrc");
    if credential && !named {
        warnings.push(format!(
            "{}: it holds credentials, so no step sees it and its settings do not apply to the \
             install; declare it under `secrets:` (pass it with --secret) to install with it",
            join(&spec.path.value, ".npmrc")
        ));
    }
    !credential
}

/// What the build and the runtime see: the app directory without tests, tooling, and (for a
/// server) documentation, without the outputs of an earlier build that .gitignore names, plus
/// what package.json names when there is no build script to make it.
fn sources(
    spec: &Spec,
    files: &ContextFiles,
    package: &PackageJson,
    local: &[&str],
    warnings: &mut Vec<String>,
) -> ContextSelection {
    // Site generators read markdown as content: only a server leaves the docs out.
    let documentation = if package.has_build {
        Documentation::ByName
    } else {
        Documentation::All
    };
    let mut sources = Sources::app_directory(spec, documentation);
    sources.leave_out(TESTS, "tests (the image does not run them)");
    if package.has_build {
        let ignored = git_ignored(files.contents.get(&join(&spec.path.value, ".gitignore")));
        sources.leave_out(
            BUILD_OUTPUTS.iter().filter(|d| ignored.contains(**d)),
            "output of an earlier build (.gitignore names it; the build makes it again)",
        );
    } else {
        let named: Vec<Reference> = package
            .named_files
            .iter()
            .map(|(path, field)| {
                Reference::path(path.clone(), format!("named by package.json `{field}`"))
            })
            .collect();
        for missing in sources.name(local, named) {
            warnings.push(format!(
                "{}: `{}` is not in the build context{}",
                missing.why,
                missing.path,
                files.ignore_hint()
            ));
        }
    }
    sources.finish(spec)
}

/// The top-level directory names a .gitignore ignores (`dist`, `/dist`, `dist/`, `/dist/`).
fn git_ignored(gitignore: Option<&String>) -> std::collections::BTreeSet<&str> {
    gitignore
        .map(|text| {
            text.lines()
                .map(|l| l.trim().trim_start_matches('/').trim_end_matches('/'))
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect()
        })
        .unwrap_or_default()
}

fn copy_sources(stage: &str, sources: &ContextSelection) -> Step {
    Step::CopyContext {
        name: format!("[strata {stage}] copy the app's files"),
        files: sources.clone(),
        dest: APP_DIR.to_string(),
    }
}

/// What the Node steps run with: the package manager, whether the build script downloads
/// (Google Fonts for `next/font/google`) and so has the network, the CA and the proxy, and the
/// Node image of the project's version (the builder and the runtime alike: the slim image has
/// npm and corepack).
struct NodeTools {
    /// The package manager that installed node_modules; `None` when nothing was installed.
    installed: Option<Manager>,
    /// The production install is the dependency stage's own, in /app: the runtime takes its
    /// layers as they are instead of copying node_modules (see [`Installs::production_in_app`]).
    production_as_built: bool,
    build_downloads: bool,
    image: String,
}

impl NodeTools {
    fn manager(&self) -> Manager {
        self.installed.unwrap_or(Manager::Npm)
    }

    /// The runtime base: this image, unless the spec names another.
    fn runtime_base(&self, spec: &Spec) -> Result<Base, Diagnostics> {
        interpreter_runtime(spec, &self.image, "a Node app", "node", "node on its PATH")
    }
}

/// The build script, offline unless it downloads, then `keep` copies what the runtime gets into
/// the output (`what` names it in the failure message when the build wrote nothing there).
fn build_step(spec: &Spec, tools: &NodeTools, keep: &str, what: &str) -> Step {
    let manager = tools.manager();
    let command = node_command(
        manager,
        format!("[strata build] {} run build", manager.name()),
        format!(
            "{} run build && {{ [ -e {what} ] || {{ echo \"strata: the build script wrote no {what}\" >&2; exit 1; }}; }} && {keep}",
            manager.name()
        ),
        APP_DIR,
    )
    .mount(Mount::Output {
        target: BUILD_OUTPUT.to_string(),
    })
    // corepack must not fetch the package manager again: the deps stage prepared it.
    .env((manager != Manager::Npm).then_some(("COREPACK_ENABLE_NETWORK", "0")))
    // What the spec sets for the compile step (a bundler's `VITE_*`, `NODE_OPTIONS`).
    .env(spec.build.env.clone());
    if tools.build_downloads {
        command.downloads(spec, network(spec.network.build, Network::Default))
    } else {
        command.offline(spec)
    }
}

/// A command that runs a Node tool in the builder, with the package manager's settings.
fn node_command(manager: Manager, name: String, script: String, cwd: &str) -> Command {
    // Scratch, not the image's: Node 22+ keeps its module compile cache under /tmp, and a
    // runtime that takes the install's layers as they are would ship it.
    let command = Command::shell(name, script, cwd).mount(Mount::Tmpfs {
        target: "/tmp".to_string(),
    });
    let command = match manager {
        Manager::Npm => command.env([("npm_config_update_notifier", "false")]),
        Manager::Pnpm => command.env([
            ("npm_config_store_dir", PNPM_STORE),
            // The store is a cache mount: links into it would not survive into the layer.
            ("npm_config_package_import_method", "copy"),
        ]),
        Manager::Yarn => command.env([("YARN_CACHE_FOLDER", YARN_CACHE)]),
    };
    if manager == Manager::Npm {
        return command;
    }
    command.env([
        ("COREPACK_HOME", COREPACK_HOME),
        ("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),
    ])
}

/// The spec's registry for a download step: npm, pnpm and yarn 1 all read npm_config_registry
/// (npm also fetches a lockfile's registry.npmjs.org URLs from it: replace-registry-host);
/// corepack fetches the package managers themselves from COREPACK_NPM_REGISTRY.
fn registry_env(spec: &Spec) -> Vec<(&'static str, String)> {
    match &spec.node.registry {
        Some(registry) => vec![
            ("npm_config_registry", registry.clone()),
            ("COREPACK_NPM_REGISTRY", registry.clone()),
        ],
        None => Vec::new(),
    }
}

/// The package manager: the one `packageManager` names, else the one whose lockfile is there.
fn manager(spec: &Spec, package: &PackageJson, local: &[&str]) -> Result<Manager, Diagnostics> {
    let dir = &spec.path.value;
    let present: Vec<Manager> = Manager::ALL
        .into_iter()
        .filter(|m| local.contains(&m.lockfile()))
        .collect();
    if let Some(field) = &package.package_manager {
        return named_manager(spec, field, &present);
    }
    match present.as_slice() {
        [one] => Ok(*one),
        [] => unreachable!("install() plans npm itself when there is no lockfile"),
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

/// The manager `packageManager` names, if strata installs with it and its lockfile is there.
fn named_manager(spec: &Spec, field: &str, present: &[Manager]) -> Result<Manager, Diagnostics> {
    let refuse = |message: String, hint: String| -> Diagnostics {
        Diagnostic::at(spec.path.location, message)
            .with_hint(hint)
            .into()
    };
    let (name, version) = field.split_once('@').unwrap_or((field, ""));
    let Some(named) = Manager::ALL.into_iter().find(|m| m.name() == name) else {
        return Err(refuse(
            format!("package.json names the package manager `{field}`, which strata does not know"),
            "strata installs with npm, pnpm or yarn v1".to_string(),
        ));
    };
    if named == Manager::Yarn && !version.starts_with("1.") {
        return Err(refuse(
            format!(
                "package.json asks for `{field}`: strata installs with Yarn classic (1.x) only"
            ),
            "set `\"packageManager\": \"yarn@1.22.22\"`, or use npm or pnpm".to_string(),
        ));
    }
    if !present.contains(&named) {
        let lockfile = named.lockfile();
        return Err(refuse(
            format!(
                "package.json asks for {name}, but `{}` has no {lockfile}",
                spec.path.value
            ),
            format!(
                "run `{name} install` and commit {lockfile}: strata installs only locked dependencies"
            ),
        ));
    }
    Ok(named)
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

/// Start scripts that run a development tool, not the app as production runs it: a
/// `start:prod` script, when there is one, is what to run instead.
const DEVELOPMENT_STARTS: &[&str] = &[
    "nodemon",
    "ts-node",
    "ts-node-dev",
    "tsx watch",
    "nest start",
];

/// The language's own rule: the `start` script (followed through `npm run x`, `yarn x` and
/// `pnpm x` to the command it runs, and to `start:prod` when `start` runs a development tool),
/// `main`, `index.js`.
fn generic_start(spec: &Spec, package: &PackageJson, local: &[&str]) -> Result<Start, Diagnostics> {
    if let Some(start) = package.scripts.get("start") {
        let mut name = "start";
        let mut line = resolve_script(package, start);
        let development = DEVELOPMENT_STARTS.iter().any(|tool| line.starts_with(tool))
            || program(&line).is_some_and(|(program, _)| package.dev_only.contains(&program));
        if let (true, Some(production)) = (development, package.scripts.get("start:prod")) {
            name = "start:prod";
            line = resolve_script(package, production);
        }
        return runnable_in_production(spec, package, name, &line);
    }
    if let Some(main) = &package.main {
        let main = main.trim_start_matches("./");
        let command = vec!["node".to_string(), format!("{APP_DIR}/{main}")];
        return Ok(Start::new(command, "package.json `main`"));
    }
    if local.contains(&"index.js") {
        let command = vec!["node".to_string(), format!("{APP_DIR}/index.js")];
        return Ok(Start::new(command, "index.js"));
    }
    Err(start::unknown(
        spec,
        "[\"node\", \"server.js\"]",
        "a Procfile, a `start` script, `main` and index.js",
    ))
}

/// The start script's command, unless the program it runs is a dev dependency, which the
/// runtime's production install leaves out: the image could not start. `nodemon <file>` is
/// `node <file>` without the watching; anything else needs a production start named.
fn runnable_in_production(
    spec: &Spec,
    package: &PackageJson,
    name: &str,
    line: &str,
) -> Result<Start, Diagnostics> {
    let Some((program, arguments)) = program(line).filter(|(p, _)| package.dev_only.contains(p))
    else {
        let start = Start::new(shell_line(line), format!("package.json `{name}` script"));
        return Ok(match server_default_port(line) {
            Some(port) => start.on_port(port),
            None => start,
        });
    };
    if let ("nodemon", [file]) = (program.as_str(), arguments.as_slice()) {
        if !file.starts_with('-') {
            let command = vec!["node".to_string(), file.clone()];
            let why = format!("package.json `{name}` script, node in place of nodemon");
            return Ok(Start::new(command, why));
        }
    }
    Err(Diagnostic::at(
        spec.path.location,
        format!(
            "package.json `{name}` script runs `{program}`, a dev dependency: the image has \
             the production dependencies only, so it could not start"
        ),
    )
    .with_hint(
        "add a `start:prod` script that starts the built app with node, or set `run.command` \
         (e.g. `[\"node\", \"dist/main.js\"]`)",
    )
    .needs_command()
    .into())
}

/// A warning when the start command runs a file (`node dist/main`) that is not in the build
/// context while no `build` script would make it: a build script under another name
/// (`build:production`, an Nx or Turborepo build) does not run, so the image could not start.
fn unbuilt_entry(package: &PackageJson, command: &[String], local: &[&str]) -> Option<String> {
    let script = command
        .iter()
        .skip_while(|word| word.as_str() != "node")
        .skip(1)
        .find(|word| !word.starts_with('-'))?;
    let file = script
        .trim_start_matches("/app/")
        .trim_start_matches("./")
        .to_string();
    let present = local.iter().any(|p| {
        *p == file
            || p.strip_prefix(file.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('/'))
    });
    if present || file.is_empty() {
        return None;
    }
    let builds: Vec<String> = package
        .scripts
        .keys()
        .filter(|name| name.starts_with("build"))
        .map(|name| format!("`{name}`"))
        .collect();
    let which = match builds.is_empty() {
        true => String::new(),
        false => format!(" (package.json has {})", builds.join(", ")),
    };
    Some(format!(
        "the start command runs `{file}`, which is not in the build context, and package.json \
         has no `build` script to make it{which}: the image would not start; add a `build` \
         script that writes it (`\"build\": \"npm run build:production\"`)"
    ))
}

/// The port a framework's own server listens on when the script names none: `next start`,
/// `remix-serve`, `react-router-serve` (3000, or what `-p`/`--port` says), which also read
/// `PORT`, as the image then sets it.
fn server_default_port(line: &str) -> Option<u16> {
    let (program, arguments) = program(line)?;
    let serves = match program.as_str() {
        "next" => arguments.first().is_some_and(|a| a == "start"),
        "remix-serve" | "react-router-serve" => true,
        _ => false,
    };
    if !serves {
        return None;
    }
    let named = arguments
        .iter()
        .enumerate()
        .find_map(|(i, a)| match a.as_str() {
            "-p" | "--port" => arguments.get(i + 1)?.parse().ok(),
            _ => a.strip_prefix("--port=")?.parse().ok(),
        });
    Some(named.unwrap_or(NEXT_PORT))
}

/// The program a script line runs and its arguments: `NODE_ENV=production node x.js` runs
/// node, after the assignments.
fn program(line: &str) -> Option<(String, Vec<String>)> {
    let mut words = line.split_whitespace().skip_while(|w| w.contains('='));
    let program = words.next()?.to_string();
    Some((program, words.map(str::to_string).collect()))
}

/// A script line with `npm run x`, `npm start`, `yarn x` and `pnpm [run] x` replaced by the
/// script they run (three deep at most), so the image runs the app and not a package manager.
fn resolve_script(package: &PackageJson, line: &str) -> String {
    let mut line = line.trim().to_string();
    for _ in 0..3 {
        let words: Vec<&str> = line.split_whitespace().collect();
        let target = match words.as_slice() {
            ["npm", "start"] | ["yarn", "start"] | ["pnpm", "start"] => Some("start"),
            ["npm" | "pnpm" | "yarn", "run", name] | ["yarn" | "pnpm", name] => Some(*name),
            _ => None,
        };
        match target.and_then(|name| package.scripts.get(name)) {
            Some(next) => line = next.trim().to_string(),
            None => break,
        }
    }
    line
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
            if matches!(*path, "package.json" | "pnpm-workspace.yaml" | ".npmrc") {
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
    fn a_start_file_no_build_makes_is_named() {
        let package = PackageJson::parse(
            r#"{"scripts": {"start": "node dist/apps/api/main", "build:production": "nx run-many"}}"#,
        )
        .unwrap();
        let command = strings(&["node", "dist/apps/api/main"]);
        let warning = unbuilt_entry(
            &package,
            &command,
            &["package.json", "apps/api/src/main.ts"],
        );
        assert!(warning.is_some_and(
            |w| w.contains("`dist/apps/api/main`") && w.contains("`build:production`")
        ));
        let shipped = ["package.json", "dist/apps/api/main.js"];
        assert_eq!(unbuilt_entry(&package, &command, &shipped), None);
        let server = strings(&["node", "--enable-source-maps", "/app/server.js"]);
        assert_eq!(unbuilt_entry(&package, &server, &["server.js"]), None);
    }

    #[test]
    fn framework_servers_listen_on_their_default_port_unless_the_script_names_one() {
        assert_eq!(server_default_port("next start"), Some(3000));
        assert_eq!(server_default_port("next start -p 4000"), Some(4000));
        assert_eq!(
            server_default_port("NODE_ENV=production next start --port=5050"),
            Some(5050)
        );
        assert_eq!(
            server_default_port("remix-serve ./build/server/index.js"),
            Some(3000)
        );
        assert_eq!(server_default_port("next dev"), None);
        assert_eq!(server_default_port("node server.js"), None);
    }

    #[test]
    fn an_npmrc_of_settings_reaches_the_install_and_one_with_credentials_does_not() {
        let package = r#"{"dependencies": {"express": "5"}, "scripts": {"start": "node app.js"}}"#;
        let copied = |npmrc: &str| {
            let plan = plan_of(
                SPEC,
                &[
                    ("package.json", package),
                    ("package-lock.json", ""),
                    (".npmrc", npmrc),
                    ("app.js", ""),
                ],
            )
            .unwrap();
            let copy = plan.stages[0]
                .steps
                .iter()
                .find_map(|s| match s {
                    Step::CopyContext { files, .. } => Some(files.clone()),
                    _ => None,
                })
                .unwrap();
            let npmrc = copy
                .rules
                .iter()
                .any(|r| r.pattern == ".npmrc" && r.selects);
            (npmrc, plan.warnings)
        };
        assert_eq!(
            copied("legacy-peer-deps=true\n@corp:registry=https://npm.corp.example/\n"),
            (true, vec![])
        );
        for credential in [
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
            "legacy-peer-deps=true\n//npm.corp.example/:_password=c2VjcmV0\n",
            "registry=https://${NPM_USER}@npm.corp.example/\n",
        ] {
            let (copied, warnings) = copied(credential);
            assert!(!copied, "{credential}");
            assert!(
                warnings[0].contains("declare it under `secrets:`"),
                "{warnings:?}"
            );
        }
    }

    #[test]
    fn start_scripts_are_followed_to_the_command_they_run() {
        let package = PackageJson::parse(
            r#"{"scripts": {"start": "npm run serve", "serve": "node dist/server.js",
                "dev": "nest start --watch", "start:prod": "node dist/main"}}"#,
        )
        .unwrap();
        assert_eq!(resolve_script(&package, "npm start"), "node dist/server.js");
        assert_eq!(
            resolve_script(&package, "yarn serve"),
            "node dist/server.js"
        );
        let nest = PackageJson::parse(
            r#"{"scripts": {"start": "nest start", "start:prod": "node dist/main"}}"#,
        )
        .unwrap();
        let start =
            generic_start(&crate::spec::parse(SPEC.as_bytes()).unwrap(), &nest, &[]).unwrap();
        assert_eq!(start.command, ["node", "dist/main"]);
        assert_eq!(start.why, "package.json `start:prod` script");
    }

    #[test]
    fn a_start_script_running_a_dev_dependency_is_replaced_or_refused() {
        let spec = crate::spec::parse(SPEC.as_bytes()).unwrap();
        let start =
            |manifest: &str| generic_start(&spec, &PackageJson::parse(manifest).unwrap(), &[]);
        // nodemon on one file is node on that file.
        let nodemon = start(
            r#"{"scripts": {"start": "nodemon server.js"}, "devDependencies": {"nodemon": "3"}}"#,
        )
        .unwrap();
        assert_eq!(nodemon.command, ["node", "server.js"]);
        // A start:prod script is preferred to a dev tool.
        let prod = start(
            r#"{"scripts": {"start": "nx serve", "start:prod": "node dist/api"}, "devDependencies": {"nx": "19"}}"#,
        )
        .unwrap();
        assert_eq!(prod.command, ["node", "dist/api"]);
        // Otherwise the plan asks for a command, naming the tool.
        let err = start(r#"{"scripts": {"start": "nx serve"}, "devDependencies": {"nx": "19"}}"#)
            .unwrap_err()
            .render("strata.yaml", "");
        assert!(err.contains("runs `nx`, a dev dependency"), "{err}");
        assert!(err.contains("start:prod"), "{err}");
        // A tool the runtime installs (`next` in dependencies) is fine.
        let next = start(
            r#"{"scripts": {"start": "next start"}, "dependencies": {"next": "15"}, "devDependencies": {"next": "15"}}"#,
        )
        .unwrap();
        assert_eq!(next.command, ["next", "start"]);
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
            "[strata deps] corepack prepare pnpm@9.15.9"
        );
        let deps = &plan.stage(StageName::Deps).unwrap().steps;
        assert!(
            deps.iter().any(|step| matches!(step, Step::Run(run)
                if run.argv.last().is_some_and(|script| script.contains(DEFAULT_PNPM)))),
            "corepack is not given the default with its hash"
        );
        assert!(
            plan.warnings[0].contains("no `packageManager`"),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn several_lockfiles_or_yarn_berry_are_refused_and_none_installs_unlocked() {
        let both = [
            ("package.json", "{}"),
            ("package-lock.json", ""),
            ("yarn.lock", ""),
            ("index.js", ""),
        ];
        let err = plan_of(SPEC, &both).unwrap_err();
        assert!(err.contains("several lockfiles"), "{err}");
        // No lockfile at all is npm resolving package.json, with a warning.
        let unlocked = plan_of(
            SPEC,
            &[
                ("package.json", r#"{"dependencies": {"x": "1"}}"#),
                ("index.js", ""),
            ],
        )
        .unwrap();
        assert!(
            unlocked
                .warnings
                .iter()
                .any(|w| w.contains("no package-lock.json")),
            "{:?}",
            unlocked.warnings
        );
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
            files.include_patterns(),
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
    #[test]
    fn an_app_with_no_dependencies_needs_no_lockfile_and_installs_nothing() {
        let plan = plan_of(
            SPEC,
            &[
                (
                    "package.json",
                    r#"{"main": "index.js", "scripts": {"start": "node index.js"}}"#,
                ),
                ("index.js", ""),
            ],
        )
        .unwrap();
        assert!(plan.stage(StageName::Deps).unwrap().steps.is_empty());
        let runtime = plan.stage(StageName::Runtime).unwrap();
        assert_eq!(runtime.steps.len(), 1, "{runtime:?}");
        assert_eq!(plan.image.entrypoint, ["node", "index.js"]);
    }

    #[test]
    fn a_bundled_front_end_without_a_server_is_served_as_a_static_site() {
        for (manifest, site) in [
            (
                r#"{"scripts": {"dev": "vite", "build": "vite build"}, "devDependencies": {"vite": "7"}}"#,
                "dist",
            ),
            (
                r#"{"scripts": {"start": "react-scripts start", "build": "react-scripts build"}, "dependencies": {"react-scripts": "5"}}"#,
                "build",
            ),
        ] {
            let plan = plan_of(
                SPEC,
                &[("package.json", manifest), ("package-lock.json", "")],
            )
            .unwrap();
            assert_eq!(
                plan.image.entrypoint,
                ["/app/strata", "serve", "/app/site"],
                "{manifest}"
            );
            assert_eq!(plan.image.user, "65532:65532", "{manifest}");
            assert_eq!(plan.image.ports, ["8080/tcp"], "{manifest}");
            let Step::Run(build) = &plan.stage(StageName::Build).unwrap().steps[1] else {
                panic!("the build runs the build script")
            };
            assert!(
                build.argv[2].contains(&format!("cp -a {site}/. /out")),
                "{}",
                build.argv[2]
            );
        }
        let server = r#"{"scripts": {"build": "vite build", "start": "node server.js"}, "devDependencies": {"vite": "7"}}"#;
        let plan = plan_of(SPEC, &[("package.json", server), ("package-lock.json", "")]).unwrap();
        assert_eq!(plan.image.entrypoint, ["node", "server.js"]);
    }
}
