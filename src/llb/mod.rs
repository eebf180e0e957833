//! LLB: our small builder over the BuildKit protos, and the lowering of a plan to it.

mod builder;
mod caps;
mod json;
mod lower;
mod platform;

pub use builder::{LocalSource, OCI_LAYOUT_SCHEME, normalise_image, oci_layout_store};
pub use caps::{ENGINE_FLOOR, missing_caps, required_caps};
pub use json::definition_to_json;
pub use lower::{LowerOptions, ResolvedImage, SpecSource, Transfer, local_files, lower};
pub use platform::Platform;
