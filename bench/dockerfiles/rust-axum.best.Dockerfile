# The well-known hand-written recipe for examples/rust-axum, cargo-chef style without the
# tool: a dummy main.rs compiles the dependencies from Cargo.toml and Cargo.lock alone, with
# cache mounts on the registry and git dirs; then the real sources, touched so cargo does not
# trust the dummy's newer artifacts; a static (+crt-static) binary on distroless. crates.io
# is reached through the egress proxy, its CA passed as `--secret id=ca,src=…`.
FROM rust:1.97-slim-trixie AS build
WORKDIR /src
ENV RUSTFLAGS="-C target-feature=+crt-static"
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs
RUN --mount=type=secret,id=ca,required=false \
    --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    if [ -f /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi; \
    cargo build --release --locked --target x86_64-unknown-linux-gnu
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    touch src/main.rs && cargo build --release --locked --offline --target x86_64-unknown-linux-gnu && \
    cp target/x86_64-unknown-linux-gnu/release/hello-axum /hello-axum

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /hello-axum /app/hello-axum
EXPOSE 8080
ENTRYPOINT ["/app/hello-axum"]
