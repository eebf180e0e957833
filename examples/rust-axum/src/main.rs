//! A small HTTP service: GET / answers with a greeting, GET /health with `ok`.

use axum::{Router, routing::get};

async fn hello() -> &'static str {
    "hello from rust-axum\n"
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app = Router::new()
        .route("/", get(hello))
        .route("/health", get(|| async { "ok\n" }));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080")
        .await
        .expect("port 8080 is free");
    axum::serve(listener, app).await.expect("the server runs");
}
