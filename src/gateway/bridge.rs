//! Typed calls on the engine's `LLBBridge` service.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use bollard_buildkit_proto::fsutil::types::Stat;
use bollard_buildkit_proto::google::protobuf::Any;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as gw, CacheOptionsEntry, llb_bridge_client::LlbBridgeClient,
};
use bollard_buildkit_proto::pb;
use prost::Message;
use tonic::transport::Channel;

use super::options::{CacheImport, FrontendOptions, ImageResolveMode};
use super::transport::MAX_MESSAGE_BYTES;
use crate::llb::{self, OCI_LAYOUT_SCHEME, Platform, oci_layout_store};

/// gRPC code `Unknown`: the one code whose message buildx prints as is, after
/// `ERROR: failed to solve: `; other codes add their own prefixes.
const PLAIN_ERROR_CODE: i32 = 2;

/// Result metadata the exporters read: the OCI image config JSON of a single-ref result, and
/// which platform(s) the refs are for (attestations and the OCI/tar exporters use it; the
/// Dockerfile frontend always sets both).
const IMAGE_CONFIG_KEY: &str = "containerimage.config";
const PLATFORMS_KEY: &str = "refs.platforms";

/// One platform's image: a filesystem and the image config to export it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageResult {
    pub result: RefId,
    /// OCI image config JSON. `rootfs` and `history` may be left out: the exporter writes
    /// them from the layers. `os` and `architecture` must be both set or both absent.
    pub config: Vec<u8>,
    pub platform: Platform,
}

/// What a frontend run hands back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontendResult {
    /// One image per requested platform (at least one).
    Images(Vec<ImageResult>),
    /// The answer to a subrequest (`--print`/`--call outline`): metadata only, no filesystem.
    Answer(BTreeMap<String, Vec<u8>>),
}

/// `{"Platforms":[{"ID":"linux/amd64","Platform":{"os":"linux","architecture":"amd64"}}]}`:
/// Go's exptypes.Platforms, whose outer fields have no JSON tags.
fn platforms_metadata(platforms: &[&Platform]) -> Vec<u8> {
    let entries: Vec<serde_json::Value> = platforms
        .iter()
        .map(|platform| {
            let mut spec = serde_json::Map::new();
            spec.insert("os".into(), platform.os.clone().into());
            spec.insert("architecture".into(), platform.architecture.clone().into());
            if let Some(variant) = &platform.variant {
                spec.insert("variant".into(), variant.clone().into());
            }
            serde_json::json!({ "ID": platform.to_string(), "Platform": spec })
        })
        .collect();
    serde_json::json!({ "Platforms": entries })
        .to_string()
        .into_bytes()
}

/// A solved result the engine holds for us, valid until we return.
///
/// The engine gives an empty id for an empty filesystem (a definition with no ops); reading
/// from it fails, returning it exports an empty image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefId(String);

impl RefId {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What `Ping` tells about the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// Enabled gateway API capabilities (`solve.base`, `readdir`, `gateway.warnings`, …).
    pub gateway_caps: Vec<String>,
    /// Enabled LLB capabilities (`exec.mount.cache`, `mergeop`, …).
    pub llb_caps: Vec<String>,
    /// Platforms of the first worker first: the first is the default build platform.
    pub worker_platforms: Vec<Platform>,
}

/// One file system entry as the engine reports it (`ReadDir`, `StatFile`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative to the directory that was read (or the path that was stat'ed).
    pub path: String,
    /// Go `os.FileMode` bits: permissions plus type flags (`1 << 31` = directory,
    /// `1 << 27` = symlink), not POSIX `st_mode`.
    pub mode: u32,
    pub size: i64,
    pub link_target: String,
}

impl FileEntry {
    const GO_MODE_DIR: u32 = 1 << 31;

    pub fn is_dir(&self) -> bool {
        self.mode & Self::GO_MODE_DIR != 0
    }

    fn from_stat(stat: Stat) -> Self {
        Self {
            path: stat.path,
            mode: stat.mode,
            size: stat.size,
            link_target: stat.linkname,
        }
    }
}

/// A base image's identity and config, from `ResolveImageConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLookup {
    /// The reference the engine resolved (normalised, e.g. `docker.io/library/x:1`).
    pub reference: String,
    /// Manifest digest; pin the image source to `reference@digest` for reproducible builds.
    pub digest: String,
    /// The image config JSON, exactly as stored.
    pub config: Vec<u8>,
}

