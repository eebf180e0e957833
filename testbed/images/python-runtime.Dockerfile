# Stand-in for python:3.13-slim-trixie: Debian's Python 3.13 only (no uv, no pip), at the same
# /usr/local/bin/python3 path as python-builder so a venv copied from there runs here.
# amd64 and arm64 (the arm64 one built under QEMU), for the emulated stages of multi-platform builds.
# platforms: linux/amd64,linux/arm64
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates netbase tzdata \
 && rm -rf /var/lib/apt/lists/* /usr/lib/python3*/EXTERNALLY-MANAGED \
 && ln -s /usr/bin/python3 /usr/local/bin/python3 \
 && ln -s /usr/bin/python3 /usr/local/bin/python
ENV LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["python3"]
