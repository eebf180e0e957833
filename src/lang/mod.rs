//! Language providers: each turns a spec plus what the build context holds into a plan.
//!
//! Providers are plain functions over data. They never touch BuildKit or the filesystem: the
//! caller lists the context (the CLI from disk, the gateway through the engine) using the
//! provider's [`Probe`] and hands the result in as [`ContextFiles`].

mod context;
mod download;
mod go;
mod inputs;
mod node;
mod python;
mod reach;
mod rust;
mod site;
mod stages;
mod start;
mod toolchain;

pub use context::{ContextFiles, DOCKERIGNORE, IgnoreFile, Probe, context_excludes};
pub use reach::{
    ENGINE_REPORT, IMAGE_ROOTS, REACH_REPORT, REPORT_DIR, WITH_CA_SECRET, reachability_plan,
};
pub use start::missing_start;

use std::collections::BTreeMap;

use crate::plan::{
    Base, ContextExclusions, ContextSelection, ImageRole, ImageSettings, Mount, Network,
    PatternList, Plan, ProxyEnv, StageName, Step, default_image,
};
use crate::spec::{Diagnostic, Diagnostics, Language, NetworkMode, RuntimeBase, Spec};

/// The files by which the providers recognise a project, for messages that say what was looked for.
pub const PROJECT_MARKERS: &str = "go.mod, pyproject.toml, uv.lock, poetry.lock, \
                                   requirements*.txt, Cargo.toml, package.json or index.html";

pub trait Provider {
    fn language(&self) -> Language;
    /// Which context files this provider needs to see (relative to the app directory).
    fn probe(&self) -> Probe;
    /// Whether the listed files look like a project of this language.
    fn detect(&self, files: &ContextFiles, app_dir: &str) -> bool;
    /// Whether what [`Provider::detect`] found is only this language's tooling for a project
    /// of another (a package.json of linters beside a Django app, a pyproject.toml of formatter
    /// settings beside a Node one): it then gives way to the other language.
    fn only_tooling(&self, _files: &ContextFiles, _app_dir: &str) -> bool {
        false
    }
    fn plan(&self, spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics>;
    /// The URLs the dependency steps fetch from with this spec: module proxies, package
    /// indexes, registries (not the proxy in front of them).
    fn contacts(&self, spec: &Spec) -> Vec<String>;
}

fn providers() -> Vec<Box<dyn Provider>> {
    vec![
        Box::new(go::Go),
        Box::new(python::Python),
        Box::new(rust::Rust),
        Box::new(node::Node),
        Box::new(site::Site),
    ]
}

/// The files to list when the spec does not name a language: every provider's probe.
pub fn probe_for(spec: &Spec) -> Probe {
    let Some(wanted) = spec.language.as_ref().map(|l| l.value) else {
        return probe_all();
    };
    let mut probe = Probe::default();
    for provider in providers().iter().filter(|p| p.language() == wanted) {
        probe.extend(provider.probe());
    }
    probe
}

/// Picks the provider (named by the spec, or detected) and plans the build.
pub fn plan(spec: &Spec, files: &ContextFiles) -> Result<Plan, Diagnostics> {
    let all = providers();
    let provider = chosen_provider(spec, files, &all)?;
    check_patterns(spec)?;
    check_site(spec, provider.language())?;
    check_manifests_are_files(spec, files, &provider.probe())?;
    let mut plan = provider.plan(spec, files)?;
    plan.excluded = ContextExclusions {
        ignore_file: files.ignore.as_ref().map(|i| i.name.clone()),
        ignored: files
            .ignore
            .as_ref()
            .map(|i| i.patterns.clone())
            .unwrap_or_default(),
        never: provider
            .probe()
            .never_inputs()
            .iter()
            .map(|p| context::root_pattern(&spec.path.value, p))
            .collect(),
    };
    download::finish_download_steps(&mut plan, spec);
    // A plan without a download step (a vendored Go module) contacts nothing.
    if download::plan_downloads(&plan) {
        plan.contacts = provider.contacts(spec);
        // Only this language's: a CI may pass every ecosystem's mirror to every build.
        plan.mirrors = crate::spec::mirrors::effective(spec)
            .into_iter()
            .filter(|(key, _, _)| {
                crate::spec::mirrors::language_of(key) == provider.language().name()
            })
            .map(|(key, value, from)| crate::plan::MirrorSetting { key, value, from })
            .collect();
    }
    plan.warnings.extend(spec_warnings(spec));
    Ok(plan)
}

/// The provider the spec names, or the one language the files look like.
fn chosen_provider<'p>(
    spec: &Spec,
    files: &ContextFiles,
    all: &'p [Box<dyn Provider>],
) -> Result<&'p dyn Provider, Diagnostics> {
    let of = |language: Language| {
        all.iter()
            .find(|p| p.language() == language)
            .map(|p| p.as_ref())
    };
    if let Some(named) = &spec.language {
        return of(named.value).ok_or_else(|| {
            Diagnostic::at(
                named.location,
                format!("language `{}` is not supported yet", named.value.name()),
            )
            .with_hint("this strata plans go, python, rust, node and static projects")
            .into()
        });
    }
    let dir = &spec.path.value;
    match detect(files, dir).as_slice() {
        [one] => Ok(of(*one).expect("detect only names languages that have a provider")),
        [] => Err(Diagnostic::at(
            spec.path.location,
            format!("could not tell the language of `{dir}`: no {PROJECT_MARKERS} found there"),
        )
        .with_hint("set `language:` or point `path:` at the project directory")
        .into()),
        many => {
            let names: Vec<&str> = many.iter().map(|l| l.name()).collect();
            Err(Diagnostic::at(
                spec.path.location,
                format!("`{dir}` looks like several languages: {}", names.join(", ")),
            )
            .with_hint("set `language:` to the one to build")
            .into())
        }
    }
}

