//! BuildKit gateway frontend plumbing: the stdio connection, the user's options, typed bridge
//! calls, and `serve`, which runs one build and returns its result or error to the engine.

mod bridge;
mod build;
mod options;
mod subrequests;
mod transport;

use std::fmt;
use std::process::ExitCode;

pub use bridge::{Bridge, BridgeError, FrontendResult, ImageResult, SpecLocation, Warning};
pub use build::run_frontend;
pub use options::FrontendOptions;
use transport::connect_stdio;

/// Why a build failed, as the handler reports it.
#[derive(Debug)]
pub enum FrontendError {
    /// Shown to the user verbatim after `ERROR: failed to solve: ` (buildx 0.29 puts `failed to
    /// build: ` before that).
    Message(String),
    /// The same, with the spec lines it is about quoted above it.
    InSpec {
        message: String,
        location: SpecLocation,
    },
    /// An engine failure (a step that failed, a missing file) passed on as the engine reported
    /// it: same message, typed details (which step failed) kept for buildx.
    Engine(BridgeError),
}

impl From<String> for FrontendError {
    fn from(message: String) -> Self {
        Self::Message(message)
    }
}

impl From<&str> for FrontendError {
    fn from(message: &str) -> Self {
        Self::Message(message.to_string())
    }
}

impl From<BridgeError> for FrontendError {
    fn from(error: BridgeError) -> Self {
        Self::Engine(error)
    }
}

impl fmt::Display for FrontendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(message) | Self::InSpec { message, .. } => f.write_str(message),
            Self::Engine(error) => error.fmt(f),
        }
    }
}

/// Runs one build as a gateway frontend: connect over stdio, parse the options, run
/// `handler`, return its result or error to the engine, and exit.
///
/// Returns the process exit code; `main` should return it right away. The exit must be prompt:
/// the engine waits for the frontend process to end after `Return`, and tokio's stdin reader
/// blocks a runtime thread in `read(0)` that only the engine could end, so the runtime is shut
/// down without waiting for it.
pub fn serve<H>(handler: H) -> ExitCode
where
    H: AsyncFnOnce(&Bridge, &FrontendOptions) -> Result<FrontendResult, FrontendError>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            // stderr goes to the daemon's log, not to the user: nothing better is possible
            // before there is a connection to return an error on.
            eprintln!("frontend: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(handler));
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("frontend: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Ok once `Return` was delivered, whatever it carried.
async fn run<H>(handler: H) -> Result<(), String>
where
    H: AsyncFnOnce(&Bridge, &FrontendOptions) -> Result<FrontendResult, FrontendError>,
{
    let parsed = FrontendOptions::from_env();
    let channel = connect_stdio()
        .await
        .map_err(|e| format!("cannot connect to the engine on stdin/stdout: {e}"))?;
    let options = match parsed {
        Ok(options) => options,
        Err(error) => {
            let bridge = Bridge::new(channel, &[]);
            return bridge
                .return_error(&error.to_string(), None)
                .await
                .map_err(|e| e.to_string());
        }
    };
    let bridge = Bridge::new(channel, &options.cache_imports);
    let delivered = match handler(&bridge, &options).await {
        Ok(result) => bridge.return_result(&result).await,
        Err(FrontendError::Message(message)) => bridge.return_error(&message, None).await,
        Err(FrontendError::InSpec { message, location }) => {
            bridge.return_error(&message, Some(&location)).await
        }
        Err(FrontendError::Engine(error)) => bridge.return_engine_error(&error).await,
    };
    delivered.map_err(|e| format!("cannot return the result to the engine: {e}"))
}
