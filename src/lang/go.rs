//! Go: `go mod download` from go.mod/go.sum only, `go build` from the packages the binary is
//! built from (and the files they embed), and a static binary on a distroless-style base.

mod embeds;
mod packages;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use super::context::join;
use super::inputs::{Reference, Sources, readable_at_run_time, runtime_files};
use super::stages::{Command, Stages, copy_lockfiles};
use super::toolchain::{self, Demand, Requirement, parse_release};
use super::{
    ContextFiles, Probe, Provider, binary_runtime, image_base, network, require_named_lockfiles,
    strings,
};
use crate::plan::{
    Base, CacheSharing, ContextSelection, ImageRole, Mount, Network, Plan, Step, TargetPart,
    shell_quote,
};
use crate::spec::{Diagnostic, Diagnostics, Language, Location, RuntimeBase, Spec};

pub struct Go;

/// Where the dependency step downloads to: a cache mount that outlives builds, so a
/// dependency change fetches only the new modules.
const DOWNLOAD_CACHE: &str = "/var/cache/strata/go-mod";
/// Where the dependency layer keeps the modules: a real layer, so `--cache-to` exports it
/// (cache-mount contents are never exported: moby/buildkit#1474).
const LAYER_MODCACHE: &str = "/go/pkg/mod";
const BUILD_CACHE: &str = "/root/.cache/go-build";
/// The build cache the imported packages are compiled into, in a layer of the build stage: the
/// compile step's cache mount starts as it.
const LAYER_BUILD_CACHE: &str = "/build/go-build";
const SRC: &str = "/src";
const OUT: &str = "/out";

/// The variables that tell the go tool the target platform.
const TARGET_ENV: [(&str, TargetPart); 3] = [
    ("GOOS", TargetPart::Os),
    ("GOARCH", TargetPart::Architecture),
    ("GOARM", TargetPart::ArmVersion),
];
/// The files of a package directory the go tool compiles with cgo off, and with it on.
const PACKAGE_FILES: &[&str] = &["*.go", "*.s", "*.syso"];
const CGO_FILES: &[&str] = &[
    "*.c",
    "*.h",
    "*.cc",
    "*.cpp",
    "*.cxx",
    "*.hh",
    "*.hpp",
    "*.hxx",
    "*.m",
    "*.S",
    "*.sx",
    "*.f",
    "*.F",
    "*.for",
    "*.f90",
    "*.swig",
    "*.swigcxx",
];
/// What a Go program never reads at run time from its working directory: it is compiled in.
const NOT_READ_AT_RUN_TIME: &[&str] = &[
    "**/*.go",
    "**/go.mod",
    "**/go.sum",
    "go.work",
    "go.work.sum",
];
/// What only `go test` reads.
const GO_TESTS: [&str; 2] = ["**/*_test.go", "**/testdata"];
/// The module files the build resolves imports with.
const MODULE_FILES: &[&str] = &[
    "go.mod",
    "go.sum",
    "**/go.mod",
    "**/go.sum",
    "go.work",
    "go.work.sum",
];

impl Provider for Go {
    fn language(&self) -> Language {
        Language::Go
    }

    fn probe(&self) -> Probe {
        Probe {
            never: Vec::new(),
            // Every go.mod for the local modules' paths, and the Go files for their imports and
            // embeds (not the vendored ones): the compile step's inputs are the packages the
            // binary is built from.
            read: strings(&["**/go.mod", "**/*.go", "!vendor", "!**/testdata"]),
        }
    }

    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool {
        files.contains(&join(app_dir, "go.mod"))
    }

