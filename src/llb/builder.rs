//! A small LLB graph builder over the BuildKit protobuf types.
//!
//! An op's identity is the sha256 of its encoded bytes; inputs refer to those digests, so the
//! same ops built in the same order always give the same definition. `prost` encodes fields
//! in tag order and this crate's maps are BTreeMaps, which keeps the bytes stable.

use std::collections::BTreeMap;

use bollard_buildkit_proto::pb;
use prost::Message;
use sha2::{Digest, Sha256};

/// The mtime of generated files, in nanoseconds since the epoch (BuildKit's -1 would mean
/// "now"): 2000-01-01, so generated layers are reproducible and older than any real checkout.
const FIXED_MTIME: i64 = 946_684_800_000_000_000;

/// One output of one op: what another op can take as an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    digest: String,
    index: i64,
}

impl Output {
    /// The digest of the op that produces it: the progress vertex users see.
    pub fn vertex(&self) -> &str {
        &self.digest
    }
}

/// A filesystem: either nothing (scratch) or an op's output.
pub type Fs = Option<Output>;

#[derive(Debug, Default)]
pub struct Graph {
    /// Encoded ops in the order they were added; inputs always come before their users.
    ops: Vec<(String, Vec<u8>)>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    /// `--no-cache`: the engine only passes the option on; honouring it is the frontend's job.
    ignore_cache: bool,
    /// The spec, when ops are attributed to its lines, and the line the ops added now come from.
    source: Option<pb::SourceInfo>,
    line: Option<u32>,
    lines: BTreeMap<String, u32>,
    /// Each op's digest as BuildKit v0.25 recomputes it (see `engine_digest`), by ours.
    engine_digests: BTreeMap<String, String>,
}

