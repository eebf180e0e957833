//! The default base images, read from `images/defaults.tsv` — the one list that the testbed
//! also reads to build its local stand-ins under the same names.

use std::sync::OnceLock;

const DEFAULTS_TSV: &str = include_str!("../../images/defaults.tsv");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRole {
    GoBuilder,
    PythonBuilder,
    PythonRuntime,
    RustBuilder,
    /// Node's builder and runtime alike: the slim image has npm and corepack.
    Node,
    RuntimeSlim,
    RuntimeStatic,
}

impl ImageRole {
    fn key(self) -> &'static str {
        match self {
            ImageRole::GoBuilder => "go-builder",
            ImageRole::PythonBuilder => "python-builder",
            ImageRole::PythonRuntime => "python-runtime",
            ImageRole::RustBuilder => "rust-builder",
            ImageRole::Node => "node",
            ImageRole::RuntimeSlim => "runtime-slim",
            ImageRole::RuntimeStatic => "runtime-static",
        }
    }
}

fn table() -> &'static Vec<(&'static str, &'static str)> {
    static TABLE: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        DEFAULTS_TSV
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(role, reference)| (role.trim(), reference.trim()))
            .collect()
    })
}

pub fn default_image(role: ImageRole) -> &'static str {
    table()
        .iter()
        .find(|(r, _)| *r == role.key())
        .map(|(_, reference)| *reference)
        .expect("images/defaults.tsv lists every ImageRole (checked by a unit test)")
}

/// The toolchain version of a role's default image: the first number in its tag (`1.24` in
/// golang:1.24-trixie, `3.13` in uv:python3.13-trixie-slim), for the roles whose tag has one.
pub fn default_version(role: ImageRole) -> Option<&'static str> {
    let reference = default_image(role);
    let tag = &reference[reference.rfind(':')? + 1..];
    let start = tag.find(|c: char| c.is_ascii_digit())?;
    let length = tag[start..]
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(tag.len() - start);
    Some(&tag[start..start + length])
}

/// The role's image for another toolchain version: the default's reference with its version
/// replaced (`golang:1.24-trixie` → `golang:1.26-trixie`), as the official images are named.
pub fn image_for(role: ImageRole, version: &str) -> String {
    let reference = default_image(role);
    match default_version(role) {
        Some(default) => {
            let tag = reference.rfind(':').unwrap_or_default();
            let (name, tag) = reference.split_at(tag);
            format!("{name}{}", tag.replacen(default, version, 1))
        }
        None => reference.to_string(),
    }
}

/// The toolchain version an image of this role names in its tag, when it is named the way the
/// role's default is (`rust:1.88-slim-trixie` → `1.88`).
pub fn version_in(role: ImageRole, reference: &str) -> Option<String> {
    let template = image_for(role, "\u{0}");
    let (before, after) = template.split_once('\u{0}')?;
    let version = reference.strip_prefix(before)?.strip_suffix(after)?;
    (!version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .then(|| version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_a_default_image() {
        for role in [
            ImageRole::GoBuilder,
            ImageRole::PythonBuilder,
            ImageRole::PythonRuntime,
            ImageRole::RustBuilder,
            ImageRole::Node,
            ImageRole::RuntimeSlim,
            ImageRole::RuntimeStatic,
        ] {
            assert!(default_image(role).contains(':'), "{role:?}");
        }
    }

    #[test]
    fn another_version_names_the_image_the_way_the_default_is_named() {
        let go = default_image(ImageRole::GoBuilder);
        let version = default_version(ImageRole::GoBuilder).expect("Go's version");
        assert!(go.contains(version));
        assert_eq!(image_for(ImageRole::GoBuilder, version), go);
        let other = image_for(ImageRole::PythonBuilder, "3.10");
        assert_eq!(other, "ghcr.io/astral-sh/uv:python3.10-trixie-slim");
        assert_eq!(
            version_in(ImageRole::PythonBuilder, &other).as_deref(),
            Some("3.10")
        );
        assert_eq!(
            version_in(ImageRole::RustBuilder, "rust:1.88-slim-trixie").as_deref(),
            Some("1.88")
        );
        assert_eq!(
            version_in(ImageRole::RustBuilder, "corp/rust-ci:latest"),
            None
        );
        assert_eq!(default_version(ImageRole::RuntimeStatic), None);
    }
}