    fn contacts(&self, spec: &Spec) -> Vec<String> {
        // Go's defaults. `direct` (and a private module) means each module's own VCS host,
        // which only the module path names: not listed here.
        let proxy = spec
            .go
            .proxy
            .as_deref()
            .unwrap_or("https://proxy.golang.org,direct");
        let mut urls: Vec<String> = proxy
            .split([',', '|'])
            .map(str::trim)
            .filter(|p| p.starts_with("https://") || p.starts_with("http://"))
            .map(String::from)
            .collect();
        // GOSUMDB is `off`, `name`, `name+key`, or `name+key url`.
        let sumdb = spec.go.sumdb.as_deref().unwrap_or("sum.golang.org");
        if sumdb != "off" {
            urls.push(match sumdb.split_whitespace().nth(1) {
                Some(url) => url.to_string(),
                None => format!("https://{}", sumdb.split('+').next().unwrap_or(sumdb)),
            });
        }
        urls
    }

    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
        let dir = spec.path.value.as_str();
        let go_mod = files.text(dir, "go.mod").ok_or_else(|| {
            Diagnostic::at(spec.path.location, format!("there is no go.mod in `{dir}`")).with_hint(
                "run `go mod init <module>` there, or set `path:` to the module's directory",
            )
        })?;
        let module = GoMod::parse(go_mod).map_err(|(at, message)| {
            Diagnostic::in_file(&join(dir, "go.mod"), go_mod, at, message).with_hint(
                "`go mod tidy` reports the same; go.mod must be valid before any build step",
            )
        })?;
        let local: Vec<&str> = files.under(dir).collect();
        let main = main_package(spec, files, &local)?;
        let closure = build_packages(dir, &main, files, &local, &spec.build.tags);
        // A binary that needs cgo builds as if the spec said so: go-sqlite3 compiles with cgo
        // off and fails only when the app opens its database, and go build leaves out a
        // package's files that import "C".
        let needs_cgo = needs_cgo(go_mod) || closure.as_ref().is_some_and(|c| c.cgo);
        let with_cgo;
        let spec = match needs_cgo && !spec.build.env.contains_key("CGO_ENABLED") {
            true => {
                with_cgo = {
                    let mut spec = spec.clone();
                    let cgo = ("CGO_ENABLED".to_string(), "1".to_string());
                    spec.build.env.extend([cgo]);
                    spec
                };
                &with_cgo
            }
            false => spec,
        };
        let vendored = local.contains(&"vendor/modules.txt");
        let app = binary_name(&main, &module);
        let mut warnings = Vec::new();
        let (sources, runtime_files, imports) =
            inputs(spec, files, &local, closure, vendored, &mut warnings);
        // A vendored module's packages compile from vendor/, which is a source input.
        let imported = imports.filter(|imports| !vendored && !imports.is_empty());
        let (runtime, image) = binary_runtime(spec, &app, runtime_files, &mut warnings);
        let (builder, toolchain) =
            toolchain::builder(spec, ImageRole::GoBuilder, "Go", &module.demands())?;
        Ok(Stages {
            language: Language::Go,
            builder,
            toolchain: Some(toolchain),
            // A vendored module downloads nothing.
            deps: match vendored {
                true => Vec::new(),
                false => download_steps(spec, &lockfiles(spec, files, &local)?),
            },
            build: imported
                .iter()
                .map(|imports| imported_packages_step(spec, imports))
                .chain([compile_step(
                    spec,
                    &app,
                    &main,
                    sources,
                    vendored,
                    imported.is_some(),
                )])
                .collect(),
            build_output: Some(OUT),
            // Go cross-compiles anything to anything with CGO off: build natively, never
            // emulate. With cgo, the C compiler is the host's: the target's builder runs it.
            cross_compile: (!cgo_enabled(spec)).then(|| {
                TARGET_ENV
                    .iter()
                    .map(|(name, part)| (name.to_string(), *part))
                    .collect()
            }),
            runtime_base: runtime_base(spec),
            runtime,
            image,
            warnings,
            app,
        }
        .into_plan(spec))
    }
}

/// `go mod download` of exactly the lockfiles: first into the cache mount (network, only what is
/// new), then the layer filled from that cache through Go's file-proxy layout (no network), so
/// the layer is exportable and a dependency change is cheap. GOPRIVATE is emptied for the second
/// pass, or Go would fetch private modules from git again.
fn download_steps(spec: &Spec, lockfiles: &[String]) -> Vec<Step> {
    let listed = lockfiles.join(", ");
    let mut env = BTreeMap::from([
        ("GOTOOLCHAIN".to_string(), "local".to_string()),
        ("GOMODCACHE".to_string(), DOWNLOAD_CACHE.to_string()),
    ]);
    for (key, value) in [
        ("GOPROXY", &spec.go.proxy),
        ("GOSUMDB", &spec.go.sumdb),
        ("GOPRIVATE", &spec.go.private),
        ("GONOSUMDB", &spec.go.nosumdb),
        ("GOFLAGS", &spec.go.flags),
    ] {
        if let Some(value) = value {
            env.insert(key.to_string(), value.clone());
        }
    }
    let script = format!(
        "go mod download && GOMODCACHE={LAYER_MODCACHE} GOPROXY=file://{DOWNLOAD_CACHE}/cache/download GOPRIVATE= GONOPROXY= GOSUMDB=off GOFLAGS=-mod=mod go mod download"
    );
    vec![
        copy_lockfiles(spec, lockfiles, SRC, ""),
        Command::shell(
            format!("[strata deps] go mod download ({listed})"),
            script,
            SRC,
        )
        .env(env)
        .mount(Mount::Cache {
            target: DOWNLOAD_CACHE.to_string(),
            id: format!("strata/{}/go-mod", spec.cache_namespace),
            // Go locks its module cache itself; concurrent builds may share it.
            sharing: CacheSharing::Shared,
            starts_from: None,
        })
        .downloads(spec, network(spec.network.deps, Network::Default)),
    ]
}

