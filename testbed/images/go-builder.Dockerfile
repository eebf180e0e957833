# Stand-in for golang:<VERSION>-trixie: Debian's Go <VERSION> (golang-<VERSION>-go, from SUITE) laid
# out like the official image (/usr/local/go, GOPATH=/go, GOTOOLCHAIN=local). gcc/libc6-dev are
# there because the official image has them: without a C compiler Go silently defaults to
# CGO_ENABLED=0, which would hide a plan that forgets to ask for a static binary. git,
# openssh-client and curl too (the official image is built on buildpack-deps:scm): private modules
# are fetched over git, often over SSH, and `strata doctor` tries the module proxy with curl. All
# of these are trixie's, as in the official image; only Go comes from SUITE.
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG VERSION SUITE
RUN --mount=type=bind,source=apt-toolchain,target=/apt-toolchain \
    /apt-toolchain "$SUITE" "golang-$VERSION-go" -- git openssh-client curl ca-certificates gcc libc6-dev make pkg-config \
 && ln -s "/usr/lib/go-$VERSION" /usr/local/go \
 && mkdir -p /go/src /go/bin && chmod -R 1777 /go
ENV GOTOOLCHAIN=local \
    GOPATH=/go \
    PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
CMD ["bash"]
