# The naive single-stage build of examples/rust-workspace: the whole context, one `cargo build`,
# the toolchain image as the runtime, root; any edit recompiles every crate. The CA secret is
# the only concession.
FROM rust:1.97-slim-trixie
WORKDIR /src
COPY . .
RUN --mount=type=secret,id=ca,required=false \
    if [ -f /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi; \
    cargo build --release --locked --bin greet && cp target/release/greet /usr/local/bin/greet
ENTRYPOINT ["/usr/local/bin/greet"]