/// What `go build` sees (see [`sources`]) and what the binary reads at run time: both start
/// from the Go files of the packages the binary is built from.
fn inputs(
    spec: &Spec,
    files: &ContextFiles,
    local: &[&str],
    closure: Option<packages::Closure>,
    vendored: bool,
    warnings: &mut Vec<String>,
) -> (
    ContextSelection,
    Option<ContextSelection>,
    Option<BTreeSet<String>>,
) {
    let dir = spec.path.value.as_str();
    let packages = closure.as_ref().map(|c| &c.dirs);
    let program: Vec<(&str, &str)> = local
        .iter()
        .filter(|p| is_build_source(p))
        .filter(|p| packages.is_none_or(|set| set.contains(parent(p))))
        .filter_map(|p| Some((*p, files.text(dir, p)?)))
        .filter(|(_, text)| !packages::left_out_by_constraint(text, &spec.build.tags))
        .collect();
    let embeds: Vec<Reference> = program
        .iter()
        .flat_map(|(path, text)| embeds::embedded(path, text))
        .collect();
    let readable = readable_at_run_time(spec, NOT_READ_AT_RUN_TIME, GO_TESTS);
    let runtime_files = runtime_files(spec, &program, local, &embeds, &readable);
    let sources = sources(spec, files, local, packages, vendored, embeds, warnings);
    (sources, runtime_files, closure.map(|c| c.external))
}

/// What `go build` sees: the packages the binary is built from (every Go package when they
/// cannot be told), the module files, `vendor/` when vendored, and what those packages embed.
fn sources(
    spec: &Spec,
    files: &ContextFiles,
    local: &[&str],
    packages: Option<&BTreeSet<String>>,
    vendored: bool,
    embeds: Vec<Reference>,
    warnings: &mut Vec<String>,
) -> ContextSelection {
    let cgo = cgo_enabled(spec);
    let kinds: Vec<&str> = PACKAGE_FILES
        .iter()
        .chain(if cgo { CGO_FILES } else { &[] })
        .copied()
        .collect();
    let mut sources = Sources::empty(spec);
    match packages {
        Some(packages) => {
            for package in packages {
                sources.take(
                    kinds.iter().map(|k| join(package, k)),
                    "a package the binary imports",
                );
            }
        }
        None => sources.take(kinds.iter().map(|k| format!("**/{k}")), "Go sources"),
    }
    sources.take(MODULE_FILES, "module files");
    if vendored {
        sources.take(["vendor"], "vendored modules");
    }
    sources.leave_out(GO_TESTS, "tests");
    for missing in sources.name(local, embeds) {
        warnings.push(format!(
            "{}: `{}` matches no file in the build context{}: go build will fail",
            missing.why,
            missing.path,
            files.ignore_hint()
        ));
    }
    sources.finish(spec)
}

/// The packages the binary imports from the standard library and its dependencies, compiled
/// (with the compile step's flags, for the target) into a layer before the binary: the compile
/// step's build cache starts as that layer, so a CI runner that imports the exported cache
/// compiles only the app's own packages, where a cache mount alone would start empty there
/// (moby/buildkit#1474). Its inputs are go.mod, go.sum and the import list, not the sources: an
/// edit that imports nothing new keeps it. A package that does not compile here (one a local
/// replace provides) is left to the compile step, which reports real errors.
fn imported_packages_step(spec: &Spec, imports: &BTreeSet<String>) -> Step {
    let quoted: Vec<String> = imports.iter().map(|i| shell_quote(i)).collect();
    let flags = go_flags(spec).join(" ");
    // One `go build` of them all; only when one does not load (a build tag, a package the
    // module graph lacks) does `go list` pick those that do, since listing first costs every
    // build a second `go` run over the whole graph.
    let packages = quoted.join(" ");
    let script = format!(
        "go build {flags} {packages} 2>/dev/null || \
         {{ pkgs=$(go list -e {flags} -f '{{{{if not .Error}}}}{{{{.ImportPath}}}}{{{{end}}}}' {packages}) && go build {flags} $pkgs; }} || \
         echo 'strata: not every imported package compiled here; the compile step compiles the rest'"
    );
    let command = Command::shell(
        format!(
            "[strata build] go build: the {} the binary imports from the standard library and its dependencies",
            match imports.len() {
                1 => "1 package".to_string(),
                n => format!("{n} packages"),
            }
        ),
        script,
        SRC,
    );
    with_build_env(command, spec, false, LAYER_BUILD_CACHE).offline(spec)
}

