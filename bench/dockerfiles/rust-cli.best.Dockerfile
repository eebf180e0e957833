# The shape `docker init` writes for a Rust project, on the corpus CLI (real-world/rust/lto-cli,
# whose release profile has LTO and one codegen unit): one build step with the sources bound
# in and cache mounts on target/ and cargo's registry, then the binary on a slim base as an
# unprivileged user. The stand-in images are Debian's, so the base is trixie-slim where the
# template has Alpine. crates.io is reached through the egress proxy, its CA a build secret.
ARG RUST_VERSION=1.97
FROM rust:${RUST_VERSION}-slim-trixie AS build
WORKDIR /app
RUN --mount=type=bind,source=src,target=src \
    --mount=type=bind,source=Cargo.toml,target=Cargo.toml \
    --mount=type=bind,source=Cargo.lock,target=Cargo.lock \
    --mount=type=cache,target=/app/target/ \
    --mount=type=cache,target=/usr/local/cargo/git/db \
    --mount=type=cache,target=/usr/local/cargo/registry/ \
    --mount=type=secret,id=ca,required=false \
    if [ -f /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi; \
    cargo build --locked --release && cp ./target/release/keycount /bin/keycount

FROM debian:trixie-slim AS final
USER 10001
COPY --from=build /bin/keycount /bin/
ENTRYPOINT ["/bin/keycount"]
