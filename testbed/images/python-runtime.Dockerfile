# Stand-in for python:<VERSION>-slim-trixie: Debian's python3 from SUITE only (no uv, no pip), at
# the same /usr/local/bin/python3 path as python-builder so a venv copied from there runs here.
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG SUITE
RUN --mount=type=bind,source=apt-toolchain,target=/apt-toolchain \
    /apt-toolchain "$SUITE" python3 -- ca-certificates netbase tzdata \
 && rm -rf /usr/lib/python3*/EXTERNALLY-MANAGED \
 && ln -s /usr/bin/python3 /usr/local/bin/python3 \
 && ln -s /usr/bin/python3 /usr/local/bin/python
ENV LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["python3"]
