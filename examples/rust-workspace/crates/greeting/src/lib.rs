//! Builds the greeting the `greet` binary prints.

/// `hello, <name>: <count> greetings so far`, with the count formatted by `itoa`.
pub fn greeting(name: &str, count: u64) -> String {
    let mut buffer = itoa::Buffer::new();
    format!("hello, {name}: {} greetings so far", buffer.format(count))
}
