//! Turns the spanned YAML tree into a [`Spec`], collecting every problem it finds.

use std::collections::BTreeMap;

use super::diagnostic::{Diagnostic, Location};
use super::model::{
    Build, BuildSecret, CA_MOUNT_TARGET, GoSettings, Language, Network, NetworkMode, NodeSettings,
    Proxy, PythonSettings, Run, RuntimeBase, RustSettings, Spanned, Spec, SshSettings,
};
use super::schema;
use super::yaml::{Node, Value, is_null};

/// The BuildKit secret id the dependency steps read a CA bundle from when `ca.secret` is unset.
const DEFAULT_CA_SECRET: &str = "ca";

const SUPPORTED_VERSION: &str = "1";

/// The keys of one mapping, checked against the keys its section allows.
struct Section<'a> {
    entries: &'a [(Node, Node)],
}

impl<'a> Section<'a> {
    fn new(
        node: &'a Node,
        name: &str,
        known: &[&str],
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Self> {
        let Value::Mapping(entries) = &node.value else {
            problems.push(Diagnostic::at(
                node.location,
                format!(
                    "{name} must be a mapping of keys, found {}",
                    node.kind_name()
                ),
            ));
            return None;
        };
        for (key, _) in entries {
            let word = text(key);
            if !known.contains(&word) {
                let mut d = Diagnostic::at(key.location, format!("unknown key `{word}` in {name}"));
                d = match closest(word, known) {
                    Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                    None => d.with_hint(format!("allowed here: {}", known.join(", "))),
                };
                problems.push(d);
            }
        }
        Some(Section { entries })
    }

    fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, v)| text(k) == key && !is_null_node(v))
            .map(|(_, v)| v)
    }
}

fn text(node: &Node) -> &str {
    match &node.value {
        Value::Scalar { text, .. } => text,
        _ => "",
    }
}

fn is_null_node(node: &Node) -> bool {
    matches!(&node.value, Value::Scalar { text, quoted: false } if is_null(text))
}

/// The allowed word nearest to a misspelt one, if it is plausibly a typo.
fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) || k.starts_with(word) || word.starts_with(k))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// Collects problems while decoding; each `take_*` returns `None` after recording why.
struct Decoder {
    problems: Vec<Diagnostic>,
}

