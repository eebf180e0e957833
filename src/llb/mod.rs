//! LLB: our small builder over the BuildKit protos, and the lowering of a plan to it.

mod builder;
mod json;
mod lower;

pub use builder::normalise_image;
pub use json::definition_to_json;
pub use lower::{LowerOptions, Platform, ResolvedImage, local_files, lower};