/// The variables every `go build` of the build stage runs with: offline from the dependency
/// layer (or `vendor/`), static unless the spec says otherwise, the build cache at `cache`.
fn with_build_env(command: Command, spec: &Spec, vendored: bool, cache: &str) -> Command {
    // Everything was downloaded in the deps stage; fail loudly instead of fetching.
    let module_mode = if vendored {
        [("GOFLAGS", "-mod=vendor")].as_slice()
    } else {
        [("GOPROXY", "off"), ("GOFLAGS", "-mod=readonly")].as_slice()
    };
    command
        .env([
            ("CGO_ENABLED", "0"),
            ("GOTOOLCHAIN", "local"),
            ("GOMODCACHE", LAYER_MODCACHE),
            ("GOCACHE", cache),
        ])
        .env(module_mode.iter().copied())
        .env(spec.build.env.clone())
}

/// `go build` of the main package into the output mount, with the build cache mounted: it
/// starts as the imported packages' layer when there is one.
fn compile_step(
    spec: &Spec,
    app: &str,
    main: &str,
    sources: ContextSelection,
    vendored: bool,
    warmed: bool,
) -> Step {
    let command = Command::exec(
        format!("[strata build] go build {} -> {app}", main_argument(main)),
        go_build(spec, app, main),
        SRC,
    );
    with_build_env(command, spec, vendored, BUILD_CACHE)
        .mount(Mount::Context {
            target: SRC.to_string(),
            files: sources,
            writable: false,
        })
        .mount(Mount::Cache {
            target: BUILD_CACHE.to_string(),
            id: format!("strata/{}/go-build", spec.cache_namespace),
            // Go's build cache is safe for concurrent use.
            sharing: CacheSharing::Shared,
            starts_from: warmed.then(|| LAYER_BUILD_CACHE.to_string()),
        })
        .mount(Mount::Output {
            target: OUT.to_string(),
        })
        .offline(spec)
}

/// The flags that change how packages compile (not how the binary links): the compile step's
/// and the imported packages' must agree, or the build cache would not serve one to the other.
fn go_flags(spec: &Spec) -> Vec<String> {
    let mut flags = strings(&["-trimpath"]);
    if !spec.build.tags.is_empty() {
        flags.push(format!("-tags={}", spec.build.tags.join(",")));
    }
    flags
}

/// `go build -trimpath` with the spec's linker flags and tags, into the output directory.
fn go_build(spec: &Spec, app: &str, main: &str) -> Vec<String> {
    let mut ldflags = "-s -w".to_string();
    if let Some(extra) = &spec.build.ldflags {
        ldflags.push(' ');
        ldflags.push_str(extra);
    }
    let mut argv = strings(&["go", "build"]);
    argv.extend(go_flags(spec));
    argv.push(format!("-ldflags={ldflags}"));
    argv.extend([
        "-o".to_string(),
        format!("{OUT}/{app}"),
        main_argument(main),
    ]);
    argv
}

/// Whether the build runs with cgo (the spec's `CGO_ENABLED=1`, written or implied).
fn cgo_enabled(spec: &Spec) -> bool {
    spec.build.env.get("CGO_ENABLED").is_some_and(|v| v == "1")
}

/// Modules whose packages compile only with cgo: the module needs it when go.mod requires one.
const CGO_MODULES: &[&str] = &["github.com/mattn/go-sqlite3"];

fn needs_cgo(go_mod: &str) -> bool {
    go_mod.lines().any(|line| {
        let line = line.trim().trim_start_matches("require").trim();
        line.split_whitespace()
            .next()
            .is_some_and(|module| CGO_MODULES.contains(&module))
    })
}