impl Decoder {
    fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } => Some(text.clone()),
            _ => {
                self.problems.push(Diagnostic::at(
                    node.location,
                    format!("`{key}` must be a single value, found {}", node.kind_name()),
                ));
                None
            }
        }
    }

    fn spanned_string(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        self.string(node, key).map(|value| Spanned {
            value,
            location: node.location,
        })
    }

    /// A list of scalars; a single scalar counts as a one-item list where `lenient`.
    fn list(&mut self, node: &Node, key: &str, lenient: bool) -> Option<Vec<Spanned<String>>> {
        match &node.value {
            Value::Scalar { text, .. } if lenient => Some(vec![Spanned {
                value: text.clone(),
                location: node.location,
            }]),
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.push(self.spanned_string(item, key)?);
                }
                Some(out)
            }
            _ => {
                self.problems.push(
                    Diagnostic::at(
                        node.location,
                        format!("`{key}` must be a list, found {}", node.kind_name()),
                    )
                    .with_hint(format!("write it as a list: `{key}: [\"...\", \"...\"]`")),
                );
                None
            }
        }
    }

    fn plain_list(&mut self, node: &Node, key: &str, lenient: bool) -> Option<Vec<String>> {
        self.list(node, key, lenient)
            .map(|items| items.into_iter().map(|s| s.value).collect())
    }

    fn env(&mut self, node: &Node, key: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Value::Mapping(entries) = &node.value else {
            self.problems.push(
                Diagnostic::at(
                    node.location,
                    format!(
                        "`{key}` must be a mapping of NAME: value, found {}",
                        node.kind_name()
                    ),
                )
                .with_hint(format!("for example:\n    {key}:\n      GIN_MODE: release")),
            );
            return out;
        };
        for (name_node, value_node) in entries {
            let name = text(name_node);
            let valid = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                self.problems.push(
                    Diagnostic::at(
                        name_node.location,
                        format!("`{name}` is not a valid environment variable name"),
                    )
                    .with_hint("use letters, digits and `_`, not starting with a digit"),
                );
                continue;
            }
            if let Some(value) = self.string(value_node, name) {
                out.insert(name.to_string(), value);
            }
        }
        out
    }

    fn boolean(&mut self, node: &Node, key: &str) -> Option<bool> {
        match &node.value {
            Value::Scalar {
                text,
                quoted: false,
            } if text == "true" || text == "false" => Some(text == "true"),
            _ => {
                self.fail(
                    node.location,
                    format!("`{key}` must be true or false"),
                    format!("write `{key}: true` or `{key}: false`, without quotes"),
                );
                None
            }
        }
    }

    /// A mapping of label keys (`org.opencontainers.image.source`) to values.
    fn labels(&mut self, node: &Node) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Value::Mapping(entries) = &node.value else {
            self.fail(
                node.location,
                format!("`labels` must be a mapping of key: value, found {}", node.kind_name()),
                "for example:\n    labels:\n      org.opencontainers.image.source: https://example.com/repo",
            );
            return out;
        };
        for (key_node, value_node) in entries {
            let key = text(key_node);
            if key.is_empty() || key.contains(char::is_whitespace) {
                self.fail(
                    key_node.location,
                    format!("`{key}` is not a label key"),
                    "label keys are words like `org.opencontainers.image.source`, without spaces",
                );
                continue;
            }
            if let Some(value) = self.string(value_node, key) {
                out.insert(key.to_string(), value);
            }
        }
        out
    }

    /// A language's own section (`go:`, `rust:`), refused when the spec names another language.
    fn language_section<'a>(
        &mut self,
        top: &Section<'a>,
        owner: Language,
        language: Option<&Spanned<Language>>,
    ) -> Option<Section<'a>> {
        let key = owner.name();
        let node = top.get(key)?;
        if let Some(l) = language {
            if l.value != owner {
                self.fail(
                    node.location,
                    format!(
                        "`{key}` settings given, but `language` is {}",
                        l.value.name()
                    ),
                    format!(
                        "remove the `{key}` section or set `language: {}`",
                        owner.name()
                    ),
                );
            }
        }
        Section::new(
            node,
            &format!("`{key}`"),
            &schema::keys(key),
            &mut self.problems,
        )
    }

    /// A nested section; its keys are the schema's.
    fn section<'a>(&mut self, parent: &Section<'a>, key: &str) -> Option<Section<'a>> {
        let node = parent.get(key)?;
        Section::new(
            node,
            &format!("`{key}`"),
            &schema::keys(key),
            &mut self.problems,
        )
    }

    fn fail(&mut self, location: Location, message: impl Into<String>, hint: impl Into<String>) {
        self.problems
            .push(Diagnostic::at(location, message).with_hint(hint));
    }

    /// A path inside the build context: relative, normalised, never climbing out of it.
    /// A relative path, normalised; `example` shows what it is relative to.
    fn relative_path(&mut self, node: &Node, key: &str, example: &str) -> Option<Spanned<String>> {
        let raw = self.spanned_string(node, key)?;
        match normalise_relative(&raw.value) {
            Ok(value) => Some(Spanned {
                value,
                location: raw.location,
            }),
            Err(why) => {
                self.fail(
                    raw.location,
                    format!("`{key}: {}` {why}", raw.value),
                    example,
                );
                None
            }
        }
    }

    /// A BuildKit secret id, as given to `--secret id=...`.
    fn secret_id(&mut self, node: &Node, key: &str) -> Option<String> {
        self.client_id(node, key, "secret", "`--secret id=...,src=...`")
    }

    /// The id of something the client forwards (`--secret`, `--ssh`): a plain word.
    fn client_id(&mut self, node: &Node, key: &str, what: &str, flag: &str) -> Option<String> {
        let id = self.string(node, key)?;
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if valid {
            return Some(id);
        }
        self.fail(
            node.location,
            format!("`{key}: {id}` is not a BuildKit {what} id"),
            format!("use the id given to {flag}: letters, digits, `.`, `_` and `-`"),
        );
        None
    }

    fn url(&mut self, node: &Node, key: &str, allow_keywords: &[&str]) -> Option<String> {
        let value = self.spanned_string(node, key)?;
        self.checked_url(value, key, allow_keywords)
    }

    /// A URL (or a `,`/`|` list of them, as GOPROXY takes) with no credentials in it.
    fn checked_url(
        &mut self,
        spanned: Spanned<String>,
        key: &str,
        allow_keywords: &[&str],
    ) -> Option<String> {
        let Spanned { value, location } = spanned;
        // URLs reach shell scripts and tool configs: characters a URL never carries unescaped
        // are refused rather than quoted.
        if let Some(c) = value
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || "'\"\\`$".contains(*c))
        {
            self.fail(
                location,
                format!("`{key}` has the character {c:?}, which a URL cannot carry unescaped"),
                "percent-encode it (a space is %20)",
            );
            return None;
        }
        for part in value.split([',', '|']) {
            if allow_keywords.contains(&part) {
                continue;
            }
            let Some((scheme, rest)) = part.split_once("://") else {
                self.fail(
                    location,
                    format!("`{key}: {value}` is not a URL"),
                    "write it as `http://host:port` or `https://host`",
                );
                return None;
            };
            if !matches!(scheme, "http" | "https" | "socks5" | "file") {
                self.fail(
                    location,
                    format!("`{key}` uses the unsupported scheme `{scheme}`"),
                    "use http://, https:// or file://",
                );
                return None;
            }
            let authority = rest.split('/').next().unwrap_or_default();
            if authority.contains('@') {
                self.fail(
                    location,
                    format!("`{key}` carries credentials in its URL; strata.yaml is committed, so they would leak"),
                    "remove the `user:password@` part: pass a proxy's credentials with `--build-arg HTTPS_PROXY=...`, a registry's as a netrc under `secrets:`",
                );
                return None;
            }
        }
        Some(value)
    }
}

