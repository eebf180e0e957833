//! strata.yaml as Rust types. Every key is documented in README.md ("strata.yaml reference").

use std::collections::BTreeMap;

use super::diagnostic::Location;

/// A value together with where the user wrote it, so later layers can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub location: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Language {
    Go,
    Python,
    Node,
    Rust,
    /// A site of files to serve as they are (an `index.html` and what it links).
    Static,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::Go,
        Language::Python,
        Language::Node,
        Language::Rust,
        Language::Static,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Python => "python",
            Language::Node => "node",
            Language::Rust => "rust",
            Language::Static => "static",
        }
    }
}

/// What the final image is built on (`target.runtime`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeBase {
    /// A distroless-style image: CA certificates, tzdata, passwd, no shell.
    Static,
    /// A slim Debian image, for binaries that need libc or a shell.
    Slim,
    /// An empty image: the binary and nothing else.
    Scratch,
    /// Any image reference the user names.
    Image(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    Default,
    Host,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub language: Option<Spanned<Language>>,
    /// The application's directory inside the build context, normalised ("." or "a/b").
    pub path: Spanned<String>,
    /// Lockfiles relative to `path`; `None` means the language's defaults.
    pub lockfiles: Option<Vec<Spanned<String>>>,
    pub runtime: Spanned<RuntimeBase>,
    pub builder_image: Option<Spanned<String>>,
    pub build: Build,
    pub run: Run,
    pub proxy: Proxy,
    pub network: Network,
    pub go: GoSettings,
    pub python: PythonSettings,
    pub node: NodeSettings,
    pub rust: RustSettings,
    /// Prefix of every cache-mount id, so projects can share or isolate caches.
    pub cache_namespace: String,
    /// The BuildKit secret id of a CA bundle for the dependency steps (`ca.secret`, default
    /// `ca`); mounted only when the build passes it (`--secret id=ca,src=…`).
    pub ca_secret: String,
    /// Credentials for private dependencies (`secrets:`), mounted into the steps that download.
    pub secrets: Vec<BuildSecret>,
    /// The client's SSH agent, forwarded into the steps that download (`ssh:`).
    pub ssh: Option<SshSettings>,
    /// git's `url.<to>.insteadOf <from>` in the steps that download, keyed by `from`
    /// (`git.rewrite`): how a private module's https path is fetched over SSH.
    pub git_rewrites: BTreeMap<String, String>,
    /// The frontend image the build runs: the `# syntax=` line's (the engine's own word, when
    /// it gives one, replaces it). A front-end app's image takes its web server from there.
    pub frontend_image: Option<String>,
    /// The mirror keys a build arg set, each with that build arg (`go.proxy` → `GOPROXY`):
    /// their values stay out of the steps' cache keys; see `spec::mirrors`.
    pub mirror_args: BTreeMap<&'static str, String>,
}

/// `ssh:`: which forwarded agent the download steps use and which host keys they trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSettings {
    /// The `--ssh` id (`--ssh default` forwards the agent as `default`).
    pub id: String,
    /// known_hosts lines: ssh checks every server strictly against these and nothing else.
    pub known_hosts: Vec<String>,
}

/// Where the frontend image is published. A fork that publishes elsewhere builds its CLI with
/// `STRATA_PUBLISHED_IMAGE` set (`make release IMAGE=…` does), so its `init` names its own.
pub const PUBLISHED_IMAGE: &str = match option_env!("STRATA_PUBLISHED_IMAGE") {
    // An empty value is an unset build arg passed on.
    Some(image) if !image.is_empty() => image,
    _ => "ghcr.io/strata-build/strata",
};

/// The frontend image `strata init` names, and that a spec without a `# syntax=` line is planned
/// with: the published image at the tag that follows this version's compatible releases.
pub fn default_frontend_image() -> String {
    format!(
        "{PUBLISHED_IMAGE}:{}",
        compatible_tag(env!("CARGO_PKG_VERSION"))
    )
}

/// The release tag that moves with every version compatible with `version` (semver): the major
/// version, or `0.<minor>` before 1.0, where a minor release may break.
pub fn compatible_tag(version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or(version);
    match (major, parts.next()) {
        ("0", Some(minor)) => format!("0.{minor}"),
        _ => major.to_string(),
    }
}

/// Where every dependency step finds the CA bundle the build passes as a secret (`ca.secret`);
/// no user secret may take this path. Its directory exists in every base image: a mount whose
/// parent BuildKit had to create would leave that directory in the step's layer, which the
/// Python runtime takes as it is.
pub const CA_MOUNT_TARGET: &str = "/run/strata-ca";

/// A build secret (`--secret id=…,src=…`) the dependency steps read as a file: a netrc, an
/// `.npmrc`, a pip.conf, cargo credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSecret {
    pub id: String,
    /// The absolute path the file appears at, only while the step runs.
    pub target: String,
    /// Whether a build without the secret fails (the default) or runs without the file.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Build {
    /// Go: the main package (`./cmd/server`).
    pub main: Option<Spanned<String>>,
    /// Context files the compile and runtime steps see besides what strata finds, as patterns
    /// relative to `path`.
    pub include: Vec<Spanned<String>>,
    /// Files those steps must not see, as patterns relative to `path`: the last word.
    pub exclude: Vec<Spanned<String>>,
    pub env: BTreeMap<String, String>,
    pub ldflags: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Run {
    /// Exec-form entrypoint; `None` means the language's default (the built binary).
    pub command: Option<Vec<String>>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// `8080/tcp` style keys for the image's ExposedPorts.
    pub ports: Vec<String>,
    /// Numeric `uid[:gid]`; `None` means 65532:65532.
    pub user: Option<Spanned<String>>,
    pub workdir: Option<String>,
    /// Image labels, under strata's own (`--label` on the command line wins over both).
    pub labels: BTreeMap<String, String>,
    /// `static:`: the directory (relative to `path`) of the site to serve: what a front-end
    /// app's build writes, or a plain site's folder. Setting it makes the image a site.
    pub site: Option<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Proxy {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    pub deps: Option<NetworkMode>,
    pub build: Option<NetworkMode>,
}

/// Module-proxy settings handed to the Go dependency step only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoSettings {
    pub proxy: Option<String>,
    pub sumdb: Option<String>,
    pub private: Option<String>,
    /// GONOSUMDB: modules not checked against the checksum database (build arg only).
    pub nosumdb: Option<String>,
    pub flags: Option<String>,
}

/// Package-index settings handed to the Python dependency steps only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PythonSettings {
    /// Replaces PyPI (`PIP_INDEX_URL`, `UV_DEFAULT_INDEX`).
    pub index: Option<String>,
    /// Searched besides it (`PIP_EXTRA_INDEX_URL`, `UV_INDEX`).
    pub extra_indexes: Vec<String>,
}

/// Where Node packages come from (`node:`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeSettings {
    /// Replaces the npm registry for npm, pnpm and yarn (`npm_config_registry`).
    pub registry: Option<String>,
}

/// Which crate and binary a Rust build makes, how it links, and where crates come from (`rust:`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RustSettings {
    /// The workspace member to build (`cargo build --package`).
    pub package: Option<Spanned<String>>,
    /// The binary target (`cargo build --bin`).
    pub bin: Option<Spanned<String>>,
    /// Link glibc statically (`-C target-feature=+crt-static`) for a static or scratch runtime.
    pub static_link: bool,
    /// The sparse index URL of a mirror that replaces crates.io (cargo source replacement).
    pub registry: Option<String>,
}
