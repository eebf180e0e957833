//! One build, as the engine asks for it: read the spec, list the context, plan, resolve the
//! base images, lower, solve, and hand back the result with its image config.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use futures_util::future::try_join_all;

use super::bridge::{
    Bridge, EngineInfo, FrontendResult, ImageLookup, ImageResult, RefId, SpecFile, SpecLocation,
    Warning,
};
use super::options::{FrontendOptions, NoCache};
use super::{FrontendError, serve, subrequests};
use crate::image::{self, BaseImage, ImageInputs};
use crate::lang::{self, ContextFiles, IgnoreFile, Probe};
use crate::llb::{self, LocalSource, LowerOptions, Platform, ResolvedImage, SpecSource};
use crate::pipeline::build_arg_problems;
use crate::plan::{Base, Plan, ProxyEnv, RunsOn, StageName};
use crate::spec;

/// The entry point of `strata frontend`, the process the engine starts for a build.
pub fn run_frontend() -> ExitCode {
    serve(build)
}

async fn build(
    bridge: &Bridge,
    options: &FrontendOptions,
) -> Result<FrontendResult, FrontendError> {
    // The spec and the context's ignore file are independent transfers: overlap them.
    let (spec_file, context_ignore) = tokio::try_join!(
        bridge.read_spec(options),
        bridge.read_context_ignore(options)
    )?;
    let ignore = match (&spec_file.ignore_file, context_ignore) {
        (Some((name, bytes)), _) => Some(IgnoreFile::parse(name, &String::from_utf8_lossy(bytes))),
        (None, Some(bytes)) => Some(IgnoreFile::parse(
            lang::DOCKERIGNORE,
            &String::from_utf8_lossy(&bytes),
        )),
        (None, None) => None,
    };
    let in_spec = |problems| spec_error(&spec_file, problems);
    let linting = options.request.as_deref() == Some(subrequests::LINT);
    let lint = |outcome: Result<&[String], &spec::Diagnostics>| {
        let answer = subrequests::lint(&spec_file.filename, &spec_file.contents, outcome);
        Ok(FrontendResult::Answer(answer))
    };
    let mut spec = match spec::parse(&spec_file.contents) {
        Err(problems) if linting => return lint(Err(&problems)),
        parsed => parsed.map_err(in_spec)?,
    };
    // The image the engine runs as the frontend (from the `# syntax=` line or BUILDKIT_SYNTAX).
    if let Some(source) = options.raw.get("source") {
        spec.frontend_image = Some(source.clone());
    }
    spec::mirrors::apply_build_args(&mut spec, &options.build_args)
        .map_err(|problems| FrontendError::Message(build_arg_problems(&problems)))?;

    let probe = lang::probe_for(&spec);
    // Independent round trips to the engine: overlap them.
    let (engine, files) = tokio::try_join!(
        async { Ok::<_, FrontendError>(bridge.ping().await?) },
        list_context(bridge, options, &spec.path.value, &probe, ignore)
    )?;
    let engine_platform = engine.worker_platforms.first().cloned().ok_or_else(|| {
        FrontendError::from("the engine reported no worker platform; pass --platform")
    })?;
    let platforms = match options.platforms.as_slice() {
        [] => vec![engine_platform.clone()],
        named => named.to_vec(),
    };
    let mut plan = match lang::plan(&spec, &files) {
        Err(problems) if linting => return lint(Err(&problems)),
        Ok(plan) if linting => return lint(Ok(&warnings(&plan, options))),
        planned => planned.map_err(in_spec)?,
    };
    plan.apply_build_proxy(&proxy_from_build_args(&options.build_args));
    replace_named_images(&mut plan, options)?;
    if options.target.as_deref() == Some(DOCTOR_TARGET) {
        return doctor_check(bridge, options, &plan, &engine, &engine_platform).await;
    }
    let target = match &options.target {
        Some(name) => StageName::parse(name)?,
        None => StageName::Runtime,
    };
    if let Some(request) = &options.request {
        return Ok(FrontendResult::Answer(subrequests::answer(
            request, &plan, target,
        )?));
    }
    let missing = llb::missing_caps(&plan, &engine.llb_caps);
    if !missing.is_empty() {
        return Err(FrontendError::Message(format!(
            "this engine lacks {}: strata needs {} or newer; upgrade the engine (`strata doctor` \
             reports it)",
            missing.join(", "),
            llb::ENGINE_FLOOR
        )));
    }
    for message in warnings(&plan, options) {
        bridge
            .warn(Warning {
                message,
                vertex: Some(spec_file.vertex.clone()),
                ..Default::default()
            })
            .await?;
    }

    let no_cache = stages_without_cache(&options.no_cache);
    let spec_source = SpecSource {
        filename: &spec_file.filename,
        contents: &spec_file.contents,
        stage_lines: stage_lines(&spec),
    };
    let request = StageRequest {
        target,
        no_cache: &no_cache,
        spec_source: Some(&spec_source),
    };
    let images = platforms
        .iter()
        .map(|platform| build_image(bridge, options, &plan, &request, platform, &engine_platform));
    Ok(FrontendResult::Images(try_join_all(images).await?))
}

