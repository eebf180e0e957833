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
}