/// The runtime image: a cgo binary links the C library dynamically, which the static base
/// lacks, so `static` gives it the slim one.
fn runtime_base(spec: &Spec) -> Base {
    match &spec.runtime.value {
        RuntimeBase::Static if cgo_enabled(spec) => image_base(ImageRole::RuntimeSlim),
        RuntimeBase::Static => image_base(ImageRole::RuntimeStatic),
        RuntimeBase::Slim => image_base(ImageRole::RuntimeSlim),
        RuntimeBase::Scratch => Base::Scratch,
        RuntimeBase::Image(reference) => Base::Image {
            reference: reference.clone(),
        },
    }
}

/// The `go` line's forms that golang.org/x/mod/modfile accepts.
static GO_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[1-9][0-9]*\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$")
        .expect("a valid pattern")
});

/// The facts strata reads from go.mod.
struct GoMod {
    module: Option<String>,
    /// The toolchain versions it asks for: the `go` line (the oldest Go that may build the
    /// module) and the `toolchain` line (the Go its authors build with), as written.
    versions: Vec<(&'static str, String)>,
}

impl GoMod {
    /// Reads go.mod, refusing what `go mod download` would refuse halfway through a build: a
    /// `go` or `toolchain` line that is not a version, and a block left open. The error is a
    /// place in go.mod and what is wrong there.
    fn parse(text: &str) -> Result<GoMod, (Location, String)> {
        let mut parsed = GoMod {
            module: None,
            versions: Vec::new(),
        };
        let mut open_block = None;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split("//").next().unwrap_or_default().trim();
            let at = |word: &str| Location {
                line: index + 1,
                column: raw[..raw.find(word).unwrap_or(0)].chars().count() + 1,
            };
            if open_block.is_some() {
                if line == ")" {
                    open_block = None;
                }
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(directive), rest) = (words.next(), words.next()) else {
                continue;
            };
            match (directive, rest) {
                (_, Some("(")) => open_block = Some((at(directive), directive.to_string())),
                ("module", Some(path)) => parsed.module = Some(path.trim_matches('"').to_string()),
                ("go", Some(version)) if !GO_VERSION.is_match(version) => {
                    return Err((
                        at(version),
                        format!("`go {version}` is not a Go version (`go 1.24`, `go 1.24.2`)"),
                    ));
                }
                ("toolchain", Some(name)) if name != "default" && !name.starts_with("go1") => {
                    return Err((
                        at(name),
                        format!("`toolchain {name}` is not a Go toolchain (`toolchain go1.24.2`)"),
                    ));
                }
                ("go" | "toolchain", Some(version)) => {
                    let directive = if directive == "go" { "go" } else { "toolchain" };
                    parsed.versions.push((directive, version.to_string()));
                }
                _ => {}
            }
        }
        match open_block {
            Some((at, directive)) => Err((
                at,
                format!("the `{directive} (` block is never closed with `)`"),
            )),
            None => Ok(parsed),
        }
    }

    /// Both lines are minimums: Go builds any older module, and with `GOTOOLCHAIN=local` it
    /// never fetches the `toolchain` it names, so the image must have it (a `go1.25.3`
    /// toolchain line allows Go 1.25, whose latest patch is at least that).
    fn demands(&self) -> Vec<Demand> {
        self.versions
            .iter()
            .filter_map(|(directive, version)| {
                let release = parse_release(version.trim_start_matches("go")).ok()?;
                Some(Demand::allows(
                    format!("go.mod `{directive} {version}`"),
                    Requirement::at_least(release),
                ))
            })
            .collect()
    }
}

/// The directories of the packages the binary is built from (see `packages`), relative to
/// the app directory; `None` when they cannot be told, and every Go file is an input.
fn build_packages(
    dir: &str,
    main: &str,
    files: &ContextFiles,
    local: &[&str],
    tags: &[String],
) -> Option<packages::Closure> {
    let text = |path: &str| files.contents.get(&join(dir, path)).map(String::as_str);
    let mut modules = BTreeMap::new();
    for path in local
        .iter()
        .filter(|p| p.rsplit('/').next() == Some("go.mod"))
    {
        // A go.mod naming no module (an empty one that keeps a directory out of the main
        // module) is a boundary nothing imports through.
        if let Some(module) = GoMod::parse(text(path)?).ok()?.module {
            modules.insert(module, parent(path).to_string());
        }
    }
    let sources: BTreeMap<&str, &str> = local
        .iter()
        .filter(|p| is_build_source(p))
        .map(|p| Some((*p, text(p)?)))
        .collect::<Option<_>>()?;
    packages::local_closure(main, &sources, &modules, tags)
}

