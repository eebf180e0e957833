//! The gRPC channel to the engine over this process's stdin/stdout.
//!
//! BuildKit runs a gateway frontend as a container whose stdin/stdout are the two halves of
//! one HTTP/2 connection: the engine serves `LLBBridge`, the frontend is the client. There is
//! nothing to dial, so the connector hands tonic that single stream, once.

use std::future::{Ready, ready};
use std::io;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tokio::io::{Join, Stdin, Stdout};
use tonic::transport::{Channel, Endpoint, Uri};

type StdioStream = Join<Stdin, Stdout>;

/// Largest message we accept from the engine. tonic's default (4 MiB) is smaller than a
/// `ReadFile` of a big lock file can be; the engine's own limit for what we send stays at
/// grpc-go's default of 4 MiB (a `Definition` larger than that is refused by the engine).
pub(crate) const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// Connects to the engine over stdin/stdout.
///
/// Call it once per process (clone the `Channel` instead): a second channel would read from the
/// same stdin. If the engine drops the connection, tonic's reconnect asks the connector again,
/// which refuses, so the next call fails with a transport error instead of hanging.
pub async fn connect_stdio() -> Result<Channel, tonic::transport::Error> {
    let stream = tokio::io::join(tokio::io::stdin(), tokio::io::stdout());
    // The authority is never resolved; the engine's server ignores it.
    Endpoint::from_static("http://buildkit-gateway")
        .connect_with_connector(StdioConnector {
            stream: Some(stream),
        })
        .await
}

struct StdioConnector {
    stream: Option<StdioStream>,
}

impl tower::Service<Uri> for StdioConnector {
    type Response = TokioIo<StdioStream>;
    type Error = io::Error;
    type Future = Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        ready(self.stream.take().map(TokioIo::new).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                "the engine closed the gateway connection on stdin/stdout",
            )
        }))
    }
}