/// `./a//b/` → `a/b`; `.` and `./` → `.`. Refuses absolute paths and `..` climbing out.
pub fn normalise_relative(raw: &str) -> Result<String, &'static str> {
    if raw.starts_with('/') {
        return Err("is an absolute path");
    }
    if raw.contains('\\') {
        return Err("uses `\\`; write paths with `/`");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("climbs out of the build context with `..`");
                }
            }
            p => parts.push(p),
        }
    }
    Ok(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

pub fn decode(root: &Node) -> Result<Spec, Vec<Diagnostic>> {
    let mut d = Decoder {
        problems: Vec::new(),
    };
    let Some(top) = Section::new(root, "strata.yaml", &schema::keys(""), &mut d.problems) else {
        return Err(d.problems);
    };

    match top.get("version") {
        None => d.fail(
            root.location,
            "`version` is missing",
            format!("add `version: {SUPPORTED_VERSION}` at the top"),
        ),
        Some(node) => {
            if let Some(v) = d.string(node, "version") {
                if v != SUPPORTED_VERSION {
                    d.fail(
                        node.location,
                        format!("`version: {v}` is not supported by this strata"),
                        format!("this strata reads `version: {SUPPORTED_VERSION}`"),
                    );
                }
            }
        }
    }

    let language = top.get("language").and_then(|node| {
        let word = d.string(node, "language")?;
        match Language::ALL.iter().find(|l| l.name() == word) {
            Some(l) => Some(Spanned {
                value: *l,
                location: node.location,
            }),
            None => {
                let names: Vec<&str> = Language::ALL.iter().map(|l| l.name()).collect();
                let hint = match closest(&word, &names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("choose one of: {}", names.join(", ")),
                };
                d.fail(node.location, format!("unknown language `{word}`"), hint);
                None
            }
        }
    });

    let path = match top.get("path") {
        Some(node) => d.relative_path(
            node,
            "path",
            "paths are relative to the build context, e.g. `.` or `services/api`",
        ),
        None => None,
    }
    .unwrap_or(Spanned {
        value: ".".to_string(),
        location: root.location,
    });

    let lockfiles = top.get("lockfiles").and_then(|node| {
        let items = d.list(node, "lockfiles", true)?;
        let mut out = Vec::new();
        for item in items {
            match normalise_relative(&item.value) {
                Ok(value) if value != "." => out.push(Spanned {
                    value,
                    location: item.location,
                }),
                Ok(_) => d.fail(
                    item.location,
                    "a lockfile must name a file",
                    "e.g. `go.sum`",
                ),
                Err(why) => d.fail(
                    item.location,
                    format!("lockfile `{}` {why}", item.value),
                    "lockfiles are relative to `path`",
                ),
            }
        }
        Some(out)
    });

    let runtime = d
        .section(&top, "target")
        .and_then(|target| target.get("runtime"))
        .and_then(|node| {
            let word = d.string(node, "runtime")?;
            let value = match word.as_str() {
                "static" => RuntimeBase::Static,
                "slim" => RuntimeBase::Slim,
                "scratch" => RuntimeBase::Scratch,
                other if looks_like_image(other) => RuntimeBase::Image(other.to_string()),
                other => {
                    d.fail(
                        node.location,
                        format!(
                            "`runtime: {other}` is neither a runtime kind nor an image reference"
                        ),
                        "use static, slim, scratch, or an image such as `debian:trixie-slim`",
                    );
                    return None;
                }
            };
            Some(Spanned {
                value,
                location: node.location,
            })
        })
        .unwrap_or(Spanned {
            value: RuntimeBase::Static,
            location: root.location,
        });

    let builder_image = d
        .section(&top, "images")
        .and_then(|images| images.get("builder"))
        .and_then(|node| {
            let image = d.spanned_string(node, "builder")?;
            if !looks_like_image(&image.value) {
                d.fail(
                    node.location,
                    format!("`builder: {}` is not an image reference", image.value),
                    "e.g. `golang:1.24-trixie` or `registry.example.com/go:1.24@sha256:...`",
                );
                return None;
            }
            Some(image)
        });

    let mut build = Build::default();
    if let Some(section) = d.section(&top, "build") {
        build.main = section.get("main").and_then(|n| {
            d.relative_path(
                n,
                "main",
                "`main` is relative to `path`, e.g. `./cmd/server`",
            )
        });
        for (key, patterns) in [
            ("include", &mut build.include),
            ("exclude", &mut build.exclude),
        ] {
            let Some(node) = section.get(key) else {
                continue;
            };
            for item in d.list(node, key, true).unwrap_or_default() {
                let body = item.value.strip_prefix('!').unwrap_or(&item.value);
                if body.starts_with('/') || body.split('/').any(|p| p == "..") {
                    d.fail(
                        item.location,
                        format!("{key} pattern `{}` points outside `path`", item.value),
                        format!("{key} patterns are relative to `path`, e.g. `templates/**`"),
                    );
                } else {
                    patterns.push(item);
                }
            }
        }
        if let Some(node) = section.get("env") {
            build.env = d.env(node, "env");
        }
        build.ldflags = section.get("ldflags").and_then(|n| d.string(n, "ldflags"));
        if let Some(node) = section.get("tags") {
            build.tags = d.plain_list(node, "tags", true).unwrap_or_default();
        }
    }

    let mut run = Run::default();
    if let Some(section) = d.section(&top, "run") {
        run.command = section
            .get("command")
            .and_then(|n| d.plain_list(n, "command", false));
        if let Some(node) = section.get("args") {
            run.args = d.plain_list(node, "args", false).unwrap_or_default();
        }
        if let Some(node) = section.get("env") {
            run.env = d.env(node, "env");
        }
        if let Some(node) = section.get("ports") {
            for item in d.list(node, "ports", true).unwrap_or_default() {
                match parse_port(&item.value) {
                    Some(port) => run.ports.push(port),
                    None => d.fail(
                        item.location,
                        format!("`{}` is not a port", item.value),
                        "a port is a number from 1 to 65535, optionally with /tcp or /udp",
                    ),
                }
            }
        }
        run.user = section.get("user").and_then(|node| {
            let user = d.spanned_string(node, "user")?;
            if !is_numeric_user(&user.value) {
                d.fail(
                    node.location,
                    format!("`user: {}` is not a numeric uid[:gid]", user.value),
                    "minimal runtime images have no /etc/passwd to look names up in; use e.g. `65532:65532`",
                );
                return None;
            }
            Some(user)
        });
        run.workdir = section.get("workdir").and_then(|node| {
            let dir = d.string(node, "workdir")?;
            if !dir.starts_with('/') {
                d.fail(
                    node.location,
                    "`workdir` must be an absolute path",
                    "e.g. `/app`",
                );
                return None;
            }
            Some(dir)
        });
        if let Some(node) = section.get("labels") {
            run.labels = d.labels(node);
        }
        run.site = section.get("static").and_then(|n| {
            d.relative_path(
                n,
                "static",
                "`static` is the built site's directory, relative to `path`, e.g. `dist`",
            )
        });
    }

    let mut proxy = Proxy::default();
    if let Some(section) = d.section(&top, "proxy") {
        proxy.http = section.get("http").and_then(|n| d.url(n, "http", &[]));
        proxy.https = section.get("https").and_then(|n| d.url(n, "https", &[]));
        proxy.no_proxy = section
            .get("no_proxy")
            .and_then(|n| d.plain_list(n, "no_proxy", true))
            .map(|hosts| hosts.join(","));
    }

    let mut network = Network::default();
    if let Some(section) = d.section(&top, "network") {
        for key in schema::keys("network") {
            let Some(node) = section.get(key) else {
                continue;
            };
            let Some(word) = d.string(node, key) else {
                continue;
            };
            let mode = match word.as_str() {
                "default" => NetworkMode::Default,
                "host" => NetworkMode::Host,
                "none" => NetworkMode::None,
                other => {
                    d.fail(
                        node.location,
                        format!("unknown network mode `{other}`"),
                        "use default, host or none",
                    );
                    continue;
                }
            };
            match key {
                "deps" => network.deps = Some(mode),
                _ => network.build = Some(mode),
            }
        }
    }

    let mut go = GoSettings::default();
    if let Some(section) = d.language_section(&top, Language::Go, language.as_ref()) {
        go.proxy = section
            .get("proxy")
            .and_then(|n| d.url(n, "proxy", &["direct", "off"]));
        go.sumdb = section.get("sumdb").and_then(|n| d.string(n, "sumdb"));
        go.private = section
            .get("private")
            .and_then(|n| d.plain_list(n, "private", true))
            .map(|globs| globs.join(","));
        go.flags = section.get("flags").and_then(|n| d.string(n, "flags"));
    }

    let mut python = PythonSettings::default();
    if let Some(section) = d.language_section(&top, Language::Python, language.as_ref()) {
        python.index = section.get("index").and_then(|n| d.url(n, "index", &[]));
        if let Some(node) = section.get("extra_indexes") {
            for url in d.list(node, "extra_indexes", true).unwrap_or_default() {
                if let Some(url) = d.checked_url(url, "extra_indexes", &[]) {
                    python.extra_indexes.push(url);
                }
            }
        }
    }

    let mut node = NodeSettings::default();
    if let Some(section) = d.language_section(&top, Language::Node, language.as_ref()) {
        node.registry = section
            .get("registry")
            .and_then(|n| d.url(n, "registry", &[]));
    }

    let mut rust = RustSettings::default();
    if let Some(section) = d.language_section(&top, Language::Rust, language.as_ref()) {
        rust.registry = section
            .get("registry")
            .and_then(|n| d.url(n, "registry", &[]));
        rust.package = section
            .get("package")
            .and_then(|n| d.spanned_string(n, "package"));
        rust.bin = section.get("bin").and_then(|n| d.spanned_string(n, "bin"));
        if let Some(node) = section.get("static") {
            rust.static_link = d.boolean(node, "static").unwrap_or_default();
        }
    }

    let mut cache_namespace = "default".to_string();
    if let Some(section) = d.section(&top, "cache") {
        if let Some(node) = section.get("namespace") {
            if let Some(ns) = d.string(node, "namespace") {
                let valid = !ns.is_empty()
                    && ns.len() <= 64
                    && ns
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
                if valid {
                    cache_namespace = ns;
                } else {
                    d.fail(
                        node.location,
                        format!("cache namespace `{ns}` has characters BuildKit cache ids should not carry"),
                        "use lowercase letters, digits, `.`, `_` and `-` (at most 64)",
                    );
                }
            }
        }
    }

    let ca_secret = d
        .section(&top, "ca")
        .and_then(|section| section.get("secret"))
        .and_then(|node| d.secret_id(node, "secret"))
        .unwrap_or_else(|| DEFAULT_CA_SECRET.to_string());

    let secrets = top
        .get("secrets")
        .map(|node| decode_secrets(&mut d, node, &ca_secret))
        .unwrap_or_default();

    let ssh = top.get("ssh").and_then(|node| decode_ssh(&mut d, node));
    let git_rewrites = d
        .section(&top, "git")
        .and_then(|section| section.get("rewrite"))
        .map(|node| decode_git_rewrites(&mut d, node))
        .unwrap_or_default();

    if !d.problems.is_empty() {
        return Err(d.problems);
    }
    Ok(Spec {
        language,
        path,
        lockfiles,
        runtime,
        builder_image,
        build,
        run,
        proxy,
        network,
        go,
        python,
        node,
        ssh,
        git_rewrites,
        rust,
        cache_namespace,
        ca_secret,
        secrets,
        frontend_image: None,
    })
}

/// `ssh:`: the agent id and the host keys. Without host keys ssh would have to trust whatever
/// answers, so they are required.
fn decode_ssh(d: &mut Decoder, node: &Node) -> Option<SshSettings> {
    let section = Section::new(node, "`ssh`", &schema::keys("ssh"), &mut d.problems)?;
    let id = section
        .get("id")
        .and_then(|n| d.client_id(n, "id", "ssh", "`--ssh ID=$SSH_AUTH_SOCK`"))
        .unwrap_or_else(|| "default".to_string());
    let Some(hosts_node) = section.get("known_hosts") else {
        d.fail(
            node.location,
            "`ssh` needs `known_hosts`: the host keys of the git servers the build reaches",
            "list them as known_hosts lines; `ssh-keyscan -p PORT HOST` prints them",
        );
        return None;
    };
    let mut known_hosts = Vec::new();
    for line in d.list(hosts_node, "known_hosts", true).unwrap_or_default() {
        let fields: Vec<&str> = line.value.split_whitespace().collect();
        let key_type = fields.get(1).copied().unwrap_or_default();
        let looks_like_a_key = fields.len() >= 3
            && (key_type.starts_with("ssh-")
                || key_type.starts_with("ecdsa-")
                || key_type.starts_with("sk-"));
        if looks_like_a_key && !line.value.contains(['\n', '\r']) {
            known_hosts.push(line.value);
        } else {
            d.fail(
                line.location,
                format!("`{}` is not a known_hosts line", line.value),
                "write `HOST KEYTYPE KEY`, e.g. `[git.corp.example]:2222 ssh-ed25519 AAAA…`, as `ssh-keyscan` prints it",
            );
        }
    }
    Some(SshSettings { id, known_hosts })
}

/// `git.rewrite`: `from: to` URL prefixes, both plain URLs git understands and neither with a
/// password (a user name, as in `ssh://git@host/`, is how SSH URLs name the account).
fn decode_git_rewrites(d: &mut Decoder, node: &Node) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Value::Mapping(entries) = &node.value else {
        d.fail(
            node.location,
            format!(
                "`rewrite` must be a mapping of URL: URL, found {}",
                node.kind_name()
            ),
            "for example:\n    rewrite:\n      \"https://git.corp.example/\": \"ssh://git@git.corp.example/\"",
        );
        return out;
    };
    for (from_node, to_node) in entries {
        let from = text(from_node).to_string();
        let Some(to) = d.string(to_node, &from) else {
            continue;
        };
        let mut valid = true;
        for (url, location) in [(&from, from_node.location), (&to, to_node.location)] {
            if let Some(problem) = git_url_problem(url) {
                d.fail(location, format!("`{url}` {problem}"), GIT_URL_HINT);
                valid = false;
            }
        }
        if valid {
            out.insert(from, to);
        }
    }
    out
}