/// The spec file as read from the client, and the vertex that loaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFile {
    pub filename: String,
    pub contents: Vec<u8>,
    /// `<spec>.dockerignore` beside the spec, by name, when there is one.
    pub ignore_file: Option<(String, Vec<u8>)>,
    /// Digest of the `local://dockerfile` source: warnings attached to it show under that
    /// step in the progress output.
    pub vertex: String,
}

/// A warning for the user: `WARN: <message>` under a step, and in buildx's summary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Warning {
    pub message: String,
    /// Extra lines shown only with `--debug`.
    pub detail: Vec<String>,
    pub url: Option<String>,
    /// The step to show it under; buildx drops warnings for unknown vertices from the
    /// progress display (they still count in the summary).
    pub vertex: Option<String>,
    /// Point at lines of the spec (1-based, inclusive).
    pub location: Option<SpecLocation>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecLocation {
    pub filename: String,
    pub contents: Vec<u8>,
    pub language: String,
    /// First and last line (1-based, inclusive) of each place.
    pub ranges: Vec<(u32, u32)>,
}

impl SpecLocation {
    fn source_info(&self) -> pb::SourceInfo {
        pb::SourceInfo {
            filename: self.filename.clone(),
            data: self.contents.clone(),
            language: self.language.clone(),
            definition: None,
        }
    }

    fn ranges(&self) -> Vec<pb::Range> {
        let position = |line: u32| pb::Position {
            line: line.min(i32::MAX as u32) as i32,
            character: 0,
        };
        self.ranges
            .iter()
            .map(|&(first, last)| pb::Range {
                start: Some(position(first)),
                end: Some(position(last)),
            })
            .collect()
    }
}

/// BuildKit's `errdefs.Source` error detail: which lines of which file an error is about.
/// buildx prints those lines above the error. Go's typeurl registry knows it by this bare name.
#[derive(Clone, PartialEq, prost::Message)]
struct ErrorSource {
    #[prost(message, optional, tag = "1")]
    info: Option<pb::SourceInfo>,
    #[prost(message, repeated, tag = "2")]
    ranges: Vec<pb::Range>,
}

const ERROR_SOURCE_TYPE_URL: &str = "errdefs.Source";

impl ErrorSource {
    fn to_any(&self) -> Any {
        Any {
            type_url: ERROR_SOURCE_TYPE_URL.to_string(),
            value: self.encode_to_vec(),
        }
    }
}

/// Every error we return carries a source, an empty one if need be: the Dockerfile frontend
/// that forwarded the build to us quotes the `# syntax` line above any error without one.
fn empty_error_source() -> Any {
    ErrorSource {
        info: None,
        ranges: Vec::new(),
    }
    .to_any()
}

fn enabled_ids(caps: Vec<ApiCap>) -> Vec<String> {
    caps.into_iter()
        .filter(|c| c.enabled)
        .map(|c| c.id)
        .collect()
}

/// A failed bridge call. Keeps the engine's full status (typed details included) so it can be
/// returned as the build's error unchanged.
#[derive(Clone)]
pub struct BridgeError {
    pub call: &'static str,
    pub status: Status,
}

impl BridgeError {
    fn from_tonic(call: &'static str, status: tonic::Status) -> Self {
        // `grpc-status-details-bin` carries the engine's google.rpc.Status with its typed
        // details (solve errors, source locations); keep it whole when it decodes.
        let decoded = Status::decode(status.details()).ok();
        let status = decoded.filter(|s| s.code != 0).unwrap_or_else(|| Status {
            code: status.code() as i32,
            message: status.message().to_string(),
            details: Vec::new(),
        });
        Self { call, status }
    }

    fn malformed(call: &'static str, what: &str) -> Self {
        Self {
            call,
            status: Status {
                code: PLAIN_ERROR_CODE,
                message: format!("{call}: the engine sent {what}"),
                details: Vec::new(),
            },
        }
    }

    pub fn message(&self) -> &str {
        &self.status.message
    }
}

impl fmt::Debug for BridgeError {
    /// The details are Go stack traces and typed errors: show only their kinds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail_kinds: Vec<&str> = self
            .status
            .details
            .iter()
            .map(|d| d.type_url.as_str())
            .collect();
        f.debug_struct("BridgeError")
            .field("call", &self.call)
            .field("code", &self.status.code)
            .field("message", &self.status.message)
            .field("detail_kinds", &detail_kinds)
            .finish()
    }
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.status.message)
    }
}

impl std::error::Error for BridgeError {}

/// The engine's `LLBBridge`, with the build's cache imports baked in.
///
/// Methods take `&self`: the channel multiplexes, so independent solves and image lookups can
/// run concurrently (`tokio::join!`).
pub struct Bridge {
    client: LlbBridgeClient<Channel>,
    cache_imports: Vec<CacheOptionsEntry>,
}

