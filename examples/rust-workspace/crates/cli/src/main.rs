//! Prints a greeting for its first argument (default `workspace`).

fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "workspace".to_string());
    println!("{} ({} build)", greeting::greeting(&name, 1234), env!("GREET_PROFILE"));
}
