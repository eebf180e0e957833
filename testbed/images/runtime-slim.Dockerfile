# Stand-in for debian:trixie-slim: the trimmed minbase itself (the build only adds the testbed
# labels). The import already set PATH, a numeric user and CMD.
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