/// `build.include` and `build.exclude` patterns the engine would refuse, at the line that
/// wrote them.
/// A manifest or lockfile the provider reads (named plainly, not by a pattern) that is a
/// directory, a `uv.lock/` a bad volume mount left, say: the tools would fail on it halfway
/// through the dependency step, so it is refused before anything runs.
fn check_manifests_are_files(
    spec: &Spec,
    files: &ContextFiles,
    probe: &Probe,
) -> Result<(), Diagnostics> {
    let plain = probe
        .read
        .iter()
        .filter(|name| !name.contains(['*', '?', '[', '/']));
    for name in plain {
        let inside = format!("{}/", context::join(&spec.path.value, name));
        if files.paths.iter().any(|path| path.starts_with(&inside)) {
            return Err(Diagnostic::at(
                spec.path.location,
                format!(
                    "`{name}` in `{}` is a directory, and the build reads it as a file",
                    spec.path.value
                ),
            )
            .with_hint(format!(
                "remove the directory `{}` or put the real file there",
                inside.trim_end_matches('/')
            ))
            .into());
        }
    }
    Ok(())
}

fn check_patterns(spec: &Spec) -> Result<(), Diagnostics> {
    let problems: Vec<Diagnostic> = spec
        .build
        .include
        .iter()
        .chain(&spec.build.exclude)
        .filter_map(|pattern| {
            let why = PatternList::new(&[pattern.value.as_str()]).err()?;
            Some(
                Diagnostic::at(pattern.location, format!("pattern {why}")).with_hint(
                    "patterns use .dockerignore syntax: `*` and `?` within a name, `**` across \
                     directories, `[a-z]`, and `\\` before a character to take it literally",
                ),
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(problems))
    }
}

/// `run.static` serves a site: a front-end app's build output or a plain site's folder. The other
/// languages build a program, which a directory of files cannot replace.
fn check_site(spec: &Spec, language: Language) -> Result<(), Diagnostics> {
    match &spec.run.site {
        Some(site) if !matches!(language, Language::Node | Language::Static) => {
            Err(Diagnostic::at(
                site.location,
                format!(
                    "`static: {}` serves a site, and this is a {} app",
                    site.value,
                    language.name()
                ),
            )
            .with_hint(
                "`static` is for front-end apps (language: node) and plain sites (language: \
                 static); remove it, or set `language:` to the one that builds the site",
            )
            .into())
        }
        _ => Ok(()),
    }
}

/// What a spec asks for that works but costs the user later: images that move under the build,
/// and includes that put the whole context into the compile step.
fn spec_warnings(spec: &Spec) -> Vec<String> {
    let mut warnings = Vec::new();
    let named_images = spec
        .builder_image
        .iter()
        .map(|b| ("images.builder", b.value.as_str()))
        .chain(match &spec.runtime.value {
            RuntimeBase::Image(reference) => Some(("target.runtime", reference.as_str())),
            _ => None,
        });
    for (key, reference) in named_images {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        let unpinned =
            !reference.contains('@') && (!name.contains(':') || name.ends_with(":latest"));
        if unpinned {
            warnings.push(format!(
                "{key}: `{reference}` follows `latest`, so the same spec can build on a different \
                 image tomorrow; name a version tag or pin a digest (`name@sha256:…`)"
            ));
        }
    }
    for pattern in &spec.build.include {
        if matches!(pattern.value.as_str(), "**" | "." | "*" | "./**" | "**/*") {
            warnings.push(format!(
                "build.include: `{}` puts the whole context into the compile step, so any edit \
                 (a README included) recompiles; name the files the build reads",
                pattern.value
            ));
        }
    }
    warnings
}

/// The languages whose providers recognise the project in `app_dir`.
pub fn detect(files: &ContextFiles, app_dir: &str) -> Vec<Language> {
    let all = providers();
    let (tooling, apps): (Vec<_>, Vec<_>) = all
        .iter()
        .filter(|p| p.detect(files, app_dir))
        .partition(|p| p.only_tooling(files, app_dir));
    let found = if apps.is_empty() { tooling } else { apps };
    found.iter().map(|p| p.language()).collect()
}

/// The build context on disk as a build of `spec_file` would see it: its ignore file applied,
/// the app directory listed, and the files the spec's provider reads.
pub fn list_directory(
    context: &std::path::Path,
    spec_file: &std::path::Path,
    spec: &Spec,
) -> std::io::Result<ContextFiles> {
    let ignore = IgnoreFile::find(context, spec_file)?;
    ContextFiles::from_dir(context, &spec.path.value, &probe_for(spec), ignore)
}

/// Every provider's probe: what `strata init` lists before it knows the language.
pub fn probe_all() -> Probe {
    let mut probe = Probe::default();
    for provider in providers() {
        probe.extend(provider.probe());
    }
    probe
}

/// Where every dependency step finds the CA bundle the build passes as a secret
/// (`--secret id=ca,src=…`, id from `ca.secret`). Each tool is pointed at it only when the
/// file exists, so builds without the secret use the image's own roots.
pub(crate) const CA_TARGET: &str = crate::spec::CA_MOUNT_TARGET;

/// The CA bundle as an optional secret mount: never in a layer, never in the cache key, so
/// passing it or not re-runs nothing.
pub(crate) fn ca_mount(spec: &Spec) -> Mount {
    Mount::Secret {
        id: spec.ca_secret.clone(),
        target: CA_TARGET.to_string(),
        required: false,
    }
}

/// Whether a path (relative to the app directory) is a test, an example or documentation
/// rather than the app: where strata reads sources for how the app starts or which port it
/// binds, these mislead (a test module's app object, an example's server, a port in a test).
pub(crate) fn beside_the_app(path: &str) -> bool {
    let (dirs, file) = path.rsplit_once('/').unwrap_or(("", path));
    let aside = |dir: &str| {
        matches!(
            dir,
            "test"
                | "tests"
                | "__tests__"
                | "testdata"
                | "example"
                | "examples"
                | "docs"
                | "doc"
                | "benches"
        )
    };
    dirs.split('/').any(aside)
        || file.starts_with("test_")
        || file == "conftest.py"
        || [".test.", ".spec.", "_test."]
            .iter()
            .any(|m| file.contains(m))
}

pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn network(chosen: Option<NetworkMode>, default: Network) -> Network {
    match chosen {
        None => default,
        Some(NetworkMode::Default) => Network::Default,
        Some(NetworkMode::Host) => Network::Host,
        Some(NetworkMode::None) => Network::None,
    }
}

pub(crate) fn proxy_env(spec: &Spec) -> Option<ProxyEnv> {
    let p = &spec.proxy;
    if p.http.is_none() && p.https.is_none() && p.no_proxy.is_none() {
        return None;
    }
    Some(ProxyEnv {
        http: p.http.clone(),
        https: p.https.clone(),
        no_proxy: p.no_proxy.clone(),
    })
}

/// Every lockfile the spec names must be in the build context; one problem per missing file,
/// at the line that names it.
pub(crate) fn require_named_lockfiles(
    spec: &Spec,
    files: &ContextFiles,
    hint: &str,
) -> Result<(), Diagnostics> {
    let dir = &spec.path.value;
    let problems: Vec<Diagnostic> = spec
        .lockfiles
        .iter()
        .flatten()
        .filter(|lockfile| !files.contains(&context::join(dir, &lockfile.value)))
        .map(|lockfile| {
            Diagnostic::at(
                lockfile.location,
                format!(
                    "lockfile `{}` is not in the build context (looked for `{}`)",
                    lockfile.value,
                    context::join(dir, &lockfile.value)
                ),
            )
            .with_hint(hint)
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(problems))
    }
}

/// The runtime user: the spec's, or `default` (a base image's own unprivileged user).
pub(crate) fn runtime_user_or(spec: &Spec, default: &str, warnings: &mut Vec<String>) -> String {
    let user = spec
        .run
        .user
        .as_ref()
        .map_or_else(|| default.to_string(), |u| u.value.clone());
    if user.split(':').next() == Some("0") {
        warnings.push("the image runs as root (`run.user` is 0)".to_string());
    }
    user
}

/// A default base image as a stage base.
pub(crate) fn image_base(role: ImageRole) -> Base {
    Base::Image {
        reference: default_image(role).to_string(),
    }
}

/// The image's labels: its title, then the spec's `run.labels` (which may replace it).
pub(crate) fn image_labels(spec: &Spec, app: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(
        "org.opencontainers.image.title".to_string(),
        app.to_string(),
    )]);
    labels.extend(spec.run.labels.clone());
    labels
}

