//! Lowers a [`Plan`] to an LLB definition.

use std::collections::BTreeMap;

use bollard_buildkit_proto::pb;
use sha2::{Digest, Sha256};

use super::builder::{Copy, Exec, ExecMount, Fs, Graph, LocalSource, Output};
use super::platform::Platform;
use crate::plan::{
    Base, CacheSharing, ContextSelection, Mount, Network, Plan, RunsOn, StageName, StageResult,
    Step, TargetPart, WRAPPER, shell_quote,
};

/// What the engine told us about a base image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedImage {
    /// `sha256:...`; the image source is pinned to it so one build sees one image.
    pub digest: String,
    /// The image's `KEY=value` environment, which every step run on it starts from (the
    /// toolchain's PATH lives there).
    pub env: Vec<String>,
}

pub struct LowerOptions<'a> {
    /// The build's session, through which BuildKit reads the local context. `None` for
    /// `strata llb`, which has no engine.
    pub session_id: Option<&'a str>,
    /// The client directory holding the build context (`context` unless buildx says otherwise).
    pub context_directory: &'a str,
    /// The platform being built (`--platform`, one of them per lowering).
    pub platform: Option<&'a Platform>,
    /// The engine's own platform, where stages that cross-compile run. `None` means the same
    /// as `platform`.
    pub build_platform: Option<&'a Platform>,
    pub image_resolve_mode: Option<&'a str>,
    pub target: StageName,
    /// Base images by the reference the plan uses; an image missing here is used unpinned.
    pub images: &'a BTreeMap<String, ResolvedImage>,
    /// Stages whose steps must run again (`--no-cache`, `--no-cache-filter`).
    pub no_cache: &'a [StageName],
    /// The spec the plan came from, when the engine should show which of its lines a step
    /// came from. `None` for `strata llb`.
    pub spec_source: Option<&'a SpecSource<'a>>,
}

/// The spec a definition is lowered from: BuildKit keeps it with the definition, and a failed
/// step's error quotes the line its stage is attributed to.
pub struct SpecSource<'a> {
    pub filename: &'a str,
    pub contents: &'a [u8],
    /// The spec line of each stage's steps: the key that chose what the stage does.
    pub stage_lines: BTreeMap<StageName, u32>,
}

/// Each stage as lowered: the filesystem later stages build on, and what it hands on.
struct Lowered {
    /// The image at the bottom of the stage's chain (its own base, or its base stage's).
    bottom: Fs,
    filesystem: Fs,
    result: Fs,
    env: Vec<String>,
}

