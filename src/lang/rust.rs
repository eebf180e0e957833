//! Rust: the dependencies compiled from a generated skeleton of the workspace (see
//! [`skeleton`]) into a real layer, the workspace compiled on top from the app directory (minus
//! what cargo does not read, plus what the sources include), and the one binary on a small
//! runtime.

mod includes;
mod skeleton;

use std::collections::{BTreeMap, BTreeSet};

use skeleton::{Package, Workspace};

use super::context::join;
use super::inputs::{
    Documentation, Reference, Sources, parent_dir, readable_at_run_time, runtime_files,
};
use super::stages::{Command, Stages};
use super::toolchain::{self, Demand, Requirement, parse_release};
use super::{ContextFiles, Probe, Provider, binary_runtime, image_base, network, strings};
use crate::plan::{Base, CacheSharing, ContextSelection, ImageRole, Mount, Network, Plan, Step};
use crate::spec::{Diagnostic, Diagnostics, Language, Location, RuntimeBase, Spec};

pub struct Rust;

/// Where the workspace is built: the skeleton in the deps stage, the real sources (mounted
/// over it) in the build stage, so cargo sees the same workspace root in both.
const SRC: &str = "/src";
/// CARGO_HOME of the official rust images (and the testbed's stand-in); set explicitly so the
/// cache mounts below are where cargo looks.
const CARGO_HOME: &str = "/usr/local/cargo";
/// The compiled dependencies: a real layer, outside /src so that mounting the sources there
/// does not hide it. A cache mount here would not be exported by `--cache-to`
/// (moby/buildkit#1474), so a cold CI runner would recompile everything.
const TARGET_DIR: &str = "/build/target";
/// The crates' sources, vendored from the registry cache into the layer: the build stage then
/// compiles offline and needs no cache mount, which a CI runner importing the cache lacks.
const VENDOR_DIR: &str = "/build/vendor";
const OUT: &str = "/out";
/// The build platform's target triple: building with an explicit `--target` keeps RUSTFLAGS
/// (`+crt-static`) off build scripts and proc macros, which must stay dynamic.
const HOST_TRIPLE: &str = "TRIPLE=$(rustc -vV | sed -n 's/^host: //p')";
const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static";
/// Project-level cargo configuration: it can change how dependencies compile, so the skeleton
/// carries it verbatim.
const CARGO_CONFIGS: [&str; 2] = [".cargo/config.toml", ".cargo/config"];
/// What a Rust program never reads at run time from its working directory: it is compiled in.
const NOT_READ_AT_RUN_TIME: &[&str] = &["**/*.rs", "**/Cargo.toml", "Cargo.lock", ".cargo"];
/// rustup's toolchain files: strata chooses the builder image from them, and leaves them out of
/// the compile step, where rustup would try to download the toolchain they name.
const TOOLCHAIN_FILES: [&str; 2] = ["rust-toolchain.toml", "rust-toolchain"];
/// A package's targets that `cargo build --bin` never compiles.
const UNBUILT_TARGET_DIRS: [&str; 3] = ["tests", "benches", "examples"];

impl Provider for Rust {
    fn language(&self) -> Language {
        Language::Rust
    }

    fn probe(&self) -> Probe {
        let mut read = strings(&["**/Cargo.toml", "Cargo.lock", "**/*.rs"]);
        read.extend(strings(&TOOLCHAIN_FILES));
        read.extend(strings(&CARGO_CONFIGS));
        Probe {
            // Cargo's output at the workspace root (a `target` module elsewhere is source).
            never: strings(&["target"]),
            read,
        }
    }

    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool {
        files.contains(&join(app_dir, "Cargo.toml"))
    }

