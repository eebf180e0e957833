//! What the user asked for on the `docker buildx build` command line.
//!
//! The engine passes every frontend option as an environment variable
//! `BUILDKIT_FRONTEND_OPT_<n>=<key>=<value>` (n is only a counter; the order is random), plus
//! `BUILDKIT_SESSION_ID`. Nothing arrives through `Ping` or `Inputs`.

use std::collections::BTreeMap;
use std::fmt;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::CacheOptionsEntry;
use serde::Deserialize;

use crate::llb::Platform;

const OPTION_ENV_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";
const SESSION_ID_ENV: &str = "BUILDKIT_SESSION_ID";

/// What buildx sends as `filename` when the user gives no `-f` (the Dockerfile frontend reads
/// the file first to find the `# syntax` line, so with `-f` the basename always arrives).
pub const DEFAULT_SPEC_FILENAME: &str = "Dockerfile";
/// The client directories buildx offers through the session.
pub const DEFAULT_CONTEXT_LOCAL_NAME: &str = "context";
pub const DEFAULT_SPEC_LOCAL_NAME: &str = "dockerfile";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontendOptions {
    /// Every option exactly as the engine sent it, key → value.
    pub raw: BTreeMap<String, String>,
    /// `BUILDKIT_SESSION_ID`: the buildx session that serves local directories.
    pub session_id: String,
    /// Basename of `-f`: the spec's path inside the `dockerfile` local directory.
    pub filename: String,
    /// Local directory names in the session (`contextkey` / `dockerfilekey` override them).
    pub context_local_name: String,
    pub spec_local_name: String,
    /// `--build-arg K=V` (`build-arg:K`), including the `BUILDKIT_*` ones buildx may add.
    pub build_args: BTreeMap<String, String>,
    /// `--target`.
    pub target: Option<String>,
    /// `--platform`; empty means "the worker's default platform".
    pub platforms: Vec<Platform>,
    /// `--label K=V` (`label:K`).
    pub labels: BTreeMap<String, String>,
    pub no_cache: NoCache,
    pub image_resolve_mode: ImageResolveMode,
    /// `--cache-from`: to be passed into every `SolveRequest.cache_imports`.
    pub cache_imports: Vec<CacheImport>,
    /// `requestid`: a subrequest such as `frontend.outline` (`--print`/`--call`) instead of a
    /// build.
    pub request: Option<String>,
}

/// `--no-cache` (all steps) or `--no-cache-filter a,b` (named stages).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NoCache {
    #[default]
    Off,
    All,
    Stages(Vec<String>),
}

/// `image-resolve-mode`: whether to ask the registry or trust the local store for base images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageResolveMode {
    #[default]
    Default,
    Pull,
    Local,
}

impl ImageResolveMode {
    /// The spelling `ResolveImageConfigRequest.resolve_mode` and the image source's
    /// `image.resolvemode` attribute expect.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Pull => "pull",
            Self::Local => "local",
        }
    }
}

/// One `--cache-from` entry: `type=local,src=/dir` → `{type: "local", attrs: {src: "/dir"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CacheImport {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Attrs", default)]
    pub attrs: BTreeMap<String, String>,
}

impl CacheImport {
    pub fn to_pb(&self) -> CacheOptionsEntry {
        CacheOptionsEntry {
            r#type: self.kind.clone(),
            attrs: self
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError {
    pub key: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid frontend option {}={:?}: {}",
            self.key, self.value, self.reason
        )
    }
}

impl std::error::Error for OptionsError {}

impl FrontendOptions {
    /// Reads the options of this process's environment.
    pub fn from_env() -> Result<Self, OptionsError> {
        Self::from_env_vars(std::env::vars_os().filter_map(|(k, v)| {
            // Non-UTF-8 variables are never frontend options; skip rather than fail.
            Some((k.into_string().ok()?, v.into_string().ok()?))
        }))
    }

