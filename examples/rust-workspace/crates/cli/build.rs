//! Tells the binary which cargo profile built it.

fn main() {
    let profile = std::env::var("PROFILE").unwrap_or_default();
    println!("cargo:rustc-env=GREET_PROFILE={profile}");
}