/// A spec's problems as the build's error. The spec's own lines go with it, so buildx quotes
/// them above the message, marked, as it quotes a Dockerfile's.
fn spec_error(spec_file: &SpecFile, problems: spec::Diagnostics) -> FrontendError {
    let source = String::from_utf8_lossy(&spec_file.contents);
    let message = problems.render(&spec_file.filename, &source);
    let ranges: Vec<(u32, u32)> = problems
        .spec_lines()
        .into_iter()
        .map(|line| {
            let line = u32::try_from(line).unwrap_or(u32::MAX);
            (line, line)
        })
        .collect();
    if ranges.is_empty() {
        return FrontendError::Message(message);
    }
    FrontendError::InSpec {
        message,
        location: SpecLocation {
            filename: spec_file.filename.clone(),
            contents: spec_file.contents.clone(),
            language: "yaml".to_string(),
            ranges,
        },
    }
}

/// What the user is warned of: the plan's warnings, and build args strata does not read.
fn warnings(plan: &Plan, options: &FrontendOptions) -> Vec<String> {
    let mut warnings = plan.warnings.clone();
    warnings.extend(unused_build_args(&options.build_args));
    warnings
}

/// What `strata doctor` asks for instead of a stage: the reachability check of the plan's
/// dependency steps, with what the engine says of itself, as a directory to export.
const DOCTOR_TARGET: &str = "doctor";

