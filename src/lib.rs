//! strata: a BuildKit frontend that plans dependency → compile → runtime builds.
//!
//! The pipeline is `spec → lang → plan → llb → gateway`; see STYLE.md in the shared notes.

pub mod cache;
pub mod cli;
pub mod doctor;
pub mod gateway;
pub mod image;
pub mod init;
pub mod lang;
pub mod llb;
pub mod pipeline;
pub mod plan;
pub mod serve;
pub mod spec;