/// Where a compiled binary lives in the runtime image.
const BINARY_DIR: &str = "/app";

/// The runtime of a compiled language: the files the program reads at run time (if any) in
/// the working directory, then the build stage's one file `/<app>` linked onto its base as
/// `/app/<app>`, its entrypoint unless the spec names another, run as the spec's user (the
/// distroless `nonroot` uid 65532 by default).
pub(crate) fn binary_runtime(
    spec: &Spec,
    app: &str,
    runtime_files: Option<ContextSelection>,
    warnings: &mut Vec<String>,
) -> (Vec<Step>, ImageSettings) {
    let binary = format!("{BINARY_DIR}/{app}");
    let files = runtime_files.map(|files| Step::CopyContext {
        name: format!("[strata runtime] copy the files {app} reads at run time"),
        files,
        dest: BINARY_DIR.to_string(),
    });
    let steps = files
        .into_iter()
        .chain([Step::CopyFromStage {
            name: format!("[strata runtime] copy {app} binary"),
            stage: StageName::Build,
            src: format!("/{app}"),
            dest: binary.clone(),
        }])
        .collect();
    let image = stages::image_settings(
        spec,
        app,
        start::Start::new(vec![binary], "the built binary"),
        "65532:65532",
        BTreeMap::new(),
        warnings,
    );
    (steps, image)
}

