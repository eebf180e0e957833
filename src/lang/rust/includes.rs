//! The files a Rust build reads besides its sources: what `include_str!`, `include_bytes!` and
//! `include!` name (relative to the including file, or to the package through
//! `concat!(env!("CARGO_MANIFEST_DIR"), …)`), and the paths a build script spells out (it runs
//! in its package's directory).

use crate::lang::context::join;
use crate::lang::inputs::{Reference, parent_dir, resolve_inside};

const MACROS: [&str; 3] = ["include_str!", "include_bytes!", "include!"];

/// The references of one Rust source file, `path` (relative to the app directory), of the
/// package in `package_dir`.
pub(super) fn included(path: &str, package_dir: &str, source: &str) -> Vec<Reference> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let mut out = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for name in MACROS {
            let mut rest = code;
            while let Some(at) = rest.find(name) {
                // `include!` is also the end of `include_str!`'s neighbours: whole words only.
                let before = rest[..at].chars().next_back();
                rest = &rest[at + name.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let argument = rest.trim_start().trim_start_matches(['(', '[', '{']);
                let relative = if let Some(inner) = argument.trim_start().strip_prefix("concat!") {
                    manifest_relative(inner).and_then(|p| resolve_inside(package_dir, &p))
                } else {
                    first_literal(argument).and_then(|p| resolve_inside(parent_dir(path), &p))
                };
                if let Some(target) = relative {
                    out.push(Reference::path(
                        target,
                        format!("{} in {file}:{}", name.trim_end_matches('!'), number + 1),
                    ));
                }
            }
        }
    }
    out
}

/// `concat!(env!("CARGO_MANIFEST_DIR"), "/assets/x")` → `assets/x`.
fn manifest_relative(concat: &str) -> Option<String> {
    let after = concat.split_once("CARGO_MANIFEST_DIR")?.1;
    let literal = first_literal(after.split_once(',')?.1)?;
    Some(literal.trim_start_matches('/').to_string())
}

/// The text of the first string literal at the start of `text` (plain or raw, no escapes).
fn first_literal(text: &str) -> Option<String> {
    let text = text.trim_start();
    let body = if let Some(raw) = text.strip_prefix('r') {
        raw.trim_start_matches('#').strip_prefix('"')?
    } else {
        text.strip_prefix('"')?
    };
    let end = body.find('"')?;
    let literal = &body[..end];
    (!literal.contains('\\')).then(|| literal.to_string())
}

/// The listed files and directories a build script names in its string literals (a proto to
/// compile, a data file to read, a `cargo:rerun-if-changed` path).
pub(super) fn build_script_paths(
    script: &str,
    package_dir: &str,
    source: &str,
    listed: &[&str],
) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find('"') {
        let body = &rest[at + 1..];
        let Some(end) = body.find('"') else {
            break;
        };
        let literal = &body[..end];
        rest = &body[end + 1..];
        let named = literal
            .trim_start_matches("cargo::rerun-if-changed=")
            .trim_start_matches("cargo:rerun-if-changed=");
        let Some(path) = resolve_inside(package_dir, named) else {
            continue;
        };
        let exists = listed.iter().any(|p| {
            *p == path
                || p.strip_prefix(path.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        });
        let why = format!("named by {}", join(package_dir, script));
        if exists && !out.iter().any(|r: &Reference| r.path == path) {
            out.push(Reference::path(path, why));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_macros_name_files_relative_to_the_source_or_the_package() {
        let source = "#![doc = include_str!(\"../README.md\")]\n\
                      static LOGO: &[u8] = include_bytes!(\"../assets/logo.png\");\n\
                      const T: &str = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/templates/index.html\"));\n\
                      include!(concat!(env!(\"OUT_DIR\"), \"/generated.rs\"));\n\
                      // include_str!(\"commented.txt\")\n\
                      my_include!(\"not/ours\");\n\
                      const R: &str = include_str!(r#\"raw.txt\"#);\n";
        let found = included("crates/core/src/lib.rs", "crates/core", source);
        let paths: Vec<&str> = found.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "crates/core/README.md",
                "crates/core/assets/logo.png",
                "crates/core/templates/index.html",
                "crates/core/src/raw.txt",
            ]
        );
        assert_eq!(found[0].why, "include_str in lib.rs:1");
    }

    #[test]
    fn build_scripts_name_listed_files_and_directories() {
        let source = "fn main() {\n  println!(\"cargo:rerun-if-changed=data/words.txt\");\n\
                      let p = \"proto\"; compile(\"proto/api.proto\"); let x = \"not a file\";\n}\n";
        let listed = [
            "build.rs",
            "data/words.txt",
            "proto/api.proto",
            "src/main.rs",
        ];
        let found = build_script_paths("build.rs", ".", source, &listed);
        let paths: Vec<&str> = found.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["data/words.txt", "proto", "proto/api.proto"]);
    }
}