const GIT_URL_HINT: &str =
    "write a URL prefix such as `https://git.corp.example/` or `ssh://git@git.corp.example:2222/`";

/// What is wrong with a git URL prefix, if anything.
fn git_url_problem(url: &str) -> Option<&'static str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("is not a URL");
    };
    if !matches!(scheme, "https" | "http" | "ssh" | "git") {
        return Some("uses a scheme git rewrites do not take here (https, http, ssh, git)");
    }
    if url.contains(|c: char| c.is_whitespace() || c.is_control() || "'\"\\`$".contains(c)) {
        return Some("has a character a URL cannot carry unescaped");
    }
    let authority = rest.split('/').next().unwrap_or_default();
    match authority.split_once('@') {
        Some((user, _)) if user.contains(':') => {
            Some("carries a password; strata.yaml is committed, so it would leak")
        }
        _ => None,
    }
}

/// `secrets:` — a list of `{id, target, required}`, each mounted into the dependency steps.
fn decode_secrets(d: &mut Decoder, node: &Node, ca_secret: &str) -> Vec<BuildSecret> {
    let Value::Sequence(items) = &node.value else {
        d.fail(
            node.location,
            format!("`secrets` must be a list, found {}", node.kind_name()),
            "for example:\n    secrets:\n      - id: netrc\n        target: /root/.netrc",
        );
        return Vec::new();
    };
    let mut out: Vec<BuildSecret> = Vec::new();
    for item in items {
        let Some(section) = Section::new(
            item,
            "a `secrets` entry",
            &schema::keys("secret"),
            &mut d.problems,
        ) else {
            continue;
        };
        let Some(id_node) = section.get("id") else {
            d.fail(
                item.location,
                "a `secrets` entry needs an `id`",
                "the id given to `--secret id=...,src=...`",
            );
            continue;
        };
        let Some(id) = d.secret_id(id_node, "id") else {
            continue;
        };
        if id == ca_secret {
            d.fail(
                id_node.location,
                format!("secret `{id}` is the CA bundle's id, which strata mounts already"),
                "use `ca: {secret: ...}` for a CA bundle, or another id here",
            );
            continue;
        }
        let target = match section.get("target") {
            None => format!("/run/secrets/{id}"),
            Some(target_node) => {
                let Some(target) = d.string(target_node, "target") else {
                    continue;
                };
                let normal = target.starts_with('/')
                    && !target.ends_with('/')
                    && target
                        .split('/')
                        .skip(1)
                        .all(|p| !matches!(p, "" | "." | ".."));
                if !normal || target == CA_MOUNT_TARGET {
                    d.fail(
                        target_node.location,
                        format!("`target: {target}` is not a file path a secret can be mounted at"),
                        format!(
                            "give an absolute file path such as `/root/.netrc` (not `{CA_MOUNT_TARGET}`)"
                        ),
                    );
                    continue;
                }
                target
            }
        };
        let required = match section.get("required") {
            None => true,
            Some(flag) => match d.boolean(flag, "required") {
                Some(required) => required,
                None => continue,
            },
        };
        if let Some(earlier) = out.iter().find(|s| s.id == id || s.target == target) {
            d.fail(
                item.location,
                format!(
                    "this secret repeats the id or target of `{}` ({})",
                    earlier.id, earlier.target
                ),
                "give each secret its own id and target",
            );
            continue;
        }
        out.push(BuildSecret {
            id,
            target,
            required,
        });
    }
    out
}

/// A loose check that catches words that were meant as something else; the engine validates
/// the reference for real when it resolves it.
fn looks_like_image(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(char::is_whitespace)
        && (s.contains(':') || s.contains('/') || s.contains('@'))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
}

fn parse_port(s: &str) -> Option<String> {
    let (number, protocol) = match s.split_once('/') {
        Some((n, p)) => (n, p),
        None => (s, "tcp"),
    };
    let port: u16 = number.parse().ok()?;
    if port == 0 || !matches!(protocol, "tcp" | "udp" | "sctp") {
        return None;
    }
    Some(format!("{port}/{protocol}"))
}

fn is_numeric_user(s: &str) -> bool {
    let mut parts = s.split(':');
    let all_digits =
        |p: &str| !p.is_empty() && p.len() <= 10 && p.chars().all(|c| c.is_ascii_digit());
    let uid_ok = parts.next().is_some_and(all_digits);
    let gid_ok = parts.next().is_none_or(all_digits);
    uid_ok && gid_ok && parts.next().is_none()
}
