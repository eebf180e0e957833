# Stand-in for ghcr.io/astral-sh/uv:python3.13-trixie-slim: python:3.13-slim-trixie plus uv/uvx in
# /usr/local/bin. Python is Debian's 3.13 with pip in /usr/local (from Debian's pip wheel, as
# the official image has pip; Debian's own ensurepip is disabled), reachable as /usr/local/bin/python3 like the official
# image (venvs record that path, and python-runtime has the same one). The PEP 668 marker is removed
# because the official image has none: `uv pip install --system` must behave the same.
# amd64 and arm64 (the arm64 one built under QEMU), for the emulated stages of multi-platform builds.
# platforms: linux/amd64,linux/arm64
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG DEBIAN_FRONTEND=noninteractive
ARG UV_VERSION=0.13.9
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates netbase tzdata \
 && rm -rf /var/lib/apt/lists/* /usr/lib/python3*/EXTERNALLY-MANAGED \
 && ln -s /usr/bin/python3 /usr/local/bin/python3 \
 && ln -s /usr/bin/python3 /usr/local/bin/python \
 && set -- /usr/share/python-wheels/pip-*.whl \
 && python3 "$1/pip" install -q --no-index --no-cache-dir --disable-pip-version-check --root-user-action=ignore "$1"
# uv comes from PyPI, which is only reachable through the egress proxy. Its CA arrives as a build
# secret (a tmpfs mount for this RUN only), so it never lands in a layer; the throwaway venv goes too.
RUN --mount=type=secret,id=ca,required=true \
    python3 -m venv /tmp/uv-venv \
 && /tmp/uv-venv/bin/pip install -q --no-cache-dir --disable-pip-version-check --cert /run/secrets/ca "uv==${UV_VERSION}" \
 && install -m 0755 /tmp/uv-venv/bin/uv /tmp/uv-venv/bin/uvx /usr/local/bin/ \
 && rm -rf /tmp/uv-venv /root/.cache
ENV LANG=C.UTF-8 \
    UV_TOOL_BIN_DIR=/usr/local/bin \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/usr/local/bin/uv"]