async fn doctor_check(
    bridge: &Bridge,
    options: &FrontendOptions,
    plan: &Plan,
    engine: &EngineInfo,
    engine_platform: &Platform,
) -> Result<FrontendResult, FrontendError> {
    let facts = serde_json::json!({
        "llb_caps": engine.llb_caps,
        "gateway_caps": engine.gateway_caps,
        "platforms": engine.worker_platforms.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    let check = lang::reachability_plan(plan, &facts.to_string());
    // Always run afresh: an answer from the cache is not a check.
    let request = StageRequest {
        target: StageName::Deps,
        no_cache: &[StageName::Deps],
        spec_source: None,
    };
    let image = build_image(
        bridge,
        options,
        &check,
        &request,
        engine_platform,
        engine_platform,
    )
    .await?;
    Ok(FrontendResult::Images(vec![image]))
}

/// Which stage to build, and how: the same for every platform.
struct StageRequest<'a> {
    target: StageName,
    no_cache: &'a [StageName],
    spec_source: Option<&'a SpecSource<'a>>,
}

/// The spec line each stage's steps are shown with when one fails: the key that chose what the
/// stage does (the lockfiles or the language for the dependencies, `build.main` or the
/// language for the compile, the language for the runtime), else the spec's first line.
fn stage_lines(spec: &spec::Spec) -> BTreeMap<StageName, u32> {
    let line = |location: Option<spec::Location>| {
        location.map_or(1, |at| u32::try_from(at.line).unwrap_or(u32::MAX))
    };
    let language = spec.language.as_ref().map(|l| l.location);
    let lockfiles = spec
        .lockfiles
        .as_ref()
        .and_then(|files| files.first())
        .map(|f| f.location);
    let main = spec.build.main.as_ref().map(|m| m.location);
    BTreeMap::from([
        (StageName::Deps, line(lockfiles.or(language))),
        (StageName::Build, line(main.or(language))),
        (StageName::Runtime, line(language)),
    ])
}

/// The image of the requested stage for one platform.
async fn build_image(
    bridge: &Bridge,
    options: &FrontendOptions,
    plan: &Plan,
    request: &StageRequest<'_>,
    platform: &Platform,
    engine_platform: &Platform,
) -> Result<ImageResult, FrontendError> {
    let StageRequest {
        target,
        no_cache,
        spec_source,
    } = *request;
    let lookups = resolve_base_images(bridge, options, plan, platform, engine_platform).await?;
    let resolved: BTreeMap<String, ResolvedImage> = lookups
        .iter()
        .map(|(reference, lookup)| {
            let env = image::config_env(&lookup.config);
            let digest = lookup.digest.clone();
            (reference.clone(), ResolvedImage { digest, env })
        })
        .collect();
    let definition = llb::lower(
        plan,
        &LowerOptions {
            session_id: Some(&options.session_id),
            context_directory: &options.context_local_name,
            platform: Some(platform),
            build_platform: Some(engine_platform),
            image_resolve_mode: Some(options.image_resolve_mode.as_str()),
            target,
            images: &resolved,
            no_cache,
            spec_source,
        },
    );
    let result = bridge.solve(definition).await?;

    let stage = plan
        .stage(target)
        .expect("every plan has the deps, build and runtime stages");
    let base = match &stage.base {
        Base::Image { reference } => lookups.get(reference).map(|l| BaseImage {
            reference,
            digest: &l.digest,
            config: &l.config,
        }),
        Base::Stage { .. } | Base::Scratch => None,
    };
    let config = match target {
        StageName::Runtime => image::runtime_config(&ImageInputs {
            settings: &plan.image,
            base,
            os: &platform.os,
            architecture: &platform.architecture,
            extra_labels: &options.labels,
            layer_description: &format!("strata: the {} app {}", plan.language, plan.app),
        })?,
        // The intermediate stages are for looking into; they keep their base's config.
        StageName::Deps | StageName::Build => {
            image::intermediate_config(base.map(|b| b.config), &platform.os, &platform.architecture)
        }
    };
    Ok(ImageResult {
        result,
        config,
        platform: platform.clone(),
    })
}

/// `--no-cache` means every stage; `--no-cache-filter` names some.
fn stages_without_cache(no_cache: &NoCache) -> Vec<StageName> {
    match no_cache {
        NoCache::Off => Vec::new(),
        NoCache::All => StageName::ALL.to_vec(),
        NoCache::Stages(names) => StageName::ALL
            .into_iter()
            .filter(|s| names.iter().any(|n| n == s.as_str()))
            .collect(),
    }
}

/// Lists the app directory as the engine transfers it (without what the ignore file and the
/// never-inputs leave out), and reads the files the provider asked for.
async fn list_context(
    bridge: &Bridge,
    options: &FrontendOptions,
    app_dir: &str,
    probe: &Probe,
    ignore: Option<IgnoreFile>,
) -> Result<ContextFiles, FrontendError> {
    let include: Vec<String> = if app_dir == "." {
        Vec::new()
    } else {
        vec![app_dir.to_string()]
    };
    // The first step of every build that names strata: the progress output says which
    // release of the frontend the engine runs.
    let name = format!(
        "[strata {}] list the build context",
        env!("CARGO_PKG_VERSION")
    );
    let transfer = llb::local_files(LocalSource {
        directory: &options.context_local_name,
        session_id: Some(&options.session_id),
        include: &include,
        exclude: &lang::context_excludes(ignore.as_ref(), app_dir, probe),
        fresh: false,
        name: &name,
    });
    let listing = bridge.solve(transfer.definition).await?;
    let mut files = ContextFiles {
        ignore,
        ..ContextFiles::default()
    };
    // One ReadDir per directory: the directories of one depth are asked for together, so a deep
    // tree costs a round trip per level, not per directory.
    let mut level = vec![String::new()];
    while !level.is_empty() {
        let listings = try_join_all(level.iter().map(|dir| {
            let shown = if dir.is_empty() { "/" } else { dir.as_str() };
            bridge.read_dir(&listing, shown, None)
        }))
        .await?;
        let mut next = Vec::new();
        for (dir, entries) in level.iter().zip(listings) {
            for entry in entries {
                let path = if dir.is_empty() {
                    entry.path.clone()
                } else {
                    format!("{dir}/{}", entry.path)
                };
                if entry.is_dir() {
                    next.push(path);
                } else {
                    files.paths.insert(path);
                }
            }
        }
        level = next;
    }
    let wanted = files
        .to_read(app_dir, probe)
        .map_err(|e| format!("a provider's read pattern is invalid: {e}"))?;
    let texts = try_join_all(wanted.iter().map(|path| read_text(bridge, &listing, path))).await?;
    files.contents.extend(wanted.into_iter().zip(texts));
    Ok(files)
}

async fn read_text(bridge: &Bridge, listing: &RefId, path: &str) -> Result<String, FrontendError> {
    let bytes = bridge.read_file(listing, path, None).await?;
    // Read as the CLI reads it: a stray non-UTF-8 byte only blurs what it is part of.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Each base image's digest and config, for the platform its stage runs on.
async fn resolve_base_images(
    bridge: &Bridge,
    options: &FrontendOptions,
    plan: &Plan,
    platform: &Platform,
    engine_platform: &Platform,
) -> Result<BTreeMap<String, ImageLookup>, FrontendError> {
    let lookups = plan
        .images()
        .into_iter()
        .map(|(reference, runs_on)| async move {
            let for_platform = match runs_on {
                RunsOn::Target => platform,
                RunsOn::Build { .. } => engine_platform,
            };
            let resolvable = match reference.starts_with(llb::OCI_LAYOUT_SCHEME) {
                true => reference.to_string(),
                false => llb::normalise_image(reference),
            };
            let lookup = bridge
                .resolve_image_config(
                    &resolvable,
                    Some(for_platform),
                    options.image_resolve_mode,
                    &options.session_id,
                    &format!("[strata] resolve image config for {reference} ({for_platform})"),
                )
                .await?;
            Ok::<_, FrontendError>((reference.to_string(), lookup))
        });
    Ok(try_join_all(lookups).await?.into_iter().collect())
}

/// Base images replaced from the command line as the Dockerfile frontend replaces a `FROM`:
/// `--build-context golang:1.27-trixie=docker-image://mirror.corp/library/golang:1.27-trixie`
/// (buildx sends it as `context:<name>`). The name matches a plan's image as written or in
/// its full form (`docker.io/library/…`). A named context of another kind, or one that names
/// no image of the plan, is an error that lists the names that can be replaced.
fn replace_named_images(plan: &mut Plan, options: &FrontendOptions) -> Result<(), FrontendError> {
    let named: BTreeMap<&str, &str> = options
        .raw
        .iter()
        // `context:NAME::PLATFORM` is a name's context for one platform.
        .filter_map(|(key, value)| {
            let name = key.strip_prefix("context:")?;
            Some((name.split("::").next().unwrap_or(name), value.as_str()))
        })
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let images: Vec<String> = plan.images().iter().map(|(r, _)| r.to_string()).collect();
    let replaceable = || images.join(", ");
    let mut replacements = BTreeMap::new();
    for (name, value) in named {
        // A registry image by its reference; an OCI layout as buildx sends it, the client's
        // store id with the image's digest (`oci-layout://STORE[:TAG]@DIGEST`).
        let registry = value.strip_prefix("docker-image://");
        let layout = value
            .strip_prefix(llb::OCI_LAYOUT_SCHEME)
            .and_then(|layout| layout.split_once('@'));
        if registry.is_none() && layout.is_none() {
            return Err(FrontendError::Message(format!(
                "named context {name}={value}: strata replaces base images only, with \
                 docker-image://IMAGE or oci-layout://DIR; the images this build can replace \
                 are {}",
                replaceable()
            )));
        }
        let wanted = llb::normalise_image(name);
        let Some(original) = images
            .iter()
            .find(|i| *i == name || llb::normalise_image(i) == wanted)
        else {
            return Err(FrontendError::Message(format!(
                "named context {name} names no image of this build; the images it can \
                 replace are {}",
                replaceable()
            )));
        };
        let image = match (registry, layout) {
            (Some(image), _) => image.to_string(),
            // The plan's form: the store id, then the replaced image's name without its tag.
            (None, Some((store, digest))) => {
                let store = store.split(':').next().unwrap_or(store);
                let full = llb::normalise_image(original);
                let name = match full.rsplit_once(':') {
                    Some((name, tag)) if !tag.contains('/') => name,
                    _ => full.as_str(),
                };
                format!("{}{store}/{name}@{digest}", llb::OCI_LAYOUT_SCHEME)
            }
            (None, None) => unreachable!("refused above"),
        };
        replacements.insert(original.clone(), image);
    }
    plan.replace_images(|reference| replacements.get(reference).cloned());
    Ok(())
}

/// The build args every tool understands as proxy settings, in either case.
const PROXY_ARGS: [(&str, &str); 3] = [
    ("HTTP_PROXY", "http_proxy"),
    ("HTTPS_PROXY", "https_proxy"),
    ("NO_PROXY", "no_proxy"),
];

fn proxy_from_build_args(args: &BTreeMap<String, String>) -> ProxyEnv {
    let get = |(upper, lower): (&str, &str)| args.get(upper).or_else(|| args.get(lower)).cloned();
    ProxyEnv {
        http: get(PROXY_ARGS[0]),
        https: get(PROXY_ARGS[1]),
        no_proxy: get(PROXY_ARGS[2]),
    }
}

/// Build args the engine's exporters read themselves: `SOURCE_DATE_EPOCH` (which buildx passes
/// from the environment) sets the image's `created` and history times and, with
/// `rewrite-timestamp=true` on the output, the layers' file times.
const ENGINE_ARGS: [&str; 1] = ["SOURCE_DATE_EPOCH"];

/// Build args strata does not read, so that a typo is not silently ignored. `BUILDKIT_*`
/// args belong to the engine and buildx.
fn unused_build_args(args: &BTreeMap<String, String>) -> Vec<String> {
    let known: BTreeSet<&str> = PROXY_ARGS
        .iter()
        .flat_map(|(u, l)| [*u, *l])
        .chain(ENGINE_ARGS)
        .collect();
    args.keys()
        .filter(|k| {
            !known.contains(k.as_str())
                && !spec::mirrors::is_mirror_arg(k)
                && !k.starts_with("BUILDKIT_")
        })
        .map(|k| {
            format!(
                "build arg {k} is not used by strata (it reads proxy and mirror settings from \
                 build args: README's \"Mirrors per environment\")"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_build_args_are_read_in_either_case_mirrors_are_known_and_others_are_reported() {
        let args = BTreeMap::from([
            ("https_proxy".to_string(), "http://proxy:3128".to_string()),
            ("NO_PROXY".to_string(), "localhost".to_string()),
            ("GOPROXY".to_string(), "direct".to_string()),
            ("GOFLAGS".to_string(), "-v".to_string()),
            ("BUILDKIT_INLINE_CACHE".to_string(), "1".to_string()),
            ("SOURCE_DATE_EPOCH".to_string(), "0".to_string()),
        ]);
        let proxy = proxy_from_build_args(&args);
        assert_eq!(proxy.https.as_deref(), Some("http://proxy:3128"));
        assert_eq!(proxy.no_proxy.as_deref(), Some("localhost"));
        assert_eq!(proxy.http, None);
        let unused = unused_build_args(&args);
        assert_eq!(unused.len(), 1, "{unused:?}");
        assert!(
            unused[0].starts_with("build arg GOFLAGS is not used"),
            "{unused:?}"
        );
    }

    fn options(pairs: &[(&str, &str)]) -> FrontendOptions {
        let raw = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FrontendOptions::from_raw(raw, String::new()).expect("valid options")
    }

    fn go_web() -> Plan {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/go-web");
        crate::pipeline::plan_directory(&dir, &dir.join("strata.yaml"), &BTreeMap::new())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_named_image_context_replaces_that_base_image_as_written_or_in_full() {
        let original: Vec<String> = go_web()
            .images()
            .iter()
            .map(|(r, _)| r.to_string())
            .collect();
        let builder = original[0].clone();
        for name in [builder.clone(), format!("docker.io/library/{builder}")] {
            let mut plan = go_web();
            let key = format!("context:{name}");
            let value = "docker-image://127.0.0.1:5000/mirror/golang:1.27-trixie";
            replace_named_images(&mut plan, &options(&[(&key, value)])).unwrap();
            let images: Vec<String> = plan.images().iter().map(|(r, _)| r.to_string()).collect();
            assert_eq!(
                images[0], "127.0.0.1:5000/mirror/golang:1.27-trixie",
                "{name}"
            );
            assert_eq!(images[1..], original[1..], "other images stay");
        }
        // An OCI layout, as buildx sends it: the client's store id and the image's digest.
        let digest = format!("sha256:{}", "0".repeat(64));
        let layout = format!("oci-layout://k2f9x1:1.27-trixie@{digest}");
        let mut plan = go_web();
        let key = format!("context:{builder}");
        replace_named_images(&mut plan, &options(&[(&key, &layout)])).unwrap();
        let layout = format!("oci-layout://k2f9x1/docker.io/library/golang@{digest}");
        assert_eq!(plan.images()[0].0, layout);
        let definition = crate::llb::lower(
            &plan,
            &crate::llb::LowerOptions {
                session_id: Some("session-1"),
                context_directory: "context",
                platform: None,
                build_platform: None,
                image_resolve_mode: None,
                target: StageName::Deps,
                images: &BTreeMap::new(),
                no_cache: &[],
                spec_source: None,
            },
        );
        let json = crate::llb::definition_to_json(&definition).to_string();
        assert!(
            json.contains(&layout) && json.contains("session-1") && json.contains("k2f9x1"),
            "the layout is not a source with its session and store: {json}"
        );
    }

    #[test]
    fn a_named_context_strata_cannot_use_is_refused_with_the_replaceable_images() {
        for (key, value, expected) in [
            (
                "context:node:24",
                "docker-image://mirror/node:24",
                "names no image of this build",
            ),
            (
                "context:golang:1.27-trixie",
                "local:golang",
                "docker-image://IMAGE",
            ),
        ] {
            let error = replace_named_images(&mut go_web(), &options(&[(key, value)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{error}");
            assert!(error.contains("golang:1.27-trixie"), "{error}");
        }
    }
}