impl Bridge {
    /// `cache_imports` (the user's `--cache-from`) go into every solve: the engine only
    /// consults imported cache for solves that list it.
    pub fn new(channel: Channel, cache_imports: &[CacheImport]) -> Self {
        Self {
            client: LlbBridgeClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            cache_imports: cache_imports.iter().map(CacheImport::to_pb).collect(),
        }
    }

    fn client(&self) -> LlbBridgeClient<Channel> {
        self.client.clone()
    }

    pub async fn ping(&self) -> Result<EngineInfo, BridgeError> {
        let pong = self
            .client()
            .ping(gw::PingRequest {})
            .await
            .map_err(|s| BridgeError::from_tonic("ping", s))?
            .into_inner();
        let mut worker_platforms: Vec<Platform> = Vec::new();
        // The engine lists `linux/amd64` twice (the host's and the normalised default).
        for platform in pong.workers.iter().flat_map(|w| &w.platforms) {
            let platform = Platform::from_pb(platform);
            if !worker_platforms.contains(&platform) {
                worker_platforms.push(platform);
            }
        }
        Ok(EngineInfo {
            gateway_caps: enabled_ids(pong.frontend_api_caps),
            llb_caps: enabled_ids(pong.llb_caps),
            worker_platforms,
        })
    }