pub fn lower(plan: &Plan, options: &LowerOptions<'_>) -> pb::Definition {
    let mut graph = Graph::default();
    let target_platform = options.platform.map(Platform::to_pb);
    let build_platform = options
        .build_platform
        .or(options.platform)
        .map(Platform::to_pb);
    let mut done: BTreeMap<StageName, Lowered> = BTreeMap::new();
    let app_root = context_root(&plan.context_dir);
    let source_info = options.spec_source.map(|spec| pb::SourceInfo {
        filename: spec.filename.to_string(),
        data: spec.contents.to_vec(),
        language: "yaml".to_string(),
        definition: None,
    });

    for stage in &plan.stages {
        let label = stage.name.as_str();
        graph.set_ignore_cache(options.no_cache.contains(&stage.name));
        if let (Some(info), Some(spec)) = (&source_info, options.spec_source) {
            graph.set_source_line(info, spec.stage_lines.get(&stage.name).copied());
        }
        let (platform, target_env) = match &stage.runs_on {
            RunsOn::Target => (target_platform.clone(), Vec::new()),
            RunsOn::Build { target_env } => {
                (build_platform.clone(), told_target(target_env, options))
            }
        };
        let (mut fs, base_env, bottom): (Fs, Vec<String>, Fs) = match &stage.base {
            Base::Image { reference } => {
                let image = image_source(&mut graph, options, reference, platform.clone());
                let env = options
                    .images
                    .get(reference)
                    .map(|r| r.env.clone())
                    .unwrap_or_default();
                (Some(image.clone()), env, Some(image))
            }
            Base::Stage { stage } => {
                let earlier = done
                    .get(stage)
                    .expect("a plan's stages only build on earlier stages");
                (
                    earlier.filesystem.clone(),
                    earlier.env.clone(),
                    earlier.bottom.clone(),
                )
            }
            Base::Scratch => (None, Vec::new(), None),
        };
        // Step wrappers are written onto the stage's base, not onto the step's own filesystem,
        // so they are made once and stay cached while the steps before them change.
        let stage_base = fs.clone();
        let mut outputs: BTreeMap<String, Output> = BTreeMap::new();
        for step in &stage.steps {
            match step {
                Step::CopyContext { name, files, dest } => {
                    let context = context_view(&mut graph, options, plan, label, files);
                    fs = Some(graph.copy(Copy {
                        name,
                        onto: fs,
                        from: context,
                        src: &app_root,
                        dest,
                    }));
                }
                Step::CopyFromStage {
                    name,
                    stage: from,
                    src,
                    dest,
                } => {
                    let source = done
                        .get(from)
                        .expect("a plan's stages only copy from earlier stages")
                        .result
                        .clone()
                        .expect("a stage that is copied from produces files");
                    fs = Some(linked_copy(&mut graph, fs, name, source, src, dest));
                }
                Step::CopyFromImage {
                    name,
                    image,
                    src,
                    dest,
                } => {
                    let source = image_source(&mut graph, options, image, platform.clone());
                    fs = Some(linked_copy(&mut graph, fs, name, source, src, dest));
                }
                Step::LayersOfStage { name, stage: from } => {
                    let earlier = done
                        .get(from)
                        .expect("a plan's stages only take layers of earlier stages");
                    let upper = earlier
                        .filesystem
                        .clone()
                        .expect("a stage whose layers are taken has steps");
                    // BuildKit answers a diff against an ancestor with the layers between
                    // the two, and an overlay snapshotter merges them without copying.
                    let layers = match &earlier.bottom {
                        Some(lower) => graph.diff(lower, &upper, &format!("{name}: own layers")),
                        None => upper,
                    };
                    fs = Some(match fs {
                        Some(base) => graph.merge(&[base, layers], name),
                        None => layers,
                    });
                }
                Step::WriteFiles { name, files, dest } => {
                    let files: Vec<(String, String)> = files
                        .iter()
                        .map(|f| {
                            (
                                format!("{}/{}", dest.trim_end_matches('/'), f.path),
                                f.contents.clone(),
                            )
                        })
                        .collect();
                    let base = fs.expect("generated files are written onto a base image");
                    fs = Some(graph.write_files(&base, &files, 0o644, name));
                }
                Step::Run(run) => {
                    let rootfs = fs.expect("a run step has a base image with a shell and tools");
                    let settings_id = run.mounts.iter().find_map(|mount| match mount {
                        Mount::BuildSettings { id, .. } => {
                            Some(build_settings_id(id, options.session_id, platform.as_ref()))
                        }
                        _ => None,
                    });
                    let mut mounts = Vec::new();
                    let mut output_targets = Vec::new();
                    for mount in &run.mounts {
                        if let Mount::BuildSettings { target, env, .. } = mount {
                            let id = settings_id
                                .as_deref()
                                .expect("the id of the step's build-settings mount");
                            let base = stage_base
                                .clone()
                                .expect("a run step's stage has a base image");
                            let written = write_build_settings(
                                &mut graph,
                                base,
                                (target, id, env),
                                &base_env,
                                platform.clone(),
                            );
                            mounts.push(ExecMount::Cache {
                                target,
                                id,
                                sharing: pb::CacheSharingOpt::Shared,
                                starts_from: None,
                            });
                            mounts.push(ExecMount::Bind {
                                target: SETTINGS_WRITTEN,
                                source: written,
                                selector: "",
                                readonly: true,
                            });
                            continue;
                        }
                        mounts.push(match mount {
                            Mount::Cache {
                                target,
                                id,
                                sharing,
                                starts_from,
                            } => ExecMount::Cache {
                                target,
                                id,
                                sharing: match sharing {
                                    CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                                    CacheSharing::Locked => pb::CacheSharingOpt::Locked,
                                },
                                starts_from: starts_from
                                    .as_deref()
                                    .map(|dir| (rootfs.clone(), dir)),
                            },
                            Mount::Context {
                                target,
                                files,
                                writable,
                            } => ExecMount::Bind {
                                target,
                                source: context_view(&mut graph, options, plan, label, files),
                                selector: &app_root,
                                readonly: !writable,
                            },
                            Mount::Output { target } => {
                                output_targets.push(target.clone());
                                ExecMount::Output { target }
                            }
                            Mount::Secret {
                                id,
                                target,
                                required,
                            } => ExecMount::Secret {
                                target,
                                id,
                                required: *required,
                            },
                            Mount::Tmpfs { target } => ExecMount::Tmpfs { target },
                            Mount::SshAgent { id, target } => ExecMount::SshAgent { target, id },
                            Mount::BuildSettings { .. } => unreachable!("mounted above"),
                        });
                    }
                    let invocation = run.invocation();
                    let wrapper_source = invocation.wrapper.as_ref().map(|script| {
                        let base = stage_base
                            .as_ref()
                            .expect("a run step's stage has a base image");
                        graph.write_files(
                            base,
                            &[(WRAPPER_SOURCE.to_string(), script.clone())],
                            0o755,
                            &format!("[internal] strata step wrapper: {}", run.name),
                        )
                    });
                    if let Some(source) = wrapper_source {
                        mounts.push(ExecMount::Bind {
                            target: WRAPPER,
                            source,
                            selector: WRAPPER_SOURCE,
                            readonly: true,
                        });
                    }
                    let mut env = step_env(&base_env, &invocation.env);
                    env.extend(target_env.iter().cloned());
                    let done_exec = graph.exec(Exec {
                        name: &run.name,
                        rootfs,
                        argv: &invocation.argv,
                        env: &env,
                        cwd: &run.cwd,
                        mounts,
                        network: match run.network {
                            Network::Default => pb::NetMode::Unset,
                            Network::Host => pb::NetMode::Host,
                            Network::None => pb::NetMode::None,
                        },
                        proxy: run.proxy.as_ref().map(|p| pb::ProxyEnv {
                            http_proxy: p.http.clone().unwrap_or_default(),
                            https_proxy: p.https.clone().unwrap_or_default(),
                            no_proxy: p.no_proxy.clone().unwrap_or_default(),
                            ..Default::default()
                        }),
                        platform: platform.clone(),
                    });
                    fs = Some(done_exec.rootfs);
                    outputs.extend(output_targets.into_iter().zip(done_exec.outputs));
                }
            }
        }
        let result = match &stage.result {
            StageResult::Filesystem => fs.clone(),
            StageResult::OutputDir { path } => Some(
                outputs
                    .get(path)
                    .expect("a stage's output dir is mounted by one of its steps")
                    .clone(),
            ),
        };
        let finished = stage.name == options.target;
        done.insert(
            stage.name,
            Lowered {
                bottom,
                filesystem: fs,
                result,
                env: base_env,
            },
        );
        if finished {
            break;
        }
    }
    let result = done
        .get(&options.target)
        .map(|s| s.result.clone())
        .unwrap_or_default();
    graph.into_definition(&result)
}