/// The runtime base of an app that needs an interpreter: `static` (the default) and `slim` mean
/// `image`, the language's own slim image at the project's version; `scratch` is refused; an
/// image reference is taken as given. `app` names the app in the refusal ("a Node app"),
/// `needs` what scratch lacks, and `image_requirement` what a custom image must have.
pub(crate) fn interpreter_runtime(
    spec: &Spec,
    image: &str,
    app: &str,
    needs: &str,
    image_requirement: &str,
) -> Result<Base, Diagnostics> {
    match &spec.runtime.value {
        RuntimeBase::Static | RuntimeBase::Slim => Ok(Base::Image {
            reference: image.to_string(),
        }),
        RuntimeBase::Scratch => Err(Diagnostic::at(
            spec.runtime.location,
            format!("{app} cannot run on `scratch`: it needs {needs}"),
        )
        .with_hint(format!(
            "remove `target.runtime` to use {image}, or name an image with {image_requirement}"
        ))
        .into()),
        RuntimeBase::Image(reference) => Ok(Base::Image {
            reference: reference.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_examples_and_docs_are_beside_the_app() {
        for aside in [
            "tests/test_datastructures.py",
            "pkg/tests/helpers.py",
            "examples/fastapi/main.py",
            "docs/snippet.js",
            "src/server.test.ts",
            "handler_test.go",
            "conftest.py",
        ] {
            assert!(beside_the_app(aside), "{aside}");
        }
        for app in [
            "main.py",
            "src/app/main.py",
            "server.js",
            "cmd/api/main.go",
            "testing.py",
        ] {
            assert!(!beside_the_app(app), "{app}");
        }
    }

    /// A listing of these paths, with no contents.
    fn listing(paths: &[&str]) -> ContextFiles {
        let mut files = ContextFiles::default();
        files.paths.extend(paths.iter().map(|p| p.to_string()));
        files
    }

    fn python_context() -> ContextFiles {
        listing(&[
            "requirements.txt",
            "app.py",
            "fixtures/big.json",
            "data/seed.json",
        ])
    }

    #[test]
    fn build_exclude_has_the_last_word_and_build_include_brings_files_back() {
        let spec = crate::spec::parse(
            b"version: 1\nlanguage: python\nbuild:\n  include: [\"docs/**\"]\n  exclude: [\"fixtures\"]\n",
        )
        .expect("a valid spec");
        let mut files = python_context();
        files.paths.insert("docs/api.md".to_string());
        let plan = plan(&spec, &files).expect("plans");
        let sources = plan.sources().expect("the build sees the app");
        let seen = sources
            .pick(&plan.excluded, files.paths.iter().map(String::as_str))
            .unwrap();
        assert_eq!(
            seen,
            [
                "app.py",
                "data/seed.json",
                "docs/api.md",
                "requirements.txt"
            ]
        );
        let last = sources.rules.last().expect("rules");
        assert_eq!(
            (last.pattern.as_str(), last.selects, last.why.as_str()),
            ("fixtures", false, "build.exclude")
        );
    }

    #[test]
    fn a_pattern_the_engine_would_refuse_is_an_error_at_its_line() {
        let spec = crate::spec::parse(
            b"version: 1\nlanguage: python\nbuild:\n  exclude: [\"data/[.-]*\"]\n",
        )
        .expect("a valid spec");
        let problems = plan(&spec, &python_context()).unwrap_err();
        let rendered = problems.render("strata.yaml", "");
        assert!(rendered.starts_with("strata.yaml:4:"), "{rendered}");
        assert!(rendered.contains("`data/[.-]*`"), "{rendered}");
    }

    #[test]
    fn only_sites_have_a_static_directory_and_it_is_what_the_image_serves() {
        let spec = |language: &str| {
            let text = format!("version: 1\nlanguage: {language}\nrun:\n  static: public\n");
            crate::spec::parse(text.as_bytes()).expect("a valid spec")
        };
        let rendered = plan(&spec("python"), &python_context())
            .unwrap_err()
            .render("strata.yaml", "");
        assert!(rendered.starts_with("strata.yaml:4:11"), "{rendered}");
        assert!(rendered.contains("this is a python app"), "{rendered}");

        let files = listing(&[
            "index.html",
            "public/index.html",
            "public/app.css",
            "notes.txt",
        ]);
        let plan = plan(&spec("static"), &files).expect("plans");
        let runtime = plan
            .stage(crate::plan::StageName::Runtime)
            .expect("a runtime");
        let sources = runtime
            .steps
            .iter()
            .find_map(|step| match step {
                crate::plan::Step::CopyContext { files, .. } => Some(files),
                _ => None,
            })
            .expect("the runtime copies the site");
        let served = sources
            .pick(&plan.excluded, files.paths.iter().map(String::as_str))
            .unwrap();
        assert_eq!(served, ["public/app.css", "public/index.html"]);
        assert_eq!(plan.context_dir, "public");
    }

    #[test]
    fn another_languages_linters_do_not_make_a_second_app() {
        let context = |files: &[(&str, &str)]| {
            let mut context = ContextFiles::default();
            for (path, text) in files {
                context.paths.insert(path.to_string());
                context.contents.insert(path.to_string(), text.to_string());
            }
            context
        };
        let linters = r#"{"private": true, "devDependencies": {"eslint": "9", "stylelint": "17"},
            "scripts": {"lint": "eslint ."}}"#;
        let django = [
            ("manage.py", ""),
            ("requirements.txt", "Django==5.2\n"),
            ("package.json", linters),
            ("package-lock.json", "{}"),
        ];
        assert_eq!(detect(&context(&django), "."), [Language::Python]);
        // Browser libraries a script vendors into a Python app's static files, and their
        // formatter: nothing there starts or builds.
        let vendored = r#"{"private": true, "devDependencies": {"prettier": "3"},
            "dependencies": {"codemirror": "6", "rollup": "4"},
            "scripts": {"fix": "prettier --write 'app/static/*.js'"}}"#;
        let tool = [
            ("pyproject.toml", "[project]\nname = \"browse\"\n"),
            ("package.json", vendored),
        ];
        assert_eq!(detect(&context(&tool), "."), [Language::Python]);
        let with_index = [tool[0], tool[1], ("index.js", "")];
        assert_eq!(
            detect(&context(&with_index), "."),
            [Language::Python, Language::Node]
        );
        let formatter = "[tool.black]\nline-length = 100\n";
        let express = [
            (
                "package.json",
                r#"{"dependencies": {"express": "5"}, "main": "server.js"}"#,
            ),
            ("pyproject.toml", formatter),
        ];
        assert_eq!(detect(&context(&express), "."), [Language::Node]);
        // Alone, tooling is still the project's language; both real apps stay ambiguous.
        assert_eq!(
            detect(&context(&[("package.json", linters)]), "."),
            [Language::Node]
        );
        let both = [
            ("package.json", r#"{"scripts": {"start": "node web.js"}}"#),
            ("pyproject.toml", "[project]\nname = \"worker\"\n"),
        ];
        assert_eq!(
            detect(&context(&both), "."),
            [Language::Python, Language::Node]
        );
    }
}
