//! One function per part of strata.yaml, as the Dockerfile frontend has one parser per
//! instruction: each reads its key or section, reports what is wrong with it, and returns what
//! the spec holds there.

use std::collections::BTreeMap;

use super::{Decoder, SUPPORTED_VERSION, Section, closest, normalise_relative, text};
use crate::spec::model::{
    Build, BuildSecret, CA_MOUNT_TARGET, GoSettings, Language, Network, NetworkMode, NodeSettings,
    Proxy, PythonSettings, Run, RuntimeBase, RustSettings, Spanned, SshSettings,
};
use crate::spec::schema;
use crate::spec::yaml::{Node, Value};

/// `version`: present, and the one this strata reads.
pub(super) fn version(d: &mut Decoder, top: &Section, root: &Node) {
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
}

/// `language`: one strata knows.
pub(super) fn language(d: &mut Decoder, top: &Section) -> Option<Spanned<Language>> {
    top.get("language").and_then(|node| {
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
    })
}

/// `path`: the app directory, inside the build context (`.` when unset).
pub(super) fn path(d: &mut Decoder, top: &Section, root: &Node) -> Spanned<String> {
    match top.get("path") {
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
    })
}

/// `lockfiles`: files, relative to `path`.
pub(super) fn lockfiles(d: &mut Decoder, top: &Section) -> Option<Vec<Spanned<String>>> {
    top.get("lockfiles").and_then(|node| {
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
    })
}

/// `target.runtime`: a runtime kind or an image (static when unset).
pub(super) fn runtime(d: &mut Decoder, top: &Section, root: &Node) -> Spanned<RuntimeBase> {
    d.section(top, "target")
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
        })
}

/// `images.builder`: an image reference.
pub(super) fn builder_image(d: &mut Decoder, top: &Section) -> Option<Spanned<String>> {
    d.section(top, "images")
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
        })
}

/// `build:`: what the compile step reads and how it is told to build.
pub(super) fn build(d: &mut Decoder, top: &Section) -> Build {
    let mut build = Build::default();
    if let Some(section) = d.section(top, "build") {
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
    build
}

/// `run:`: how the image starts, as whom, and what it publishes.
pub(super) fn run(d: &mut Decoder, top: &Section) -> Run {
    let mut run = Run::default();
    if let Some(section) = d.section(top, "run") {
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
    run
}

/// `proxy:`: the proxy the dependency steps use.
pub(super) fn proxy(d: &mut Decoder, top: &Section) -> Proxy {
    let mut proxy = Proxy::default();
    if let Some(section) = d.section(top, "proxy") {
        proxy.http = section.get("http").and_then(|n| d.url(n, "http", &[]));
        proxy.https = section.get("https").and_then(|n| d.url(n, "https", &[]));
        proxy.no_proxy = section
            .get("no_proxy")
            .and_then(|n| d.plain_list(n, "no_proxy", true))
            .map(|hosts| hosts.join(","));
    }
    proxy
}

/// `network:`: the network mode of the dependency and compile steps.
pub(super) fn network(d: &mut Decoder, top: &Section) -> Network {
    let mut network = Network::default();
    if let Some(section) = d.section(top, "network") {
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
    network
}

/// `go:`: the module proxy, checksum database, private modules and flags.
pub(super) fn go(
    d: &mut Decoder,
    top: &Section,
    language: Option<&Spanned<Language>>,
) -> GoSettings {
    let mut go = GoSettings::default();
    if let Some(section) = d.language_section(top, Language::Go, language) {
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
    go
}

/// `python:`: the package indexes.
pub(super) fn python(
    d: &mut Decoder,
    top: &Section,
    language: Option<&Spanned<Language>>,
) -> PythonSettings {
    let mut python = PythonSettings::default();
    if let Some(section) = d.language_section(top, Language::Python, language) {
        python.index = section.get("index").and_then(|n| d.url(n, "index", &[]));
        if let Some(node) = section.get("extra_indexes") {
            for url in d.list(node, "extra_indexes", true).unwrap_or_default() {
                if let Some(url) = d.checked_url(url, "extra_indexes", &[]) {
                    python.extra_indexes.push(url);
                }
            }
        }
    }
    python
}

/// `node:`: the npm registry.
pub(super) fn node(
    d: &mut Decoder,
    top: &Section,
    language: Option<&Spanned<Language>>,
) -> NodeSettings {
    let mut node = NodeSettings::default();
    if let Some(section) = d.language_section(top, Language::Node, language) {
        node.registry = section
            .get("registry")
            .and_then(|n| d.url(n, "registry", &[]));
    }
    node
}

/// `rust:`: the registry, the package and binary to build, static linking.
pub(super) fn rust(
    d: &mut Decoder,
    top: &Section,
    language: Option<&Spanned<Language>>,
) -> RustSettings {
    let mut rust = RustSettings::default();
    if let Some(section) = d.language_section(top, Language::Rust, language) {
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
    rust
}

/// `cache.namespace`: the prefix of every cache id (`default` when unset).
pub(super) fn cache_namespace(d: &mut Decoder, top: &Section) -> String {
    let mut cache_namespace = "default".to_string();
    if let Some(section) = d.section(top, "cache") {
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
    cache_namespace
}

/// `ssh:`: the agent id and the host keys. Without host keys ssh would have to trust whatever
/// answers, so they are required.
pub(super) fn ssh(d: &mut Decoder, node: &Node) -> Option<SshSettings> {
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
pub(super) fn git_rewrites(d: &mut Decoder, node: &Node) -> BTreeMap<String, String> {
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
pub(super) fn secrets(d: &mut Decoder, node: &Node, ca_secret: &str) -> Vec<BuildSecret> {
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