/// The cache id a build's settings go through: the plan's (which names the values) scoped to
/// this build and platform. A cache mount's id is not part of any cache key, so this changes
/// no step's key; it keeps builds from sharing the record, which once left a reader, beside a
/// parallel build writing the same settings, with an empty one (engine_concurrency, in CI).
fn build_settings_id(id: &str, session: Option<&str>, platform: Option<&pb::Platform>) -> String {
    let Some(session) = session else {
        return id.to_string();
    };
    let platform = platform.map_or(String::new(), |p| format!("{}/{}", p.os, p.architecture));
    let scope = Sha256::digest(format!("{session}\n{platform}"));
    format!("{id}/{}", &hex::encode(scope)[..12])
}

/// Where the wrapper is written, in its own layer over the stage's base. BuildKit keys a
/// read-only mount by the content at its selector, listing the selector's parent directory
/// first: one level down, that is this directory alone, where a file at the top would have it
/// list the whole builder image (0.4 s of golang's before the first step of a cold build).
const WRAPPER_SOURCE: &str = "/.strata/step";

/// Where a step that reads build settings mounts the (empty) output of the step that wrote
/// them: that makes the writer run first, and, an empty directory's content being all the
/// engine keys a read-only mount by, keeps the values out of the reader's cache key.
const SETTINGS_WRITTEN: &str = "/run/strata-build-settings-written";

/// The step that writes build settings (`env`, as export lines) into the cache directory `id`
/// at `target`. It runs on every build, as the values are not in any cache key: the written
/// file is always this build's. Returns its empty output, for the reader to mount.
fn write_build_settings(
    graph: &mut Graph,
    base: Output,
    (target, id, env): (&str, &str, &BTreeMap<String, String>),
    base_env: &[String],
    platform: Option<pb::Platform>,
) -> Output {
    let exports: String = env
        .iter()
        .map(|(k, v)| format!("export {k}={}\n", shell_quote(v)))
        .collect();
    let argv = [
        "/bin/sh".to_string(),
        "-c".to_string(),
        format!("printf '%s' \"$STRATA_BUILD_SETTINGS\" > {target}/env"),
    ];
    let env = step_env(
        base_env,
        &BTreeMap::from([("STRATA_BUILD_SETTINGS".to_string(), exports)]),
    );
    let done = graph.ignoring_cache(|graph| {
        graph.exec(Exec {
            name: "[internal] strata: settings from build args",
            rootfs: base,
            argv: &argv,
            env: &env,
            cwd: "/",
            mounts: vec![
                ExecMount::Cache {
                    target,
                    id,
                    sharing: pb::CacheSharingOpt::Shared,
                    starts_from: None,
                },
                ExecMount::Output {
                    target: SETTINGS_WRITTEN,
                },
            ],
            network: pb::NetMode::None,
            proxy: None,
            platform,
        })
    });
    done.outputs
        .into_iter()
        .next()
        .expect("the writer has one output mount")
}