    /// Solves a definition lazily: the engine only builds what a later read, or the export
    /// of the returned result, needs.
    pub async fn solve(&self, definition: pb::Definition) -> Result<RefId, BridgeError> {
        let response = self
            .client()
            .solve(gw::SolveRequest {
                definition: Some(definition),
                // Without these the engine answers in the pre-2019 shape (`SolveResponse.ref`).
                allow_result_return: true,
                allow_result_array_ref: true,
                cache_imports: self.cache_imports.clone(),
                ..Default::default()
            })
            .await
            .map_err(|s| BridgeError::from_tonic("solve", s))?
            .into_inner();
        use gw::result::Result as Kind;
        match response.result.and_then(|r| r.result) {
            Some(Kind::Ref(r)) => Ok(RefId(r.id)),
            Some(Kind::RefDeprecated(id)) => Ok(RefId(id)),
            Some(Kind::Refs(_) | Kind::RefsDeprecated(_)) => Err(BridgeError::malformed(
                "solve",
                "a multi-platform result for a single definition",
            )),
            None => Ok(RefId(response.r#ref)),
        }
    }

    /// Reads a file of a solved result (building it if needed). `range` is `(offset, length)`.
    pub async fn read_file(
        &self,
        result: &RefId,
        path: &str,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, BridgeError> {
        let range = range.map(|(offset, length)| gw::FileRange {
            offset: offset.min(i64::MAX as u64) as i64,
            length: length.min(i64::MAX as u64) as i64,
        });
        Ok(self
            .client()
            .read_file(gw::ReadFileRequest {
                r#ref: result.0.clone(),
                file_path: path.to_string(),
                range,
                ..Default::default()
            })
            .await
            .map_err(|s| BridgeError::from_tonic("read file", s))?
            .into_inner()
            .data)
    }

    /// Lists a directory (not recursive). `include_pattern` is a single glob on the entry's
    /// name (`*.go`), matched by the engine.
    pub async fn read_dir(
        &self,
        result: &RefId,
        dir: &str,
        include_pattern: Option<&str>,
    ) -> Result<Vec<FileEntry>, BridgeError> {
        let entries = self
            .client()
            .read_dir(gw::ReadDirRequest {
                r#ref: result.0.clone(),
                dir_path: dir.to_string(),
                include_pattern: include_pattern.unwrap_or_default().to_string(),
                ..Default::default()
            })
            .await
            .map_err(|s| BridgeError::from_tonic("read dir", s))?
            .into_inner()
            .entries;
        Ok(entries.into_iter().map(FileEntry::from_stat).collect())
    }

    /// An image's config and digest: from a registry (`mode` says whether the engine's local
    /// copy may answer), or, for an `oci-layout://` reference, from the OCI layout the client
    /// serves in `session_id` (buildx's `--build-context NAME=oci-layout://DIR`). `log_name`
    /// becomes a progress line (empty: none).
    pub async fn resolve_image_config(
        &self,
        reference: &str,
        platform: Option<&Platform>,
        mode: ImageResolveMode,
        session_id: &str,
        log_name: &str,
    ) -> Result<ImageLookup, BridgeError> {
        let request = match oci_layout_store(reference) {
            Some(store) => gw::ResolveImageConfigRequest {
                r#ref: reference[OCI_LAYOUT_SCHEME.len()..].to_string(),
                // 1 = an OCI layout in the client's session, named by its store id.
                resolver_type: 1,
                session_id: session_id.to_string(),
                store_id: store.to_string(),
                ..Default::default()
            },
            None => gw::ResolveImageConfigRequest {
                r#ref: reference.to_string(),
                resolve_mode: mode.as_str().to_string(),
                // 0 = registry resolver.
                resolver_type: 0,
                ..Default::default()
            },
        };
        let response = self
            .client()
            .resolve_image_config(gw::ResolveImageConfigRequest {
                platform: platform.map(Platform::to_pb),
                log_name: log_name.to_string(),
                ..request
            })
            .await
            .map_err(|s| BridgeError::from_tonic("resolve image config", s))?
            .into_inner();
        Ok(ImageLookup {
            // The engine leaves `ref` empty when it did not rewrite the reference.
            reference: if response.r#ref.is_empty() {
                reference.to_string()
            } else {
                response.r#ref
            },
            digest: response.digest,
            config: response.config,
        })
    }

    pub async fn warn(&self, warning: Warning) -> Result<(), BridgeError> {
        let info = warning.location.as_ref().map(SpecLocation::source_info);
        let ranges = warning
            .location
            .as_ref()
            .map(SpecLocation::ranges)
            .unwrap_or_default();
        self.client()
            .warn(gw::WarnRequest {
                digest: warning.vertex.unwrap_or_default(),
                // 1 = warning, the level the Dockerfile frontend uses; shown as `WARN:`.
                level: 1,
                short: warning.message.into_bytes(),
                detail: warning.detail.into_iter().map(String::into_bytes).collect(),
                url: warning.url.unwrap_or_default(),
                info,
                ranges,
            })
            .await
            .map_err(|s| BridgeError::from_tonic("warn", s))?;
        Ok(())
    }

    /// Returns the build's result: one filesystem with its image config, for one platform.
    /// Returns the build's result. One image is a single ref with its config, as the
    /// Dockerfile frontend returns a one-platform build; several are a ref per platform id with
    /// `containerimage.config/<id>` each, which the exporters turn into an image index.
    pub async fn return_result(&self, result: &FrontendResult) -> Result<(), BridgeError> {
        let (metadata, refs) = match result {
            FrontendResult::Answer(answer) => (answer.clone().into_iter().collect(), None),
            FrontendResult::Images(images) => {
                let platforms: Vec<&Platform> = images.iter().map(|i| &i.platform).collect();
                let mut metadata =
                    HashMap::from([(PLATFORMS_KEY.to_string(), platforms_metadata(&platforms))]);
                let refs = match images.as_slice() {
                    [one] => {
                        metadata.insert(IMAGE_CONFIG_KEY.to_string(), one.config.clone());
                        gw::result::Result::Ref(gw::Ref {
                            id: one.result.0.clone(),
                            def: None,
                        })
                    }
                    many => {
                        let mut refs = HashMap::new();
                        for image in many {
                            let id = image.platform.to_string();
                            metadata
                                .insert(format!("{IMAGE_CONFIG_KEY}/{id}"), image.config.clone());
                            refs.insert(
                                id,
                                gw::Ref {
                                    id: image.result.0.clone(),
                                    def: None,
                                },
                            );
                        }
                        gw::result::Result::Refs(gw::RefMap { refs })
                    }
                };
                (metadata, Some(refs))
            }
        };
        self.send_return(gw::ReturnRequest {
            result: Some(gw::Result {
                metadata,
                result: refs,
                ..Default::default()
            }),
            error: None,
        })
        .await
    }

    /// Fails the build; the user sees `ERROR: failed to solve: <message>`, preceded by the
    /// quoted spec lines when `location` is given.
    pub async fn return_error(
        &self,
        message: &str,
        location: Option<&SpecLocation>,
    ) -> Result<(), BridgeError> {
        let source = ErrorSource {
            info: location.map(SpecLocation::source_info),
            ranges: location.map(SpecLocation::ranges).unwrap_or_default(),
        };
        self.return_status(Status {
            code: PLAIN_ERROR_CODE,
            message: message.to_string(),
            details: vec![source.to_any()],
        })
        .await
    }

    /// Fails the build with an engine error as the engine reported it, details included
    /// (buildx's debugger uses them to open a shell in a failed step).
    pub async fn return_engine_error(&self, error: &BridgeError) -> Result<(), BridgeError> {
        let mut status = error.status.clone();
        if !status
            .details
            .iter()
            .any(|d| d.type_url.ends_with(ERROR_SOURCE_TYPE_URL))
        {
            status.details.push(empty_error_source());
        }
        self.return_status(status).await
    }

    async fn return_status(&self, status: Status) -> Result<(), BridgeError> {
        self.send_return(gw::ReturnRequest {
            result: None,
            error: Some(status),
        })
        .await
    }

    async fn send_return(&self, request: gw::ReturnRequest) -> Result<(), BridgeError> {
        self.client()
            .r#return(request)
            .await
            .map_err(|s| BridgeError::from_tonic("return", s))?;
        Ok(())
    }

    /// Reads the spec (`-f`) from the client's `dockerfile` directory.
    ///
    /// A missing file is not an error of the solve (the transfer just has nothing to follow);
    /// it fails at the read, with the engine's message naming the path.
    pub async fn read_spec(&self, options: &FrontendOptions) -> Result<SpecFile, BridgeError> {
        // The ignore file beside the spec comes in the same transfer (the Dockerfile
        // frontend's `Dockerfile.dockerignore`).
        let beside = format!("{}{}", options.filename, crate::lang::DOCKERIGNORE);
        let transfer = llb::local_files(llb::LocalSource {
            directory: &options.spec_local_name,
            session_id: Some(&options.session_id),
            include: &[options.filename.clone(), beside.clone()],
            exclude: &[],
            // Always send the file: comparing metadata could keep a stale copy whose
            // modification time happens to be equal.
            fresh: true,
            name: &format!("[internal] load build definition from {}", options.filename),
        });
        let result = self.solve(transfer.definition).await?;
        let (contents, ignore) = tokio::join!(
            self.read_file(&result, &options.filename, None),
            self.read_file(&result, &beside, None)
        );
        Ok(SpecFile {
            filename: options.filename.clone(),
            contents: contents?,
            ignore_file: ignore.ok().map(|bytes| (beside, bytes)),
            vertex: transfer.vertex,
        })
    }

    /// The `.dockerignore` at the root of the build context, if there is one.
    pub async fn read_context_ignore(
        &self,
        options: &FrontendOptions,
    ) -> Result<Option<Vec<u8>>, BridgeError> {
        let name = crate::lang::DOCKERIGNORE;
        let transfer = llb::local_files(llb::LocalSource {
            directory: &options.context_local_name,
            session_id: Some(&options.session_id),
            include: &[name.to_string()],
            exclude: &[],
            fresh: true,
            name: &format!("[internal] load {name}"),
        });
        let result = self.solve(transfer.definition).await?;
        // An absent file is no error: most contexts have none.
        Ok(self.read_file(&result, name, None).await.ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_metadata_matches_go_exptypes() {
        let arm = Platform::parse("linux/arm/v7").unwrap();
        let amd = Platform::parse("linux/amd64").unwrap();
        let json = platforms_metadata(&[&arm, &amd]);
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"Platforms": [
                {"ID": "linux/arm/v7",
                 "Platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
                {"ID": "linux/amd64", "Platform": {"os": "linux", "architecture": "amd64"}}]})
        );
    }

    #[test]
    fn engine_status_details_survive_in_bridge_errors() {
        let inner = Status {
            code: 2,
            message: "process failed".into(),
            details: vec![Any {
                type_url: "github.com/moby/buildkit/errdefs.Solve+json".into(),
                value: b"{}".to_vec(),
            }],
        };
        let status = tonic::Status::with_details(
            tonic::Code::Unknown,
            "process failed",
            inner.encode_to_vec().into(),
        );
        let error = BridgeError::from_tonic("solve", status);
        assert_eq!(error.to_string(), "process failed");
        assert_eq!(error.status.details.len(), 1);
    }

    #[test]
    fn a_status_without_details_keeps_code_and_message() {
        let error = BridgeError::from_tonic("ping", tonic::Status::unavailable("gone"));
        assert_eq!(error.status.code, tonic::Code::Unavailable as i32);
        assert_eq!(error.message(), "gone");
    }

    #[test]
    fn error_source_encodes_lines_as_buildkit_expects() {
        let location = SpecLocation {
            filename: "strata.yaml".into(),
            contents: b"a\nb\n".to_vec(),
            language: "yaml".into(),
            ranges: vec![(2, 2)],
        };
        let source = ErrorSource {
            info: Some(location.source_info()),
            ranges: location.ranges(),
        };
        let any = source.to_any();
        assert_eq!(any.type_url, "errdefs.Source");
        let decoded = ErrorSource::decode(any.value.as_slice()).unwrap();
        assert_eq!(decoded.ranges[0].start.unwrap().line, 2);
        assert_eq!(decoded.info.unwrap().filename, "strata.yaml");
    }
}
