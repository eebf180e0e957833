//! Any bytes as strata.yaml must never make strata panic; see ../spec_to_llb.rs.
#![no_main]

#[path = "../spec_to_llb.rs"]
mod spec_to_llb;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| spec_to_llb::check(bytes));