/// An image as a source. A reference the spec pins by digest stays as written; any other is
/// pinned to the digest the engine resolved, so one build sees one image.
fn image_source(
    graph: &mut Graph,
    options: &LowerOptions<'_>,
    reference: &str,
    platform: Option<bollard_buildkit_proto::pb::Platform>,
) -> Output {
    let pinned = match options.images.get(reference) {
        Some(r) if !r.digest.is_empty() && !reference.contains('@') => {
            format!("{reference}@{}", r.digest)
        }
        _ => reference.to_string(),
    };
    graph.image(
        &pinned,
        platform,
        options.image_resolve_mode,
        options.session_id,
    )
}

/// `src` of `from` copied into an empty filesystem, as a layer stacked onto `fs` without
/// touching it (like `COPY --link`): a change below never re-runs what made the layer.
fn linked_copy(
    graph: &mut Graph,
    fs: Fs,
    name: &str,
    from: Output,
    src: &str,
    dest: &str,
) -> Output {
    let layer = graph.copy(Copy {
        name,
        onto: None,
        from,
        src,
        dest,
    });
    match fs {
        Some(base) => graph.merge(&[base, layer], &format!("{name}: link onto the base")),
        None => layer,
    }
}

/// The selected files of the build context, as one local source: the selection's rules as
/// include patterns, what the plan excludes everywhere as exclude patterns.
fn context_view(
    graph: &mut Graph,
    options: &LowerOptions<'_>,
    plan: &Plan,
    stage_label: &str,
    files: &ContextSelection,
) -> Output {
    let include = files.include_patterns();
    let selected: Vec<&str> = files
        .rules
        .iter()
        .filter(|r| r.selects)
        .map(|r| r.pattern.as_str())
        .collect();
    graph.local(LocalSource {
        directory: options.context_directory,
        session_id: options.session_id,
        include: &include,
        exclude: &plan.excluded.patterns(),
        fresh: false,
        name: &format!(
            "[strata {stage_label}] load context: {}",
            selected.join(", ")
        ),
    })
}

/// The app directory inside the context snapshot, as a copy source.
fn context_root(context_dir: &str) -> String {
    if context_dir == "." {
        "/".to_string()
    } else {
        format!("/{context_dir}")
    }
}

/// `NAME=value` for each variable that tells a cross-compiling stage the target; none when no
/// target platform is known (`strata llb` without `--platform`): the toolchain builds for the
/// platform it runs on.
fn told_target(
    target_env: &BTreeMap<String, TargetPart>,
    options: &LowerOptions<'_>,
) -> Vec<String> {
    let Some(target) = options.platform else {
        return Vec::new();
    };
    target_env
        .iter()
        .filter_map(|(name, part)| {
            let value = part.of(&target.os, &target.architecture, target.variant.as_deref())?;
            Some(format!("{name}={value}"))
        })
        .collect()
}

/// The base image's environment with the step's variables added or replacing, in the
/// image's order then the step's (sorted) order, so the result is deterministic.
fn step_env(base: &[String], step: &BTreeMap<String, String>) -> Vec<String> {
    let mut env: Vec<String> = base
        .iter()
        .filter(|entry| {
            let key = entry.split('=').next().unwrap_or_default();
            !step.contains_key(key)
        })
        .cloned()
        .collect();
    env.extend(step.iter().map(|(k, v)| format!("{k}={v}")));
    env
}

/// A definition that only transfers some files of one client directory, so the frontend can
/// read them (the spec, or the files a provider probes for).
pub struct Transfer {
    pub definition: pb::Definition,
    /// The transfer's progress vertex, to attach warnings to.
    pub vertex: String,
}

pub fn local_files(source: LocalSource<'_>) -> Transfer {
    let mut graph = Graph::default();
    let files = graph.local(source);
    let vertex = files.vertex().to_string();
    Transfer {
        definition: graph.into_definition(&Some(files)),
        vertex,
    }
}
