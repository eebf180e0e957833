# Stand-in for ghcr.io/astral-sh/uv:python<VERSION>-trixie-slim: python:<VERSION>-slim-trixie plus
# uv/uvx in /usr/local/bin. Python is Debian's python3 from SUITE (trixie has 3.13, sid 3.14) with pip in /usr/local (from Debian's pip wheel, as
# the official image has pip; Debian's own ensurepip is disabled), reachable as /usr/local/bin/python3 like the official
# image (venvs record that path, and python-runtime has the same one). The PEP 668 marker is removed
# because the official image has none: `uv pip install --system` must behave the same.
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG SUITE UV_VERSION=0.13.9
RUN --mount=type=bind,source=apt-toolchain,target=/apt-toolchain \
    /apt-toolchain "$SUITE" python3 python3-venv -- ca-certificates netbase tzdata \
 && rm -rf /usr/lib/python3*/EXTERNALLY-MANAGED \
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