    fn contacts(&self, spec: &Spec) -> Vec<String> {
        match &spec.rust.registry {
            Some(mirror) => vec![mirror.clone()],
            // crates.io's sparse index and its crate files live on two hosts.
            None => vec![
                "https://index.crates.io/".to_string(),
                "https://static.crates.io/".to_string(),
            ],
        }
    }

    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
        let dir = spec.path.value.as_str();
        let lock = lockfile(spec, files)?;
        let workspace = read_workspace(spec, files)?;
        let (package, bin) = selection(spec, &workspace)?;
        let local: Vec<&str> = files.under(dir).collect();
        let text = |path: &str| files.text(dir, path).unwrap_or_default().to_string();
        let reads = compile_reads(&workspace, &local, text);
        // The binary's sources, without their test modules (conventionally last).
        let program: Vec<(&str, &str)> = program_sources(&workspace, &local)
            .into_iter()
            .filter_map(|path| {
                let text = files.text(dir, path)?;
                Some((path, text.split("#[cfg(test)]").next().unwrap_or(text)))
            })
            .collect();
        let unbuilt: Vec<String> = workspace
            .packages
            .iter()
            .flat_map(|p| UNBUILT_TARGET_DIRS.map(|d| join(&p.dir, d)))
            .collect();
        let readable = readable_at_run_time(
            spec,
            NOT_READ_AT_RUN_TIME,
            unbuilt.iter().map(String::as_str),
        );
        let runtime_files = runtime_files(spec, &program, &local, &reads.named, &readable);
        let mut warnings = Vec::new();
        let sources = sources(spec, &workspace, files, &local, reads, &mut warnings);
        let (runtime, image) = binary_runtime(spec, &bin, runtime_files, &mut warnings);
        let demands = toolchain_demands(files, dir, &workspace, package, &mut warnings);
        let (builder, toolchain) =
            toolchain::builder(spec, ImageRole::RustBuilder, "Rust", &demands)?;
        Ok(Stages {
            language: Language::Rust,
            builder,
            toolchain: Some(toolchain),
            deps: dependency_steps(spec, &workspace, files, lock, package, &bin),
            build: vec![compile_step(spec, package, &bin, sources)],
            build_output: Some(OUT),
            // The builder's rustc has its own target's standard library only: another target
            // builds under emulation, on that target's builder image.
            cross_compile: None,
            runtime_base: runtime_base(spec)?,
            runtime,
            image,
            warnings,
            app: bin,
        }
        .into_plan(spec))
    }
}

/// Cargo.lock's text: strata builds only locked dependencies, and from every manifest (no
/// `lockfiles:` to choose them).
fn lockfile<'f>(spec: &Spec, files: &'f ContextFiles) -> Result<&'f str, Diagnostics> {
    if let Some(named) = spec.lockfiles.as_ref().and_then(|l| l.first()) {
        return Err(Diagnostic::at(
            named.location,
            "a Rust build takes its dependency inputs from every Cargo.toml and Cargo.lock",
        )
        .with_hint("remove `lockfiles:`")
        .into());
    }
    let dir = spec.path.value.as_str();
    files
        .text(dir, "Cargo.lock")
        .ok_or_else(|| refuse(spec, files, dir))
}

/// Why there is nothing to plan: no Cargo.toml, or no Cargo.lock.
fn refuse(spec: &Spec, files: &ContextFiles, dir: &str) -> Diagnostics {
    let (message, hint) = if files.contains(&join(dir, "Cargo.toml")) {
        (
            format!("`{dir}` has no Cargo.lock: strata builds only locked dependencies"),
            "run `cargo generate-lockfile` (or any cargo build) and commit Cargo.lock",
        )
    } else {
        (
            format!("there is no Cargo.toml in `{dir}`"),
            "set `path:` to the workspace root",
        )
    };
    Diagnostic::at(spec.path.location, message)
        .with_hint(hint)
        .into()
}

/// The workspace as the listed manifests describe it.
fn read_workspace(spec: &Spec, files: &ContextFiles) -> Result<Workspace, Diagnostics> {
    let dir = spec.path.value.as_str();
    let manifests: BTreeMap<String, String> = files
        .contents
        .iter()
        .filter(|(path, _)| path.ends_with("Cargo.toml"))
        .filter_map(|(path, text)| {
            let local = if dir == "." {
                path.as_str()
            } else {
                path.strip_prefix(dir)?.strip_prefix('/')?
            };
            Some((local.to_string(), text.clone()))
        })
        .collect();
    let listed: BTreeSet<&str> = files.under(dir).collect();
    Workspace::read(&manifests, &listed).map_err(|why| {
        match &why.place {
            Some((manifest, offset)) => {
                let text = &manifests[manifest];
                let at = Location::of_offset(text, *offset);
                Diagnostic::in_file(&join(dir, manifest), text, at, why.message)
            }
            None => Diagnostic::at(spec.path.location, why.message),
        }
        .with_hint("check the manifests with `cargo metadata --locked --no-deps`")
        .into()
    })
}

