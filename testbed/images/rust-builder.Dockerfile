# Stand-in for rust:1.85-slim-trixie: Debian trixie's rustc/cargo 1.85 with the official image's
# CARGO_HOME/RUSTUP_HOME layout (the tools are linked into /usr/local/cargo/bin, where
# `cargo install` also puts binaries). gcc + libc6-dev link, including static glibc (crt-static).
# amd64 and arm64 (the arm64 one built under QEMU), for the emulated stages of multi-platform builds.
# platforms: linux/amd64,linux/arm64
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends rustc cargo gcc libc6-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/cargo/bin /usr/local/rustup \
 && ln -s /usr/bin/rustc /usr/bin/rustdoc /usr/bin/cargo /usr/local/cargo/bin/ \
 && chmod -R a+w /usr/local/cargo /usr/local/rustup
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["bash"]
