//! BuildKit gateway frontend plumbing (being written).

pub fn run_frontend() -> std::process::ExitCode {
    eprintln!("strata frontend: not wired yet");
    std::process::ExitCode::FAILURE
}