/// The skeleton written, the crates vendored (network, registry caches), the dependencies
/// compiled offline from the vendored copy through the package's (stub) library, then the local
/// crates' stub artifacts dropped: with no fingerprint left, cargo compiles the real crates in
/// the build stage whatever the sources' mtimes say.
fn dependency_steps(
    spec: &Spec,
    workspace: &Workspace,
    files: &ContextFiles,
    lock: &str,
    package: &Package,
    bin: &str,
) -> Vec<Step> {
    let configs: Vec<(String, String)> = CARGO_CONFIGS
        .iter()
        .filter_map(|c| Some((c.to_string(), files.text(&spec.path.value, c)?.to_string())))
        .collect();
    let skeleton = workspace.skeleton(lock, &configs);
    let target = if package.lib_compiles_like_its_bins() {
        "--lib".to_string()
    } else {
        format!("--bin {bin}")
    };
    let local_packages: Vec<String> = workspace
        .packages
        .iter()
        .map(|p| format!("--package {}", p.name))
        .collect();
    let script = format!(
        "set -e; {HOST_TRIPLE}; cargo vendor --locked{} {VENDOR_DIR} > {CARGO_HOME}/config.toml; \
         {}; cargo clean --release --offline --target \"$TRIPLE\" {}",
        mirror_options(spec),
        cargo_build(package, &target),
        local_packages.join(" ")
    );
    let cache = |dir: &str, id: &str| Mount::Cache {
        target: format!("{CARGO_HOME}/{dir}"),
        id: format!("strata/{}/{id}", spec.cache_namespace),
        // Cargo's download lock lives in CARGO_HOME itself, outside the mount: builds sharing
        // the cache would not see each other's lock, so they take turns.
        sharing: CacheSharing::Locked,
        starts_from: None,
    };
    let manifests = skeleton.iter().filter(|f| f.path.ends_with("Cargo.toml"));
    vec![
        Step::WriteFiles {
            name: format!(
                "[strata deps] write the cargo skeleton ({} manifests, Cargo.lock)",
                manifests.count()
            ),
            files: skeleton,
            dest: SRC.to_string(),
        },
        Command::shell(
            format!(
                "[strata deps] cargo build --release: dependencies of {} (skeleton)",
                package.name
            ),
            script,
            SRC,
        )
        .env(cargo_env(spec))
        .env(mirror_env(spec))
        .mount(cache("registry", "cargo-registry"))
        .mount(cache("git", "cargo-git"))
        .downloads(spec, network(spec.network.deps, Network::Default)),
    ]
}

/// `cargo vendor` options that replace crates.io with the spec's mirror, for the one step that
/// downloads. Cargo takes source replacement from config only (no environment variable), so it
/// goes on the command line, and `cargo vendor` ignores it unless told to respect it; the
/// vendored copy it makes is what every later cargo command reads. The URL itself comes from
/// [`MIRROR_VARIABLE`], so a mirror given as a build arg stays out of the step's cache key.
fn mirror_options(spec: &Spec) -> String {
    if spec.rust.registry.is_none() {
        return String::new();
    }
    format!(
        " --respect-source-config --config 'source.crates-io.replace-with=\"strata-mirror\"' \
         --config \"source.strata-mirror.registry=\\\"sparse+${MIRROR_VARIABLE}\\\"\""
    )
}

/// Where the download step finds the mirror's index URL (`rust.registry`, or the build arg of
/// the same name), ending with `/` as cargo joins index paths onto it.
const MIRROR_VARIABLE: &str = "STRATA_CARGO_MIRROR";