/// The digest BuildKit v0.25 gives an op: it re-encodes every op it loads, with Go's vtproto,
/// which writes an op's `oneof` (exec, source, file…) after its platform and constraints; ours
/// (and v0.13's) put it in field order. An op with a platform then has another digest there,
/// and so has every op below it, and a failed step's error is looked up by that digest.
fn engine_digest(op: &pb::Op, engine_digests: &BTreeMap<String, String>) -> String {
    let inputs = op
        .inputs
        .iter()
        .map(|input| pb::Input {
            digest: engine_digests
                .get(&input.digest)
                .cloned()
                .unwrap_or_else(|| input.digest.clone()),
            index: input.index,
        })
        .collect();
    let mut bytes = pb::Op {
        inputs,
        platform: op.platform.clone(),
        constraints: op.constraints.clone(),
        op: None,
    }
    .encode_to_vec();
    bytes.extend(
        pb::Op {
            op: op.op.clone(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}

pub struct LocalSource<'a> {
    /// Which of the client's directories: `context`, or `dockerfile` (where `-f` points).
    pub directory: &'a str,
    pub session_id: Option<&'a str>,
    pub include: &'a [String],
    pub exclude: &'a [String],
    /// Send every file on every build instead of comparing metadata with the last transfer.
    pub fresh: bool,
    pub name: &'a str,
}

pub enum ExecMount<'a> {
    /// Read-only view of `source` (at `selector` inside it).
    Bind {
        target: &'a str,
        source: Output,
        selector: &'a str,
        readonly: bool,
    },
    Cache {
        target: &'a str,
        id: &'a str,
        sharing: pb::CacheSharingOpt,
        /// The filesystem (and the directory in it) a new cache starts as.
        starts_from: Option<(Output, &'a str)>,
    },
    /// A fresh, writable empty directory whose contents become an output of the exec.
    Output { target: &'a str },
    /// A secret file from the client's session, root-only (0400) like Dockerfile's default.
    Secret {
        target: &'a str,
        id: &'a str,
        required: bool,
    },
    /// A fresh in-memory directory, gone when the exec ends: never part of any output.
    Tmpfs { target: &'a str },
    /// The client's forwarded SSH agent socket, root-only; optional, so a build without `--ssh`
    /// reaches the step and the step's own failure says what is missing.
    SshAgent { target: &'a str, id: &'a str },
}

pub struct Exec<'a> {
    pub name: &'a str,
    pub rootfs: Output,
    pub argv: &'a [String],
    /// `KEY=value` entries, complete: BuildKit gives the process nothing else.
    pub env: &'a [String],
    pub cwd: &'a str,
    pub mounts: Vec<ExecMount<'a>>,
    pub network: pb::NetMode,
    pub proxy: Option<pb::ProxyEnv>,
    pub platform: Option<pb::Platform>,
}

/// What an exec produced: its root filesystem and one output per `ExecMount::Output`.
pub struct ExecOutputs {
    pub rootfs: Output,
    pub outputs: Vec<Output>,
}

pub struct Copy<'a> {
    pub name: &'a str,
    /// Where the copy lands; `None` copies into an empty filesystem.
    pub onto: Fs,
    pub from: Output,
    pub src: &'a str,
    pub dest: &'a str,
}

impl Graph {
    /// Marks the ops added from now on as never taken from the cache (`--no-cache`).
    pub fn set_ignore_cache(&mut self, ignore: bool) {
        self.ignore_cache = ignore;
    }

    /// Adds what `add` adds with the cache ignored (it runs on every build), whatever the
    /// stage's setting, which holds again afterwards.
    pub fn ignoring_cache<T>(&mut self, add: impl FnOnce(&mut Graph) -> T) -> T {
        let stage_setting = std::mem::replace(&mut self.ignore_cache, true);
        let added = add(self);
        self.ignore_cache = stage_setting;
        added
    }

    /// Attributes the ops added from now on to `line` of the spec `source` (an op shared by
    /// several stages keeps the first line it was added under).
    pub fn set_source_line(&mut self, source: &pb::SourceInfo, line: Option<u32>) {
        if self.source.is_none() {
            self.source = Some(source.clone());
        }
        self.line = line;
    }

    fn add(&mut self, op: pb::Op, name: &str) -> String {
        let bytes = op.encode_to_vec();
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if !self.ops.iter().any(|(d, _)| *d == digest) {
            self.ops.push((digest.clone(), bytes));
            let engine = engine_digest(&op, &self.engine_digests);
            self.engine_digests.insert(digest.clone(), engine);
        }
        if let Some(line) = self.line {
            self.lines.entry(digest.clone()).or_insert(line);
        }
        if !name.is_empty() || self.ignore_cache {
            let mut description = BTreeMap::new();
            if !name.is_empty() {
                description.insert("llb.customname".to_string(), name.to_string());
            }
            self.metadata.insert(
                digest.clone(),
                pb::OpMetadata {
                    description,
                    ignore_cache: self.ignore_cache,
                    ..Default::default()
                },
            );
        }
        digest
    }

    fn input(output: &Output) -> pb::Input {
        pb::Input {
            digest: output.digest.clone(),
            index: output.index,
        }
    }

    /// An image from a registry, or an `oci-layout://STORE@DIGEST` one the client serves in
    /// `session_id` (a named context of the build).
    pub fn image(
        &mut self,
        reference: &str,
        platform: Option<pb::Platform>,
        resolve_mode: Option<&str>,
        session_id: Option<&str>,
    ) -> Output {
        let mut attrs = BTreeMap::new();
        let identifier = match oci_layout_store(reference) {
            Some(store) => {
                attrs.insert("oci.store".to_string(), store.to_string());
                attrs.insert(
                    "oci.session".to_string(),
                    session_id.unwrap_or_default().to_string(),
                );
                reference.to_string()
            }
            None => {
                if let Some(mode) = resolve_mode {
                    attrs.insert("image.resolvemode".to_string(), mode.to_string());
                }
                format!("docker-image://{}", normalise_image(reference))
            }
        };
        let op = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp { identifier, attrs })),
            platform,
            ..Default::default()
        };
        let digest = self.add(op, "");
        Output { digest, index: 0 }
    }

    pub fn local(&mut self, source: LocalSource<'_>) -> Output {
        let mut attrs = BTreeMap::new();
        if let Some(session) = source.session_id {
            attrs.insert("local.session".to_string(), session.to_string());
        }
        // One hint for every view of a directory: BuildKit then syncs files incrementally
        // into one shared directory instead of a fresh copy per view.
        attrs.insert(
            "local.sharedkeyhint".to_string(),
            source.directory.to_string(),
        );
        if !source.include.is_empty() {
            attrs.insert(
                "local.includepattern".to_string(),
                serde_json::to_string(source.include).expect("a list of strings always encodes"),
            );
        }
        if !source.exclude.is_empty() {
            attrs.insert(
                "local.excludepatterns".to_string(),
                serde_json::to_string(source.exclude).expect("a list of strings always encodes"),
            );
        }
        if source.fresh {
            attrs.insert("local.differ".to_string(), "none".to_string());
        }
        let op = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: format!("local://{}", source.directory),
                attrs,
            })),
            ..Default::default()
        };
        let digest = self.add(op, source.name);
        Output { digest, index: 0 }
    }

    pub fn copy(&mut self, copy: Copy<'_>) -> Output {
        let mut inputs = Vec::new();
        let onto_index = match &copy.onto {
            Some(onto) => {
                inputs.push(Self::input(onto));
                0
            }
            None => -1,
        };
        inputs.push(Self::input(&copy.from));
        let from_index = inputs.len() as i64 - 1;
        let action = pb::FileAction {
            input: onto_index,
            secondary_input: from_index,
            output: 0,
            action: Some(pb::file_action::Action::Copy(pb::FileActionCopy {
                src: copy.src.to_string(),
                dest: copy.dest.to_string(),
                // -1 keeps the source's mode and timestamps (0 would mean "mode 0000").
                mode: -1,
                timestamp: -1,
                follow_symlink: true,
                dir_copy_contents: true,
                create_dest_path: true,
                allow_wildcard: false,
                ..Default::default()
            })),
        };
        let op = pb::Op {
            inputs,
            op: Some(pb::op::Op::File(pb::FileOp {
                actions: vec![action],
            })),
            ..Default::default()
        };
        let digest = self.add(op, copy.name);
        Output { digest, index: 0 }
    }

    pub fn exec(&mut self, exec: Exec<'_>) -> ExecOutputs {
        let mut inputs = vec![Self::input(&exec.rootfs)];
        let mut mounts = vec![pb::Mount {
            input: 0,
            dest: "/".to_string(),
            output: 0,
            ..Default::default()
        }];
        let mut next_output = 1;
        let mut output_indexes = Vec::new();
        for mount in &exec.mounts {
            let m = match mount {
                ExecMount::Bind {
                    target,
                    source,
                    selector,
                    readonly,
                } => {
                    inputs.push(Self::input(source));
                    pb::Mount {
                        input: inputs.len() as i64 - 1,
                        selector: selector.to_string(),
                        dest: target.to_string(),
                        // No output: a writable mount is a scratch copy, thrown away after.
                        output: -1,
                        readonly: *readonly,
                        mount_type: pb::MountType::Bind as i32,
                        ..Default::default()
                    }
                }
                ExecMount::Cache {
                    target,
                    id,
                    sharing,
                    starts_from,
                } => pb::Mount {
                    input: match starts_from {
                        Some((source, _)) => {
                            inputs.push(Self::input(source));
                            inputs.len() as i64 - 1
                        }
                        None => -1,
                    },
                    selector: starts_from
                        .as_ref()
                        .map(|(_, dir)| dir.to_string())
                        .unwrap_or_default(),
                    dest: target.to_string(),
                    output: -1,
                    mount_type: pb::MountType::Cache as i32,
                    cache_opt: Some(pb::CacheOpt {
                        id: id.to_string(),
                        sharing: *sharing as i32,
                    }),
                    ..Default::default()
                },
                ExecMount::Secret {
                    target,
                    id,
                    required,
                } => pb::Mount {
                    input: -1,
                    dest: target.to_string(),
                    output: -1,
                    mount_type: pb::MountType::Secret as i32,
                    secret_opt: Some(pb::SecretOpt {
                        id: id.to_string(),
                        uid: 0,
                        gid: 0,
                        mode: 0o400,
                        optional: !required,
                    }),
                    ..Default::default()
                },
                ExecMount::Tmpfs { target } => pb::Mount {
                    input: -1,
                    dest: target.to_string(),
                    output: -1,
                    mount_type: pb::MountType::Tmpfs as i32,
                    // Size 0: the engine's default limit.
                    tmpfs_opt: Some(pb::TmpfsOpt { size: 0 }),
                    ..Default::default()
                },
                ExecMount::SshAgent { target, id } => pb::Mount {
                    input: -1,
                    dest: target.to_string(),
                    output: -1,
                    mount_type: pb::MountType::Ssh as i32,
                    ssh_opt: Some(pb::SshOpt {
                        id: id.to_string(),
                        uid: 0,
                        gid: 0,
                        mode: 0o600,
                        optional: true,
                    }),
                    ..Default::default()
                },
                ExecMount::Output { target } => {
                    output_indexes.push(next_output);
                    next_output += 1;
                    pb::Mount {
                        input: -1,
                        dest: target.to_string(),
                        output: next_output - 1,
                        mount_type: pb::MountType::Bind as i32,
                        ..Default::default()
                    }
                }
            };
            mounts.push(m);
        }
        let op = pb::Op {
            inputs,
            platform: exec.platform,
            op: Some(pb::op::Op::Exec(pb::ExecOp {
                meta: Some(pb::Meta {
                    args: exec.argv.to_vec(),
                    env: exec.env.to_vec(),
                    cwd: exec.cwd.to_string(),
                    proxy_env: exec.proxy,
                    ..Default::default()
                }),
                mounts,
                network: exec.network as i32,
                ..Default::default()
            })),
            ..Default::default()
        };
        let digest = self.add(op, exec.name);
        ExecOutputs {
            rootfs: Output {
                digest: digest.clone(),
                index: 0,
            },
            outputs: output_indexes
                .into_iter()
                .map(|index| Output {
                    digest: digest.clone(),
                    index,
                })
                .collect(),
        }
    }

    /// Files written by the graph itself (FileOp mkdir + mkfile) onto `onto`, so a step that
    /// uses them depends on exactly these bytes and nothing read from the client. Parent
    /// directories are made first (0755); every file gets `mode` and every entry a fixed mtime,
    /// so the layer is byte-identical wherever it is built.
    ///
    /// Written onto the stage's filesystem rather than into scratch: BuildKit starts an op
    /// without inputs on every build, like a source, so a scratch FileOp would show as run
    /// even when nothing changed.
    pub fn write_files(
        &mut self,
        onto: &Output,
        files: &[(String, String)],
        mode: i32,
        name: &str,
    ) -> Output {
        let mut dirs: Vec<&str> = files
            .iter()
            .filter_map(|(path, _)| path.rsplit_once('/').map(|(dir, _)| dir))
            .filter(|dir| !dir.is_empty())
            .collect();
        dirs.sort_unstable();
        dirs.dedup();
        let mut kinds: Vec<pb::file_action::Action> = dirs
            .into_iter()
            .map(|dir| {
                pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                    path: dir.to_string(),
                    mode: 0o755,
                    make_parents: true,
                    timestamp: FIXED_MTIME,
                    ..Default::default()
                })
            })
            .collect();
        kinds.extend(files.iter().map(|(path, contents)| {
            pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                path: path.clone(),
                mode,
                data: contents.clone().into_bytes(),
                timestamp: FIXED_MTIME,
                ..Default::default()
            })
        }));
        let last = kinds.len() as i64 - 1;
        // The first action starts from the op's one input (0); each later one from the previous
        // action's result, numbered after the op's inputs (1 + its index); only the last
        // action's result is the op's output.
        let actions = kinds
            .into_iter()
            .enumerate()
            .map(|(i, action)| {
                let i = i as i64;
                pb::FileAction {
                    input: if i == 0 { 0 } else { i },
                    secondary_input: -1,
                    output: if i == last { 0 } else { -1 },
                    action: Some(action),
                }
            })
            .collect();
        let op = pb::Op {
            inputs: vec![Self::input(onto)],
            op: Some(pb::op::Op::File(pb::FileOp { actions })),
            ..Default::default()
        };
        let digest = self.add(op, name);
        Output { digest, index: 0 }
    }

    /// Stacks layers: later inputs win. Used for link-style copies onto a base image.
    pub fn merge(&mut self, layers: &[Output], name: &str) -> Output {
        let op = pb::Op {
            inputs: layers.iter().map(Self::input).collect(),
            op: Some(pb::op::Op::Merge(pb::MergeOp {
                inputs: (0..layers.len() as i64)
                    .map(|input| pb::MergeInput { input })
                    .collect(),
            })),
            ..Default::default()
        };
        let digest = self.add(op, name);
        Output { digest, index: 0 }
    }

    /// What `upper` has that `lower` has not: when `lower` is an ancestor, the layers between.
    pub fn diff(&mut self, lower: &Output, upper: &Output, name: &str) -> Output {
        let op = pb::Op {
            inputs: vec![Self::input(lower), Self::input(upper)],
            op: Some(pb::op::Op::Diff(pb::DiffOp {
                lower: Some(pb::LowerDiffInput { input: 0 }),
                upper: Some(pb::UpperDiffInput { input: 1 }),
            })),
            ..Default::default()
        };
        let digest = self.add(op, name);
        Output { digest, index: 0 }
    }

    /// The definition that solves to `result`: every op, then a terminal op pointing at it.
    pub fn into_definition(mut self, result: &Fs) -> pb::Definition {
        let terminal = pb::Op {
            inputs: result.iter().map(Self::input).collect(),
            ..Default::default()
        };
        self.line = None;
        self.add(terminal, "");
        // buildx quotes the spec line of a failed step from here; lines are 1-based, as
        // BuildKit's own frontends write them.
        // Under both digests: the one BuildKit v0.13 keeps and the one v0.25 recomputes.
        let engine_digests = &self.engine_digests;
        let source = self.source.map(|info| pb::Source {
            locations: self
                .lines
                .into_iter()
                .flat_map(|(digest, line)| {
                    let engine = engine_digests
                        .get(&digest)
                        .filter(|e| **e != digest)
                        .cloned();
                    [Some(digest), engine]
                        .into_iter()
                        .flatten()
                        .map(move |digest| (digest, line))
                })
                .map(|(digest, line)| {
                    let at = pb::Position {
                        line: i32::try_from(line).unwrap_or(i32::MAX),
                        character: 0,
                    };
                    let location = pb::Location {
                        source_index: 0,
                        ranges: vec![pb::Range {
                            start: Some(at),
                            end: Some(at),
                        }],
                    };
                    (
                        digest,
                        pb::Locations {
                            locations: vec![location],
                        },
                    )
                })
                .collect(),
            infos: vec![info],
        });
        pb::Definition {
            def: self.ops.into_iter().map(|(_, bytes)| bytes).collect(),
            metadata: self.metadata,
            source,
        }
    }
}

