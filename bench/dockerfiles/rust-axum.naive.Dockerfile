# The naive single-stage build of examples/rust-axum: everything copied, compiled in place, the
# toolchain shipped with the binary. The CA secret is the one concession to the egress proxy.
FROM rust:1.97-slim-trixie
WORKDIR /src
COPY . .
RUN --mount=type=secret,id=ca,required=false \
    if [ -f /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi; \
    cargo build --release --locked && cp target/release/hello-axum /usr/local/bin/hello-axum
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/hello-axum"]