fn mirror_env(spec: &Spec) -> Vec<(String, String)> {
    spec.rust
        .registry
        .iter()
        .map(|url| {
            let slash = if url.ends_with('/') { "" } else { "/" };
            (MIRROR_VARIABLE.to_string(), format!("{url}{slash}"))
        })
        .collect()
}

/// CARGO_HOME and the target directory, and RUSTFLAGS for a static binary: the same in both
/// stages, since they are part of every crate's fingerprint.
fn cargo_env(spec: &Spec) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([
        ("CARGO_HOME".to_string(), CARGO_HOME.to_string()),
        ("CARGO_TARGET_DIR".to_string(), TARGET_DIR.to_string()),
    ]);
    if spec.rust.static_link {
        env.insert("RUSTFLAGS".to_string(), STATIC_RUSTFLAGS.to_string());
    }
    env
}

/// Offline from the vendored crates, for the build platform's triple (see [`HOST_TRIPLE`]).
fn cargo_build(package: &Package, targets: &str) -> String {
    format!(
        "cargo build --release --locked --offline --package {} {targets} --target \"$TRIPLE\"",
        package.name
    )
}

/// The real build of the one binary, offline, over the sources, into the output mount.
fn compile_step(spec: &Spec, package: &Package, bin: &str, sources: ContextSelection) -> Step {
    Command::shell(
        format!(
            "[strata build] cargo build --release --package {} --bin {bin}",
            package.name
        ),
        format!(
            "set -e; {HOST_TRIPLE}; {}; cp {TARGET_DIR}/\"$TRIPLE\"/release/{bin} {OUT}/{bin}",
            cargo_build(package, &format!("--bin {bin}"))
        ),
        SRC,
    )
    .env(cargo_env(spec))
    .env(spec.build.env.clone())
    // Build scripts may write generated code beside the sources (prost's `out_dir("src")`):
    // a scratch copy lets them, and keeps what they write out of every layer.
    .mount(Mount::Context {
        target: SRC.to_string(),
        files: sources,
        writable: true,
    })
    .mount(Mount::Output {
        target: OUT.to_string(),
    })
    .offline(spec)
}

/// A static binary runs on the distroless-style base, a dynamic one needs libc (`slim`), which
/// `scratch` lacks.
fn runtime_base(spec: &Spec) -> Result<Base, Diagnostics> {
    Ok(match (&spec.runtime.value, spec.rust.static_link) {
        (RuntimeBase::Static, true) => image_base(ImageRole::RuntimeStatic),
        (RuntimeBase::Static | RuntimeBase::Slim, _) => image_base(ImageRole::RuntimeSlim),
        (RuntimeBase::Scratch, true) => Base::Scratch,
        (RuntimeBase::Scratch, false) => {
            return Err(Diagnostic::at(
                spec.runtime.location,
                "a dynamically linked Rust binary cannot run on `scratch`: it needs libc",
            )
            .with_hint("set `rust: {static: true}` to link glibc statically")
            .into());
        }
        (RuntimeBase::Image(reference), _) => Base::Image {
            reference: reference.clone(),
        },
    })
}

/// The package and binary to build: the spec's, or the only binary among the members (the
/// package's `default-run` when it has several).
fn selection<'w>(
    spec: &Spec,
    workspace: &'w Workspace,
) -> Result<(&'w Package, String), Diagnostics> {
    let packages = candidate_packages(spec, workspace)?;
    let mut pairs: Vec<(&Package, &str)> = packages
        .iter()
        .flat_map(|p| p.bins.iter().map(move |(bin, _)| (*p, bin.as_str())))
        .collect();
    if let Some(wanted) = &spec.rust.bin {
        let all: Vec<String> = pairs.iter().map(|(_, b)| b.to_string()).collect();
        pairs.retain(|(_, bin)| *bin == wanted.value);
        if pairs.is_empty() {
            return Err(Diagnostic::at(
                wanted.location,
                format!("there is no binary `{}` to build", wanted.value),
            )
            .with_hint(if all.is_empty() {
                "the selected package has no binary target".to_string()
            } else {
                format!("binaries: {}", all.join(", "))
            })
            .into());
        }
    }
    if let [(package, bin)] = pairs.as_slice() {
        return Ok((package, bin.to_string()));
    }
    if let [package] = packages.as_slice() {
        if let Some(default) = &package.default_run {
            if pairs.iter().any(|(_, b)| b == default) {
                return Ok((package, default.clone()));
            }
        }
    }
    let listed: Vec<String> = pairs
        .iter()
        .map(|(p, b)| format!("{}/{b}", p.name))
        .collect();
    Err(Diagnostic::at(
        spec.path.location,
        if listed.is_empty() {
            "the workspace has no binary target to build".to_string()
        } else {
            format!("cannot tell which binary to build: {}", listed.join(", "))
        },
    )
    .with_hint("set `rust: {package: <package>, bin: <binary>}`")
    .into())
}