    /// Parses `(name, value)` environment pairs; everything else is ignored.
    pub fn from_env_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, OptionsError> {
        let mut raw = BTreeMap::new();
        let mut session_id = String::new();
        for (name, value) in vars {
            if name == SESSION_ID_ENV {
                session_id = value;
            } else if name.starts_with(OPTION_ENV_PREFIX) {
                // `key=value`; the key never contains `=`, the value may.
                let (key, value) = value.split_once('=').unwrap_or((value.as_str(), ""));
                raw.insert(key.to_string(), value.to_string());
            }
        }
        Self::from_raw(raw, session_id)
    }

    pub fn from_raw(
        raw: BTreeMap<String, String>,
        session_id: String,
    ) -> Result<Self, OptionsError> {
        let get = |key: &str| raw.get(key).map(String::as_str);
        let with_prefix = |prefix: &str| -> BTreeMap<String, String> {
            raw.iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone())))
                .collect()
        };
        let invalid = |key: &str, reason: String| OptionsError {
            key: key.to_string(),
            value: get(key).unwrap_or_default().to_string(),
            reason,
        };

        let platforms = match get("platform") {
            None | Some("") => Vec::new(),
            Some(list) => list
                .split(',')
                .map(Platform::parse)
                .collect::<Result<_, _>>()
                .map_err(|reason| invalid("platform", reason))?,
        };

        let no_cache = match get("no-cache") {
            None => NoCache::Off,
            Some("") => NoCache::All,
            Some(stages) => NoCache::Stages(stages.split(',').map(str::to_string).collect()),
        };

        let image_resolve_mode = match get("image-resolve-mode") {
            None | Some("") | Some("default") => ImageResolveMode::Default,
            Some("pull") => ImageResolveMode::Pull,
            Some("local") => ImageResolveMode::Local,
            Some(_) => {
                return Err(invalid(
                    "image-resolve-mode",
                    "expected default, pull or local".to_string(),
                ));
            }
        };

        let mut cache_imports: Vec<CacheImport> = match get("cache-imports") {
            None | Some("") => Vec::new(),
            Some(json) => serde_json::from_str(json).map_err(|e| {
                invalid(
                    "cache-imports",
                    format!("not a JSON list of cache entries: {e}"),
                )
            })?,
        };
        // The older spelling: a comma list of registry references.
        if let Some(refs) = get("cache-from").filter(|v| !v.is_empty()) {
            cache_imports.extend(refs.split(',').map(|reference| CacheImport {
                kind: "registry".to_string(),
                attrs: BTreeMap::from([("ref".to_string(), reference.to_string())]),
            }));
        }

        Ok(Self {
            session_id,
            filename: get("filename").unwrap_or(DEFAULT_SPEC_FILENAME).to_string(),
            context_local_name: get("contextkey")
                .unwrap_or(DEFAULT_CONTEXT_LOCAL_NAME)
                .to_string(),
            spec_local_name: get("dockerfilekey")
                .unwrap_or(DEFAULT_SPEC_LOCAL_NAME)
                .to_string(),
            build_args: with_prefix("build-arg:"),
            target: get("target").filter(|t| !t.is_empty()).map(str::to_string),
            platforms,
            labels: with_prefix("label:"),
            no_cache,
            image_resolve_mode,
            cache_imports,
            request: get("requestid")
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[&str]) -> Vec<(String, String)> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, opt)| (format!("{OPTION_ENV_PREFIX}{i}"), opt.to_string()))
            .chain([(SESSION_ID_ENV.to_string(), "session-1".to_string())])
            .chain([("PATH".to_string(), "/bin".to_string())])
            .collect()
    }

    /// What buildx 0.13 sent for `--build-arg A=1 --target t --platform linux/amd64
    /// --label L=v --no-cache` through a `# syntax` line (measured).
    #[test]
    fn options_of_a_real_build_are_parsed() {
        let options = FrontendOptions::from_env_vars(env(&[
            "platform=linux/amd64",
            "build-arg:A=1",
            "attest:provenance=mode=min,inline-only=true",
            "source=strata-gw-test:dev",
            "no-cache=",
            "target=t",
            "image-resolve-mode=local",
            "cmdline=strata-gw-test:dev",
            "filename=spec.yaml",
            "label:L=v",
        ]))
        .expect("valid options");
        assert_eq!(options.session_id, "session-1");
        assert_eq!(options.filename, "spec.yaml");
        assert_eq!(
            options.build_args,
            BTreeMap::from([("A".into(), "1".into())])
        );
        assert_eq!(options.target.as_deref(), Some("t"));
        assert_eq!(
            options.platforms,
            vec![Platform::parse("linux/amd64").unwrap()]
        );
        assert_eq!(options.labels, BTreeMap::from([("L".into(), "v".into())]));
        assert_eq!(options.no_cache, NoCache::All);
        assert_eq!(options.image_resolve_mode, ImageResolveMode::Local);
        assert_eq!(
            options.raw["attest:provenance"],
            "mode=min,inline-only=true"
        );
        assert!(!options.raw.contains_key("PATH"));
    }

    #[test]
    fn no_options_give_the_defaults() {
        let options = FrontendOptions::from_env_vars(env(&[])).expect("valid options");
        assert_eq!(options.filename, DEFAULT_SPEC_FILENAME);
        assert_eq!(options.context_local_name, "context");
        assert_eq!(options.spec_local_name, "dockerfile");
        assert_eq!(options.no_cache, NoCache::Off);
        assert_eq!(options.image_resolve_mode, ImageResolveMode::Default);
        assert!(options.platforms.is_empty() && options.cache_imports.is_empty());
        assert_eq!(options.target, None);
    }

    #[test]
    fn cache_imports_arrive_as_go_json() {
        let options = FrontendOptions::from_env_vars(env(&[
            r#"cache-imports=[{"Type":"local","Attrs":{"digest":"sha256:00","src":"/tmp/x"}},{"Type":"registry","Attrs":{"ref":"localhost:5000/c"}}]"#,
        ]))
        .expect("valid options");
        let kinds: Vec<&str> = options
            .cache_imports
            .iter()
            .map(|c| c.kind.as_str())
            .collect();
        assert_eq!(kinds, ["local", "registry"]);
        assert_eq!(options.cache_imports[0].attrs["src"], "/tmp/x");
        assert_eq!(
            options.cache_imports[1].to_pb().attrs["ref"],
            "localhost:5000/c"
        );
    }

    #[test]
    fn malformed_cache_imports_are_an_error_naming_the_option() {
        let error = FrontendOptions::from_env_vars(env(&["cache-imports=not json"]))
            .expect_err("invalid JSON");
        assert_eq!(error.key, "cache-imports");
        assert!(
            error
                .to_string()
                .starts_with("invalid frontend option cache-imports=")
        );
    }

    #[test]
    fn no_cache_filter_names_stages_and_platform_lists_split() {
        let options = FrontendOptions::from_env_vars(env(&[
            "no-cache=deps,build",
            "platform=linux/amd64,linux/arm64/v8",
            "build-arg:URL=http://x/?a=b",
        ]))
        .expect("valid options");
        assert_eq!(
            options.no_cache,
            NoCache::Stages(vec!["deps".into(), "build".into()])
        );
        assert_eq!(options.platforms.len(), 2);
        assert_eq!(options.platforms[1].variant.as_deref(), Some("v8"));
        assert_eq!(options.build_args["URL"], "http://x/?a=b");
    }

    #[test]
    fn bad_platform_and_resolve_mode_are_errors() {
        let error =
            FrontendOptions::from_env_vars(env(&["platform=linux"])).expect_err("bad platform");
        assert_eq!(error.key, "platform");
        let error = FrontendOptions::from_env_vars(env(&["image-resolve-mode=sometimes"]))
            .expect_err("bad mode");
        assert_eq!(error.key, "image-resolve-mode");
    }
}
