# Stand-in for debian:trixie-slim: the trimmed minbase itself (the build only adds the testbed
# labels). The import already set PATH, a numeric user and CMD.
# amd64 and arm64 (the arm64 one built under QEMU), for the emulated stages of multi-platform builds.
# platforms: linux/amd64,linux/arm64
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