/// The members whose binaries are candidates: the one the spec names, else (unless the spec
/// names a binary) what a plain `cargo build` builds when the workspace says (an xtask is not
/// the app), else every member.
fn candidate_packages<'w>(
    spec: &Spec,
    workspace: &'w Workspace,
) -> Result<Vec<&'w Package>, Diagnostics> {
    let members: Vec<&Package> = workspace.members().collect();
    if let Some(wanted) = &spec.rust.package {
        let found: Vec<&Package> = members
            .iter()
            .copied()
            .filter(|p| p.name == wanted.value)
            .collect();
        if found.is_empty() {
            let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
            return Err(Diagnostic::at(
                wanted.location,
                format!("there is no package `{}` in the workspace", wanted.value),
            )
            .with_hint(format!("members: {}", names.join(", ")))
            .into());
        }
        return Ok(found);
    }
    let defaults: Vec<&Package> = members
        .iter()
        .copied()
        .filter(|p| workspace.is_default_member(p))
        .collect();
    Ok(if spec.rust.bin.is_none() && !defaults.is_empty() {
        defaults
    } else {
        members
    })
}

/// What the compile reads besides the sources: the test and bench files manifests declare
/// (needed only where present), and what the sources include and the build scripts name.
struct CompileReads {
    declared: Vec<Reference>,
    named: Vec<Reference>,
}

fn compile_reads(
    workspace: &Workspace,
    local: &[&str],
    text: impl Fn(&str) -> String,
) -> CompileReads {
    let mut reads = CompileReads {
        declared: Vec::new(),
        named: Vec::new(),
    };
    for package in &workspace.packages {
        let manifest = join(&package.dir, "Cargo.toml");
        reads
            .declared
            .extend(package.declared_unbuilt.iter().map(|path| {
                Reference::path(
                    join(&package.dir, path),
                    format!("a target {manifest} declares"),
                )
            }));
        // What tests, benchmarks and examples include is not read by `cargo build --bin`.
        let unbuilt = unbuilt_dirs(package);
        let compiled = own_sources(workspace, package, local)
            .filter(|path| !unbuilt.iter().any(|dir| path.starts_with(dir.as_str())));
        for path in compiled {
            reads
                .named
                .extend(includes::included(path, &package.dir, &text(path)));
        }
        if let Some(script) = &package.build_script {
            let path = join(&package.dir, script);
            reads.named.extend(includes::build_script_paths(
                script,
                &package.dir,
                &text(&path),
                local,
            ));
        }
    }
    reads
}

/// `tests/`, `benches/` and `examples/` of a package, as path prefixes.
fn unbuilt_dirs(package: &Package) -> Vec<String> {
    UNBUILT_TARGET_DIRS
        .iter()
        .map(|d| format!("{}/", join(&package.dir, d)))
        .collect()
}