/// How a plan names an image that comes from an OCI layout on the client, not a registry:
/// `oci-layout://STORE/NAME@DIGEST`, the client's store id (a named context as buildx sends
/// it) in front of the name of the image it replaces, which keeps it a valid reference.
pub const OCI_LAYOUT_SCHEME: &str = "oci-layout://";

/// The client's store id of an OCI layout reference, `None` for a registry image.
pub fn oci_layout_store(reference: &str) -> Option<&str> {
    let layout = reference.strip_prefix(OCI_LAYOUT_SCHEME)?;
    Some(layout.split('/').next().unwrap_or(layout))
}

/// `golang:1.24` → `docker.io/library/golang:1.24`, as BuildKit's image source expects a fully
/// qualified reference.
pub fn normalise_image(reference: &str) -> String {
    let (name, suffix) = split_name(reference);
    let first = name.split('/').next().unwrap_or_default();
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let qualified = if has_registry {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    let suffix = if suffix.is_empty() { ":latest" } else { suffix };
    format!("{qualified}{suffix}")
}

/// Splits `name[:tag][@digest]` into the name and the `:tag@digest` rest.
fn split_name(reference: &str) -> (&str, &str) {
    let (before_digest, _) = reference.split_once('@').unwrap_or((reference, ""));
    let last_slash = before_digest.rfind('/').map_or(0, |i| i + 1);
    let name_end = before_digest[last_slash..]
        .find(':')
        .map_or(before_digest.len(), |i| last_slash + i);
    reference.split_at(name_end)
}

#[cfg(test)]
mod tests {
    use super::normalise_image;

    #[test]
    fn image_references_are_fully_qualified() {
        for (short, full) in [
            ("golang:1.24-trixie", "docker.io/library/golang:1.24-trixie"),
            ("debian", "docker.io/library/debian:latest"),
            ("user/app:1", "docker.io/user/app:1"),
            (
                "gcr.io/distroless/static-debian13:nonroot",
                "gcr.io/distroless/static-debian13:nonroot",
            ),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("127.0.0.1:5000/app:v1", "127.0.0.1:5000/app:v1"),
            ("golang@sha256:abcd", "docker.io/library/golang@sha256:abcd"),
        ] {
            assert_eq!(normalise_image(short), full, "{short}");
        }
    }
}
