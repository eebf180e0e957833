# The hand-written recipe for examples/rust-workspace, cargo-chef style without the tool: every
# member's Cargo.toml and the lock, a dummy lib/main/build.rs per member, dependencies compiled
# with cache mounts on the registry and git dirs; then the real sources, touched so cargo does
# not trust the dummies' newer artifacts; the binary on debian:slim as non-root. crates.io is
# reached through the egress proxy, its CA passed as `--secret id=ca,src=…`.
FROM rust:1.97-slim-trixie AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates/cli/Cargo.toml crates/cli/
COPY crates/greeting/Cargo.toml crates/greeting/
RUN mkdir -p crates/cli/src crates/greeting/src && \
    echo 'fn main() {}' > crates/cli/src/main.rs && echo 'fn main() {}' > crates/cli/build.rs && \
    touch crates/greeting/src/lib.rs
RUN --mount=type=secret,id=ca,required=false \
    --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    if [ -f /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi; \
    cargo build --release --locked --bin greet
COPY crates crates
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    touch crates/cli/src/main.rs crates/cli/build.rs crates/greeting/src/lib.rs && \
    cargo build --release --locked --offline --bin greet && cp target/release/greet /greet

FROM debian:trixie-slim
COPY --from=build /greet /app/greet
USER 65532:65532
ENTRYPOINT ["/app/greet"]