/// The Rust files the binary is compiled from: every package's, without build scripts and the
/// targets `cargo build --bin` does not compile.
fn program_sources<'a>(workspace: &'a Workspace, local: &'a [&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for package in &workspace.packages {
        let unbuilt = unbuilt_dirs(package);
        let script = package.build_script.as_ref().map(|s| join(&package.dir, s));
        // A build script in a directory of its own (`build/main.rs`) has its modules beside it.
        let script_dir = package
            .build_script
            .as_ref()
            .filter(|s| s.contains('/'))
            .map(|s| format!("{}/", join(&package.dir, parent_dir(s))));
        out.extend(
            own_sources(workspace, package, local)
                .copied()
                .filter(|path| {
                    script.as_deref() != Some(*path)
                        && script_dir
                            .as_ref()
                            .is_none_or(|d| !path.starts_with(d.as_str()))
                        && !unbuilt.iter().any(|dir| path.starts_with(dir.as_str()))
                }),
        );
    }
    out
}

/// What the project asks of rustc: the channel a rustup toolchain file pins (a release; `stable`
/// asks nothing, `beta` and `nightly` get a warning, since the official images are stable
/// releases), and the package's `rust-version` (the oldest rustc that builds it).
fn toolchain_demands(
    files: &ContextFiles,
    dir: &str,
    workspace: &Workspace,
    package: &Package,
    warnings: &mut Vec<String>,
) -> Vec<Demand> {
    let mut demands = Vec::new();
    let toolchain_file = TOOLCHAIN_FILES
        .iter()
        .find_map(|name| Some((*name, files.text(dir, name)?)));
    if let Some((name, text)) = toolchain_file {
        let channel = match toml::from_str::<toml::Table>(text) {
            Ok(doc) => doc
                .get("toolchain")
                .and_then(|t| t.get("channel"))
                .and_then(toml::Value::as_str)
                .map(str::to_string),
            // The legacy file may hold the bare channel name.
            Err(_) => text.lines().next().map(|l| l.trim().to_string()),
        };
        match channel.as_deref() {
            Some(channel) if channel.starts_with(|c: char| c.is_ascii_digit()) => {
                if let Some(line) = toolchain::line_for(ImageRole::RustBuilder, channel) {
                    demands.push(Demand::pin(
                        format!("{name} `channel = \"{channel}\"`"),
                        line,
                    ));
                }
            }
            Some(channel) if channel.starts_with("beta") || channel.starts_with("nightly") => {
                warnings.push(format!(
                    "{name} asks for the {channel} channel; strata builds with a stable release \
                     (set `images.builder` to an image with that toolchain)"
                ));
            }
            _ => {}
        }
    }
    if let Some(version) = workspace.rust_version(package) {
        if let Ok(release) = parse_release(&version) {
            demands.push(Demand::allows(
                format!("Cargo.toml `rust-version = \"{version}\"`"),
                Requirement::at_least(release),
            ));
        }
    }
    demands
}

/// What the compile step sees: the app directory without documentation, tooling and the
/// targets `cargo build --bin` does not compile, plus what manifests declare, what the sources
/// include and what build scripts name.
fn sources(
    spec: &Spec,
    workspace: &Workspace,
    files: &ContextFiles,
    local: &[&str],
    reads: CompileReads,
    warnings: &mut Vec<String>,
) -> ContextSelection {
    let mut sources = Sources::app_directory(spec, Documentation::All);
    sources.leave_out(
        TOOLCHAIN_FILES,
        "rustup's toolchain file (strata chose the image from it)",
    );
    for package in &workspace.packages {
        sources.leave_out(
            UNBUILT_TARGET_DIRS.iter().map(|d| join(&package.dir, d)),
            "tests, benchmarks and examples (cargo build --bin does not compile them)",
        );
    }
    // Cargo loads a manifest whose declared test or bench files are absent; only the ones that
    // are there need to stay.
    sources.name(local, reads.declared);
    for missing in sources.name(local, reads.named) {
        warnings.push(format!(
            "{}: `{}` is not in the build context{}: cargo build will fail",
            missing.why,
            missing.path,
            files.ignore_hint()
        ));
    }
    sources.finish(spec)
}