/// The dependency inputs, relative to the app directory: the spec's lockfiles, or go.mod,
/// go.sum, go.work(.sum) and every nested module's go.mod/go.sum.
fn lockfiles(
    spec: &Spec,
    files: &ContextFiles,
    local: &[&str],
) -> Result<Vec<String>, Diagnostics> {
    if let Some(named) = &spec.lockfiles {
        require_named_lockfiles(
            spec,
            files,
            "check the name, or run `go mod tidy` to create go.sum",
        )?;
        let mut out: Vec<String> = named.iter().map(|l| l.value.clone()).collect();
        if !out.iter().any(|l| l == "go.mod") {
            out.insert(0, "go.mod".to_string());
        }
        return Ok(out);
    }
    let mut found: BTreeSet<String> = BTreeSet::new();
    for path in local {
        let name = path.rsplit('/').next().unwrap_or(path);
        if matches!(name, "go.mod" | "go.sum") || matches!(*path, "go.work" | "go.work.sum") {
            found.insert(path.to_string());
        }
    }
    // go.mod first, then the rest in path order: this is also the order users read them in.
    let mut out = vec!["go.mod".to_string()];
    out.extend(found.into_iter().filter(|f| f != "go.mod"));
    Ok(out)
}

/// The main package directory relative to the app dir: the spec's `build.main`; the module
/// root when it is a `package main` (or its package cannot be read); else the one main
/// package under cmd/, or the one top-level directory that is one, beside examples, tests and
/// `_`-prefixed directories (a library at the root with its command elsewhere: caddy's
/// cmd/caddy, remark42's app).
fn main_package(spec: &Spec, files: &ContextFiles, local: &[&str]) -> Result<String, Diagnostics> {
    if let Some(main) = &spec.build.main {
        let has_go = local
            .iter()
            .any(|p| is_build_source(p) && parent(p) == main.value.as_str());
        if !has_go {
            return Err(Diagnostic::at(
                main.location,
                format!("`main: {}` has no Go files", main.value),
            )
            .with_hint("point `build.main` at the directory of the `package main` to build")
            .into());
        }
        return Ok(main.value.clone());
    }
    let dir = spec.path.value.as_str();
    let mut packages: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for path in local.iter().filter(|p| is_build_source(p)) {
        let package = files.text(dir, path).and_then(packages::package_name);
        let names = packages.entry(parent(path)).or_default();
        names.extend(package);
    }
    let is_main = |d: &str| packages.get(d).is_some_and(|names| names.contains("main"));
    let root = packages.get(".");
    if root.is_some_and(|names| names.is_empty() || names.contains("main")) {
        return Ok(".".to_string());
    }
    let mains: Vec<&str> = packages.keys().copied().filter(|d| is_main(d)).collect();
    // Beside cmd/, only a top-level directory is taken for the app (remark42's `app`): a deeper
    // main is as often a generator or an internal tool as the command.
    let the_app = |d: &&str| {
        !super::beside_the_app(&format!("{d}/main.go"))
            && !d.starts_with(['_', '.'])
            && !d.contains('/')
    };
    let commands: Vec<&str> = mains
        .iter()
        .copied()
        .filter(|d| d.starts_with("cmd/") && d.matches('/').count() == 1)
        .collect();
    let apps: Vec<&str> = mains.iter().copied().filter(the_app).collect();
    match (commands.as_slice(), apps.as_slice()) {
        ([one], _) | ([], [one]) => return Ok(one.to_string()),
        _ => {}
    }
    let candidates: Vec<&str> = match (commands.is_empty(), apps.is_empty()) {
        (false, _) => commands,
        (true, false) => apps,
        (true, true) if !mains.is_empty() => mains,
        (true, true) => packages.keys().copied().take(8).collect(),
    };
    let library = root
        .and_then(|names| names.first())
        .map_or(String::new(), |name| {
            format!(" (the module root is `package {name}`, a library)")
        });
    Err(Diagnostic::at(
        spec.path.location,
        format!("cannot tell which package to build{library}"),
    )
    .with_hint(format!(
        "set `build.main` to one of: {}",
        if candidates.is_empty() {
            "(no Go files found)".to_string()
        } else {
            candidates.join(", ")
        }
    ))
    .into())
}

