use std::process::ExitCode;

fn main() -> ExitCode {
    strata::cli::run(std::env::args_os().skip(1))
}