/// The Rust files of `package`, not of a package nested inside it.
fn own_sources<'a>(
    workspace: &'a Workspace,
    package: &'a Package,
    local: &'a [&'a str],
) -> impl Iterator<Item = &'a &'a str> + 'a {
    let inside = |dir: &str, path: &str| {
        dir == "."
            || path
                .strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    local.iter().filter(move |path| {
        path.ends_with(".rs")
            && inside(&package.dir, path)
            && !workspace.packages.iter().any(|other| {
                other.dir != package.dir
                    && other.dir.len() > package.dir.len()
                    && inside(&other.dir, path)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{RunStep, StageName};

    fn plan_of(spec: &str, files: &[(&str, &str)]) -> Result<Plan, String> {
        let spec = crate::spec::parse(spec.as_bytes()).expect("a valid test spec");
        let mut context = ContextFiles::default();
        for (path, contents) in files {
            context.paths.insert(path.to_string());
            if path.ends_with("Cargo.toml") || *path == "Cargo.lock" {
                context
                    .contents
                    .insert(path.to_string(), contents.to_string());
            }
        }
        Rust.plan(&spec, &context)
            .map_err(|d| d.render("strata.yaml", ""))
    }

    const SPEC: &str = "version: 1\nlanguage: rust\n";
    const LOCK: &str = "version = 4\n";

    fn manifest(name: &str) -> String {
        format!("[package]\nname = \"{name}\"\nversion = \"0.3.0\"\n")
    }

    fn run_steps(plan: &Plan) -> Vec<&RunStep> {
        plan.stages
            .iter()
            .flat_map(|s| &s.steps)
            .filter_map(|s| match s {
                Step::Run(run) => Some(run),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_single_binary_is_found_and_static_linking_reaches_both_cargo_steps() {
        let plan = plan_of(
            "version: 1\nlanguage: rust\nrust: {static: true}\n",
            &[
                ("Cargo.toml", &manifest("svc")),
                ("Cargo.lock", LOCK),
                ("src/main.rs", ""),
            ],
        )
        .unwrap();
        assert_eq!(plan.app, "svc");
        assert_eq!(plan.image.entrypoint, ["/app/svc"]);
        let runs = run_steps(&plan);
        assert_eq!(runs.len(), 2);
        // The skeleton's dependencies compile through its stub library, linking nothing.
        for (run, targets) in runs.iter().zip(["--lib", "--bin svc"]) {
            assert_eq!(run.env["RUSTFLAGS"], STATIC_RUSTFLAGS, "{}", run.name);
            let build = format!("--package svc {targets} --target");
            assert!(run.argv[2].contains(&build), "{}", run.argv[2]);
        }
        assert_eq!(
            plan.stage(StageName::Runtime).unwrap().base,
            image_base(ImageRole::RuntimeStatic)
        );
    }

    #[test]
    fn a_dynamic_binary_runs_on_slim_and_is_refused_on_scratch() {
        let files = [
            ("Cargo.toml", manifest("svc")),
            ("Cargo.lock", LOCK.to_string()),
            ("src/main.rs", String::new()),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let plan = plan_of(SPEC, &files).unwrap();
        assert_eq!(
            plan.stage(StageName::Runtime).unwrap().base,
            image_base(ImageRole::RuntimeSlim)
        );
        assert!(
            run_steps(&plan)
                .iter()
                .all(|r| !r.env.contains_key("RUSTFLAGS"))
        );
        let err = plan_of(
            "version: 1\nlanguage: rust\ntarget: {runtime: scratch}\n",
            &files,
        )
        .unwrap_err();
        assert!(err.contains("rust: {static: true}"), "{err}");
    }

    #[test]
    fn a_workspace_whose_root_is_a_package_builds_the_root_as_cargo_does() {
        // casey/just's layout: the root package and helper crates with their own binaries.
        let root = format!(
            "{}\n[workspace]\nmembers = [\".\", \"crates/*\"]\n",
            manifest("tool")
        );
        let files = [
            ("Cargo.toml", root.as_str()),
            ("Cargo.lock", LOCK),
            ("src/main.rs", ""),
            ("crates/gen-docs/Cargo.toml", &manifest("gen-docs")),
            ("crates/gen-docs/src/main.rs", ""),
        ];
        let plan = plan_of(SPEC, &files).unwrap();
        assert_eq!(plan.image.entrypoint, ["/app/tool"]);
        // A helper is still one `rust.package` away.
        let helper = plan_of(
            "version: 1\nlanguage: rust\nrust: {package: gen-docs}\n",
            &files,
        );
        assert_eq!(helper.unwrap().image.entrypoint, ["/app/gen-docs"]);
    }

    #[test]
    fn several_binaries_need_a_choice_and_default_run_is_one() {
        let root = "[workspace]\nmembers = [\"a\", \"b\"]\n";
        let files = [
            ("Cargo.toml", root),
            ("Cargo.lock", LOCK),
            ("a/Cargo.toml", "[package]\nname = \"a\"\n"),
            ("a/src/main.rs", ""),
            (
                "b/Cargo.toml",
                "[package]\nname = \"b\"\ndefault-run = \"two\"\n",
            ),
            ("b/src/bin/one.rs", ""),
            ("b/src/bin/two.rs", ""),
        ];
        let err = plan_of(SPEC, &files).unwrap_err();
        assert!(err.contains("a/a, b/one, b/two"), "{err}");
        let plan = plan_of("version: 1\nlanguage: rust\nrust: {package: b}\n", &files).unwrap();
        assert_eq!(plan.app, "two");
        let plan = plan_of("version: 1\nlanguage: rust\nrust: {bin: one}\n", &files).unwrap();
        assert_eq!(plan.app, "one");
        let err = plan_of("version: 1\nlanguage: rust\nrust: {package: c}\n", &files).unwrap_err();
        assert!(err.contains("members: a, b"), "{err}");
    }

    #[test]
    fn no_lockfile_is_refused_with_a_hint() {
        let err = plan_of(
            SPEC,
            &[("Cargo.toml", &manifest("svc")), ("src/main.rs", "")],
        )
        .unwrap_err();
        assert!(err.contains("cargo generate-lockfile"), "{err}");
    }

    #[test]
    fn the_dependency_step_sees_only_generated_files_and_the_compile_step_no_docs() {
        let plan = plan_of(
            SPEC,
            &[
                ("Cargo.toml", &manifest("svc")),
                ("Cargo.lock", LOCK),
                ("src/main.rs", "fn main() { println!(\"real\"); }"),
                ("build.rs", ""),
                ("README.md", ""),
            ],
        )
        .unwrap();
        let deps = plan.stage(StageName::Deps).unwrap();
        let Step::WriteFiles { files, .. } = &deps.steps[0] else {
            panic!("deps starts with the skeleton")
        };
        assert!(files.iter().all(|f| !f.contents.contains("real")));
        assert!(
            deps.steps
                .iter()
                .all(|s| !matches!(s, Step::CopyContext { .. }))
        );
        let Step::Run(compile) = &plan.stage(StageName::Build).unwrap().steps[0] else {
            panic!("build is one run step")
        };
        let Some(Mount::Context { files, .. }) = compile.mounts.first() else {
            panic!("compile mounts the sources first")
        };
        let listing = [
            "Cargo.toml",
            "Cargo.lock",
            "src/main.rs",
            "build.rs",
            "README.md",
        ];
        assert_eq!(
            files.pick(&plan.excluded, listing).unwrap(),
            ["Cargo.toml", "Cargo.lock", "src/main.rs", "build.rs"]
        );
        assert_eq!(compile.network, Network::None);
    }
    #[test]
    fn default_members_choose_the_binary_over_an_xtask() {
        let files = [
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\ndefault-members = [\"crates/app\"]\n",
            ),
            ("Cargo.lock", LOCK),
            ("crates/app/Cargo.toml", "[package]\nname = \"app\"\n"),
            ("crates/app/src/main.rs", ""),
            ("crates/xtask/Cargo.toml", "[package]\nname = \"xtask\"\n"),
            ("crates/xtask/src/main.rs", ""),
        ];
        assert_eq!(plan_of(SPEC, &files).unwrap().app, "app");
        let plan = plan_of("version: 1\nlanguage: rust\nrust: {bin: xtask}\n", &files).unwrap();
        assert_eq!(plan.app, "xtask");
    }
}
