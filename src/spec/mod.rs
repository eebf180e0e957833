//! strata.yaml: parsing with positions, validation, and error rendering.

mod decode;
mod diagnostic;
pub mod mirrors;
mod model;
pub mod schema;
pub mod yaml;

pub use decode::normalise_relative;
pub use diagnostic::{Diagnostic, Diagnostics, Location};
pub use model::{
    Build, BuildSecret, CA_MOUNT_TARGET, GoSettings, Language, Network, NetworkMode,
    PUBLISHED_IMAGE, Proxy, PythonSettings, Run, RuntimeBase, Spanned, Spec, SshSettings,
    compatible_tag, default_frontend_image,
};

/// A spec larger than this is certainly not hand-written; refuse it before parsing.
const MAX_SPEC_BYTES: usize = 256 * 1024;

/// Parses and validates a spec file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Spec, Diagnostics> {
    if bytes.len() > MAX_SPEC_BYTES {
        return Err(Diagnostic::whole_file(format!(
            "the file is {} KiB; a spec is at most {} KiB",
            bytes.len() / 1024,
            MAX_SPEC_BYTES / 1024
        ))
        .with_hint("check that -f names strata.yaml and not another file")
        .into());
    }
    let source = std::str::from_utf8(bytes).map_err(|e| {
        // The valid text before the bad byte tells its line and column.
        let before = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        let at = Location::of_offset(before, before.len());
        let byte = bytes[e.valid_up_to()];
        Diagnostic::at(
            at,
            format!(
                "the file is not UTF-8 text (byte 0x{byte:02x} at offset {})",
                e.valid_up_to()
            ),
        )
        .with_hint("save strata.yaml as UTF-8")
    })?;
    let root = yaml::parse(source)?.ok_or_else(|| {
        Diagnostic::whole_file("the spec is empty")
            .with_hint("run `strata init` to write a starting strata.yaml")
    })?;
    let mut spec = decode::decode(&root).map_err(Diagnostics)?;
    spec.frontend_image = syntax_image(source);
    Ok(spec)
}

/// The image of a `# syntax=IMAGE` first line, as BuildKit reads the directive: any spacing
/// around `#` and `=`, the key in any case. `strata doctor` reads it the same way.
pub fn syntax_image(source: &str) -> Option<String> {
    let first = source.lines().next()?.trim_start_matches('\u{feff}');
    let directive = first.trim_start().strip_prefix('#')?;
    let (key, value) = directive.split_once('=')?;
    let image = value.trim();
    (key.trim().eq_ignore_ascii_case("syntax") && !image.is_empty()).then(|| image.to_string())
}
