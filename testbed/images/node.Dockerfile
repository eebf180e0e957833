# Stand-in for node:20-trixie-slim: Debian trixie's nodejs 20 and npm, and the official image's
# `node` user (uid/gid 1000) that plans may switch to.
# amd64 and arm64 (the arm64 one built under QEMU), for the emulated stages of multi-platform builds.
# platforms: linux/amd64,linux/arm64
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["node"]
