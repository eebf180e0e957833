//! Every key strata.yaml may hold, once: the decoder checks keys against this table, and
//! `strata schema` turns it into the JSON Schema editors use for completion and checking
//! (committed as schema/strata.schema.json; a test keeps the two equal).

use serde_json::{Map, Value, json};

/// What a key holds, as far as a schema can say; the decoder checks the finer rules (paths
/// inside the context, numeric users, URLs without credentials).
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    /// A YAML number or string, e.g. `version: 1`.
    TextOrNumber,
    Boolean,
    /// One of the listed words.
    Word(&'static [&'static str]),
    /// A list of strings; a single string counts as a one-item list.
    List,
    /// A list of ports: numbers or `"53/udp"` strings.
    Ports,
    /// A mapping of names to strings.
    Strings,
    /// A nested section of this table.
    Section(&'static str),
    /// A list of mappings, each a section of this table.
    Entries(&'static str),
}

struct Key {
    /// The section the key belongs to; `""` is the top level.
    section: &'static str,
    name: &'static str,
    kind: Kind,
    about: &'static str,
}

const fn key(section: &'static str, name: &'static str, kind: Kind, about: &'static str) -> Key {
    Key {
        section,
        name,
        kind,
        about,
    }
}

const NETWORK_MODES: &[&str] = &["default", "host", "none"];

const KEYS: &[Key] = &[
    key(
        "",
        "version",
        Kind::TextOrNumber,
        "Spec format version; must be 1.",
    ),
    key(
        "",
        "language",
        Kind::Word(&["go", "python", "node", "rust", "static"]),
        "The project's language; detected from its files when left out.",
    ),
    key(
        "",
        "path",
        Kind::Text,
        "The application's directory inside the build context.",
    ),
    key(
        "",
        "lockfiles",
        Kind::List,
        "The files the dependency step may see, relative to path.",
    ),
    key("", "target", Kind::Section("target"), "The final image."),
    key("", "images", Kind::Section("images"), "Base images."),
    key("", "build", Kind::Section("build"), "The compile step."),
    key("", "run", Kind::Section("run"), "How the image runs."),
    key(
        "",
        "proxy",
        Kind::Section("proxy"),
        "An HTTP proxy for the dependency steps.",
    ),
    key(
        "",
        "network",
        Kind::Section("network"),
        "Network access per stage.",
    ),
    key("", "go", Kind::Section("go"), "Go module proxy settings."),
    key(
        "",
        "python",
        Kind::Section("python"),
        "Python package indexes.",
    ),
    key("", "node", Kind::Section("node"), "npm registry settings."),
    key(
        "",
        "rust",
        Kind::Section("rust"),
        "Rust package, binary, linking and registry mirror.",
    ),
    key("", "cache", Kind::Section("cache"), "Cache-mount ids."),
    key(
        "",
        "ca",
        Kind::Section("ca"),
        "A CA bundle for the dependency steps.",
    ),
    key(
        "",
        "ssh",
        Kind::Section("ssh"),
        "SSH agent forwarding (--ssh) for private git dependencies.",
    ),
    key(
        "",
        "git",
        Kind::Section("git"),
        "git settings of the steps that download.",
    ),
    key(
        "",
        "secrets",
        Kind::Entries("secret"),
        "Build secrets mounted as files into the steps that download.",
    ),
    key(
        "target",
        "runtime",
        Kind::Text,
        "static, slim, scratch, or an image reference (name@sha256:... pins it).",
    ),
    key(
        "images",
        "builder",
        Kind::Text,
        "The toolchain image of the dependency and compile stages.",
    ),
    key(
        "build",
        "main",
        Kind::Text,
        "Go: the main package directory.",
    ),
    key(
        "build",
        "include",
        Kind::List,
        "Files the compile and runtime steps see besides what strata finds (.dockerignore-style patterns).",
    ),
    key(
        "build",
        "exclude",
        Kind::List,
        "Files the compile and runtime steps must not see (.dockerignore-style patterns).",
    ),
    key(
        "build",
        "env",
        Kind::Strings,
        "Environment of the compile step.",
    ),
    key("build", "ldflags", Kind::Text, "Extra Go linker flags."),
    key("build", "tags", Kind::List, "Go build tags."),
    key("run", "command", Kind::List, "The exec-form entrypoint."),
    key("run", "args", Kind::List, "The image's Cmd."),
    key(
        "run",
        "env",
        Kind::Strings,
        "Environment baked into the image.",
    ),
    key(
        "run",
        "ports",
        Kind::Ports,
        "Exposed ports: 8080 or \"53/udp\".",
    ),
    key("run", "user", Kind::TextOrNumber, "Numeric uid[:gid]."),
    key(
        "run",
        "workdir",
        Kind::Text,
        "The image's working directory (absolute).",
    ),
    key("run", "labels", Kind::Strings, "Image labels."),
    key(
        "run",
        "static",
        Kind::Text,
        "Serve this directory (relative to path) as a site: what the build writes, e.g. dist.",
    ),
    key(
        "proxy",
        "http",
        Kind::Text,
        "HTTP_PROXY (no credentials: pass those as a build arg).",
    ),
    key(
        "proxy",
        "https",
        Kind::Text,
        "HTTPS_PROXY (no credentials: pass those as a build arg).",
    ),
    key("proxy", "no_proxy", Kind::Text, "NO_PROXY."),
    key(
        "network",
        "deps",
        Kind::Word(NETWORK_MODES),
        "Network of the dependency steps.",
    ),
    key(
        "network",
        "build",
        Kind::Word(NETWORK_MODES),
        "Network of the compile step.",
    ),
    key("go", "proxy", Kind::Text, "GOPROXY."),
    key("go", "sumdb", Kind::Text, "GOSUMDB."),
    key("go", "private", Kind::List, "GOPRIVATE patterns."),
    key("go", "flags", Kind::Text, "GOFLAGS."),
    key(
        "python",
        "index",
        Kind::Text,
        "A PyPI mirror (no credentials: use a netrc secret).",
    ),
    key(
        "python",
        "extra_indexes",
        Kind::List,
        "Indexes searched besides it.",
    ),
    key(
        "rust",
        "package",
        Kind::Text,
        "The workspace member to build.",
    ),
    key(
        "node",
        "registry",
        Kind::Text,
        "An npm registry mirror for npm, pnpm and yarn (no credentials: use an .npmrc secret).",
    ),
    key("rust", "bin", Kind::Text, "The binary target to build."),
    key(
        "ssh",
        "known_hosts",
        Kind::List,
        "The git servers' host keys, as known_hosts lines (ssh-keyscan prints them).",
    ),
    key(
        "ssh",
        "id",
        Kind::Text,
        "The --ssh id of the forwarded agent (default: default).",
    ),
    key(
        "git",
        "rewrite",
        Kind::Strings,
        "URL prefixes git fetches from instead, e.g. https://git.corp/: ssh://git@git.corp/.",
    ),
    key(
        "rust",
        "registry",
        Kind::Text,
        "The sparse index URL of a crates.io mirror (no credentials: use a secret).",
    ),
    key(
        "rust",
        "static",
        Kind::Boolean,
        "Link glibc statically (+crt-static).",
    ),
    key(
        "cache",
        "namespace",
        Kind::Text,
        "Prefix of every cache-mount id.",
    ),
    key(
        "ca",
        "secret",
        Kind::Text,
        "The BuildKit secret id of the CA bundle (default ca).",
    ),
    key(
        "secret",
        "id",
        Kind::Text,
        "The id given to --secret id=...,src=...",
    ),
    key(
        "secret",
        "target",
        Kind::Text,
        "The absolute path the file appears at.",
    ),
    key(
        "secret",
        "required",
        Kind::Boolean,
        "Whether a build without the secret fails (default true).",
    ),
];

/// The keys of a section (`""` for the top level), in the order the reference lists them.
pub fn keys(section: &str) -> Vec<&'static str> {
    KEYS.iter()
        .filter(|k| k.section == section)
        .map(|k| k.name)
        .collect()
}

/// The JSON Schema (draft 2020-12) of strata.yaml.
pub fn json_schema() -> Value {
    let mut schema = object_of("");
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema["title"] = json!("strata.yaml");
    schema["required"] = json!(["version"]);
    schema
}

fn object_of(section: &str) -> Value {
    let mut properties = Map::new();
    for key in KEYS.iter().filter(|k| k.section == section) {
        let mut property = match key.kind {
            Kind::Text => json!({"type": "string"}),
            Kind::TextOrNumber => json!({"type": ["string", "integer"]}),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::Word(words) => json!({"enum": words}),
            Kind::List => json!({"oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
            ]}),
            Kind::Ports => json!({
                "type": "array",
                "items": {"type": ["integer", "string"]},
            }),
            Kind::Strings => json!({
                "type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            }),
            Kind::Section(name) => object_of(name),
            Kind::Entries(name) => {
                let mut entry = object_of(name);
                entry["required"] = json!(["id"]);
                json!({"type": "array", "items": entry})
            }
        };
        property["description"] = json!(key.about);
        properties.insert(key.name.to_string(), property);
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    })
}
