# Stand-in for rust:<VERSION>-slim-trixie: Debian's rustc/cargo from SUITE (trixie has 1.85, sid
# 1.97) with the official image's
# CARGO_HOME/RUSTUP_HOME layout (the tools are linked into /usr/local/cargo/bin, where
# `cargo install` also puts binaries). gcc + libc6-dev link, including static glibc (crt-static);
# they are trixie's, as in the official image, so Debian's cross gcc installs beside them.
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG SUITE
RUN --mount=type=bind,source=apt-toolchain,target=/apt-toolchain \
    /apt-toolchain "$SUITE" rustc cargo -- gcc libc6-dev ca-certificates \
 && mkdir -p /usr/local/cargo/bin /usr/local/rustup \
 && ln -s /usr/bin/rustc /usr/bin/rustdoc /usr/bin/cargo /usr/local/cargo/bin/ \
 && chmod -R a+w /usr/local/cargo /usr/local/rustup
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["bash"]