fn is_build_source(path: &str) -> bool {
    path.ends_with(".go") && !path.ends_with("_test.go") && !path.starts_with("vendor/")
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

fn main_argument(main: &str) -> String {
    if main == "." {
        ".".to_string()
    } else {
        format!("./{main}")
    }
}

fn binary_name(main: &str, module: &GoMod) -> String {
    let from_path = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let name = if main == "." {
        module
            .module
            .as_deref()
            .map(from_path)
            .unwrap_or_else(|| "app".to_string())
    } else {
        from_path(main)
    };
    // A major-version suffix (`example.com/tool/v2`) is not the program's name.
    if name.len() > 1 && name.starts_with('v') && name[1..].chars().all(|c| c.is_ascii_digit()) {
        if let Some(module) = &module.module {
            let mut parts = module.rsplit('/');
            parts.next();
            if let Some(previous) = parts.next() {
                return previous.to_string();
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_go_mod_that_go_would_refuse_is_refused_at_its_place() {
        let refused = |text: &str| GoMod::parse(text).err().expect("refused");
        let (at, message) = refused("module example.com/app\n\ngo 1.2x\n");
        assert_eq!((at.line, at.column), (3, 4));
        assert!(
            message.contains("`go 1.2x` is not a Go version"),
            "{message}"
        );
        let (at, message) = refused("module m\ngo 1.24\nrequire (\n\tgithub.com/x/y v1.0.0\n");
        assert_eq!((at.line, at.column), (3, 1));
        assert!(
            message.contains("`require (` block is never closed"),
            "{message}"
        );
        let (at, _) = refused("module m\ngo 1.24\ntoolchain 1.24.2\n");
        assert_eq!((at.line, at.column), (3, 11));
        for fine in ["go 1.24", "go 1.24.2", "go 1.21rc1", "go 1.24 // comment"] {
            let text =
                format!("module m\n{fine}\nrequire (\n\tx.org/y v1.0.0\n)\ntoolchain go1.25.1\n");
            let parsed = GoMod::parse(&text).unwrap_or_else(|e| panic!("{fine}: {e:?}"));
            assert_eq!(parsed.module.as_deref(), Some("m"));
            assert_eq!(parsed.versions.len(), 2, "{fine}");
        }
    }

    /// A listing of these paths with these contents.
    fn context_of(files: &[(&str, &str)]) -> ContextFiles {
        let mut context = ContextFiles::default();
        for (path, contents) in files {
            context.paths.insert(path.to_string());
            context
                .contents
                .insert(path.to_string(), contents.to_string());
        }
        context
    }

    fn plan_of(files: &[(&str, &str)]) -> Plan {
        let spec = crate::spec::parse(b"version: 1\nlanguage: go\n").expect("a valid spec");
        Go.plan(&spec, &context_of(files))
            .unwrap_or_else(|d| panic!("{}", d.render("strata.yaml", "")))
    }

    #[test]
    fn a_module_requiring_go_sqlite3_builds_with_cgo_on_a_base_with_the_c_library() {
        let main = "package main\nimport _ \"github.com/mattn/go-sqlite3\"\nfunc main() {}\n";
        let go_mod = "module example.com/notes\n\ngo 1.24\n\nrequire (\n\
                      \tgithub.com/mattn/go-sqlite3 v1.14.24\n)\n";
        let plan = plan_of(&[("go.mod", go_mod), ("go.sum", ""), ("main.go", main)]);
        let compile = build_runs(&plan).last().copied().unwrap();
        assert_eq!(
            compile.env.get("CGO_ENABLED").map(String::as_str),
            Some("1")
        );
        let runtime = plan.stage(crate::plan::StageName::Runtime).unwrap();
        assert_eq!(runtime.base, image_base(ImageRole::RuntimeSlim));
        // Built on the target's own builder: the C compiler is the host's.
        let build = plan.stage(crate::plan::StageName::Build).unwrap();
        assert_eq!(build.runs_on, crate::plan::RunsOn::Target);
        let plain = plan_of(&[("go.mod", "module example.com/notes\n"), ("main.go", main)]);
        let compile = build_runs(&plain).last().copied().unwrap();
        assert_eq!(
            compile.env.get("CGO_ENABLED").map(String::as_str),
            Some("0")
        );
    }

    #[test]
    fn an_empty_nested_go_mod_keeps_the_build_narrowed_to_the_binarys_packages() {
        let plan = plan_of(&[
            ("go.mod", "module example.com/site\n\ngo 1.24\n"),
            (
                "main.go",
                "package main\nimport (\n\"fmt\"\n\"example.com/site/web\"\n)\n",
            ),
            ("web/web.go", "package web\n"),
            ("other/other.go", "package other\n"),
            ("tools/gen/go.mod", ""),
            ("tools/gen/main.go", "package main\n"),
        ]);
        // The imported packages get their own step only when the closure is known.
        let runs = build_runs(&plan);
        assert_eq!(
            runs.len(),
            2,
            "{:?}",
            runs.iter().map(|r| &r.name).collect::<Vec<_>>()
        );
        assert!(
            runs[0].name.contains("the 1 package the"),
            "{}",
            runs[0].name
        );
    }

    #[test]
    fn a_library_at_the_root_builds_its_one_command() {
        let spec = crate::spec::parse(b"version: 1\nlanguage: go\n").unwrap();
        let main_of = |files: &[(&str, &str)]| {
            let context = context_of(files);
            let local: Vec<&str> = context.paths.iter().map(String::as_str).collect();
            main_package(&spec, &context, &local).map_err(|d| d.render("strata.yaml", ""))
        };
        let generator = "//go:build ignore\n\npackage main\n";
        let library = [
            ("go.mod", "module example.com/web\n"),
            ("server.go", "// Package web serves.\npackage web\n"),
            ("gen.go", generator),
            ("internal/cmd/flags.go", "package cmd\n"),
            ("examples/hello/main.go", "package main\n"),
            ("_tools/lint/main.go", "package main\n"),
        ];
        let with_command = [&library[..], &[("cmd/web/main.go", "package main\n")]].concat();
        assert_eq!(main_of(&with_command).unwrap(), "cmd/web");
        let with_app = [
            &library[..],
            &[("app/main.go", "/* the server */ package main\n")],
        ]
        .concat();
        assert_eq!(main_of(&with_app).unwrap(), "app");
        // Only an example is a command: the user says which.
        let err = main_of(&library).unwrap_err();
        assert!(
            err.contains("the module root is `package web`, a library"),
            "{err}"
        );
        assert!(err.contains("one of: _tools/lint, examples/hello"), "{err}");
        // A main package at the root wins, as before.
        let root_main = [&library[..], &[("main.go", "package main\n")]].concat();
        assert_eq!(main_of(&root_main).unwrap(), ".");
    }

    fn build_runs(plan: &Plan) -> Vec<&crate::plan::RunStep> {
        let build = plan.stage(crate::plan::StageName::Build).unwrap();
        build
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Run(run) => Some(run),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn imported_packages_compile_into_the_layer_the_build_cache_starts_as() {
        let main = "package main\nimport (\n\"fmt\"\n\"example.com/x/y\"\n)\n";
        let plan = plan_of(&[
            (
                "go.mod",
                "module m\ngo 1.24\nrequire example.com/x v1.0.0\n",
            ),
            ("go.sum", ""),
            ("main.go", main),
        ]);
        let runs = build_runs(&plan);
        assert_eq!(runs.len(), 2);
        let script = &runs[0].argv[2];
        assert!(script.contains("'example.com/x/y' 'fmt')"), "{script}");
        assert!(script.contains("go build -trimpath $pkgs"), "{script}");
        assert_eq!(runs[0].env["GOCACHE"], LAYER_BUILD_CACHE);
        assert!(
            runs[0]
                .mounts
                .iter()
                .all(|m| !matches!(m, Mount::Context { .. }))
        );
        let starts = runs[1].mounts.iter().find_map(|m| match m {
            Mount::Cache { starts_from, .. } => starts_from.as_deref(),
            _ => None,
        });
        assert_eq!(starts, Some(LAYER_BUILD_CACHE));

        // Vendored packages compile from vendor/: nothing to compile beforehand.
        let vendored = plan_of(&[
            ("go.mod", "module m\ngo 1.24\n"),
            ("vendor/modules.txt", ""),
            ("main.go", main),
        ]);
        assert_eq!(build_runs(&vendored).len(), 1);
    }

    fn contacts_of(go_settings: &str) -> Vec<String> {
        let text = format!("version: 1\nlanguage: go\n{go_settings}");
        let spec = crate::spec::parse(text.as_bytes()).expect("the spec parses");
        Go.contacts(&spec)
    }

    #[test]
    fn go_contacts_the_module_proxies_and_the_checksum_database() {
        assert_eq!(
            contacts_of(""),
            ["https://proxy.golang.org", "https://sum.golang.org"]
        );
        assert_eq!(
            contacts_of(
                "go:\n  proxy: https://goproxy.corp|https://proxy.golang.org,off\n  sumdb: sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://sum.corp/\n"
            ),
            [
                "https://goproxy.corp",
                "https://proxy.golang.org",
                "https://sum.corp/"
            ]
        );
        assert!(contacts_of("go:\n  proxy: direct\n  sumdb: \"off\"\n").is_empty());
    }
}
