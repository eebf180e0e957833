//! Turns the spanned YAML tree into a [`Spec`], collecting every problem it finds: the
//! helpers every section uses here, the sections themselves in `sections`.

mod sections;

use std::collections::BTreeMap;

use super::diagnostic::{Diagnostic, Location};
use super::model::{Language, Spanned, Spec};
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
        match url_problem(&value, allow_keywords) {
            None => Some(value),
            Some(problem) => {
                let (message, hint) = problem.explain(
                    &format!("`{key}`"),
                    "strata.yaml is committed, so they would leak",
                );
                self.fail(location, message, hint);
                None
            }
        }
    }
}

/// What makes a URL setting unusable.
pub(crate) enum UrlProblem {
    /// A character a URL never carries unescaped: URLs reach shell scripts and tool configs,
    /// so these are refused rather than quoted.
    Character(char),
    NotAUrl(String),
    Scheme(String),
    /// `user:password@` in the authority.
    Credentials,
}

impl UrlProblem {
    /// The message about `what` (the setting, as the user named it) and its fix; `leak` says
    /// where credentials in it would end up.
    pub(crate) fn explain(&self, what: &str, leak: &str) -> (String, &'static str) {
        match self {
            UrlProblem::Character(c) => (
                format!("{what} has the character {c:?}, which a URL cannot carry unescaped"),
                "percent-encode it (a space is %20)",
            ),
            UrlProblem::NotAUrl(part) => (
                format!("{what}: `{part}` is not a URL"),
                "write it as `http://host:port` or `https://host`",
            ),
            UrlProblem::Scheme(scheme) => (
                format!("{what} uses the unsupported scheme `{scheme}`"),
                "use http://, https:// or file://",
            ),
            UrlProblem::Credentials => (
                format!("{what} carries credentials in its URL; {leak}"),
                "remove the `user:password@` part: pass a proxy's credentials with `--build-arg HTTPS_PROXY=...`, a registry's as a netrc under `secrets:`",
            ),
        }
    }
}

/// The first character of `value` that settings reaching shell scripts and tool configs never
/// carry unescaped (whitespace, controls, quotes, `\\`, `` ` ``, `$`).
pub(crate) fn unquotable(value: &str) -> Option<UrlProblem> {
    value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "'\"\\`$".contains(*c))
        .map(UrlProblem::Character)
}

/// Checks a URL, or a `,`/`|` list of them as GOPROXY takes, where `allow_keywords` (`direct`,
/// `off`) may stand for one.
pub(crate) fn url_problem(value: &str, allow_keywords: &[&str]) -> Option<UrlProblem> {
    if let Some(problem) = unquotable(value) {
        return Some(problem);
    }
    for part in value.split([',', '|']) {
        if allow_keywords.contains(&part) {
            continue;
        }
        let Some((scheme, rest)) = part.split_once("://") else {
            return Some(UrlProblem::NotAUrl(part.to_string()));
        };
        if !matches!(scheme, "http" | "https" | "socks5" | "file") {
            return Some(UrlProblem::Scheme(scheme.to_string()));
        }
        if rest.split('/').next().unwrap_or_default().contains('@') {
            return Some(UrlProblem::Credentials);
        }
    }
    None
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
    sections::version(&mut d, &top, root);
    let language = sections::language(&mut d, &top);
    let path = sections::path(&mut d, &top, root);
    let lockfiles = sections::lockfiles(&mut d, &top);
    let runtime = sections::runtime(&mut d, &top, root);
    let builder_image = sections::builder_image(&mut d, &top);
    let build = sections::build(&mut d, &top);
    let run = sections::run(&mut d, &top);
    let proxy = sections::proxy(&mut d, &top);
    let network = sections::network(&mut d, &top);
    let go = sections::go(&mut d, &top, language.as_ref());
    let python = sections::python(&mut d, &top, language.as_ref());
    let node = sections::node(&mut d, &top, language.as_ref());
    let rust = sections::rust(&mut d, &top, language.as_ref());
    let cache_namespace = sections::cache_namespace(&mut d, &top);

    let ca_secret = d
        .section(&top, "ca")
        .and_then(|section| section.get("secret"))
        .and_then(|node| d.secret_id(node, "secret"))
        .unwrap_or_else(|| DEFAULT_CA_SECRET.to_string());

    let secrets = top
        .get("secrets")
        .map(|node| sections::secrets(&mut d, node, &ca_secret))
        .unwrap_or_default();

    let ssh = top.get("ssh").and_then(|node| sections::ssh(&mut d, node));
    let git_rewrites = d
        .section(&top, "git")
        .and_then(|section| section.get("rewrite"))
        .map(|node| sections::git_rewrites(&mut d, node))
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
        mirror_args: BTreeMap::new(),
    })
}
