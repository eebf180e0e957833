# Stand-in for golang:1.24-trixie: Debian trixie's Go 1.24 laid out like the official image
# (/usr/local/go, GOPATH=/go, GOTOOLCHAIN=local). gcc/libc6-dev are there because the official
# image has them: without a C compiler Go silently defaults to CGO_ENABLED=0, which would hide a
# plan that forgets to ask for a static binary. git, openssh-client and curl too (the official
# image is built on buildpack-deps:scm): private modules are fetched over git, often over SSH,
# and `strata doctor` tries the module proxy with curl.
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends golang-1.24-go git openssh-client curl ca-certificates gcc libc6-dev make pkg-config \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/lib/go-1.24 /usr/local/go \
 && mkdir -p /go/src /go/bin && chmod -R 1777 /go
ENV GOTOOLCHAIN=local \
    GOPATH=/go \
    PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
CMD ["bash"]
