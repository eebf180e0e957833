# The shape `docker init` writes for a Go project, on the corpus server that embeds its
# templates and static files (real-world/go/embed-static): modules downloaded with go.mod bound
# in and the module cache as a cache mount, then `go build` with the whole context bound in,
# and the binary on a small base as an unprivileged user. The project has no dependencies, so
# no go.sum: the template's go.sum bind is left out. The module mirror is a build arg.
ARG GO_VERSION=1.27
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-trixie AS build
WORKDIR /src
ARG GOPROXY GOSUMDB
RUN --mount=type=cache,target=/go/pkg/mod/ \
    --mount=type=bind,source=go.mod,target=go.mod \
    go mod download -x
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod/ \
    --mount=type=bind,target=. \
    CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /bin/server .

FROM debian:trixie-slim AS final
USER 10001
COPY --from=build /bin/server /bin/
EXPOSE 8080
ENTRYPOINT ["/bin/server"]
