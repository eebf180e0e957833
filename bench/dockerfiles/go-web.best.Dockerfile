# The well-known hand-written recipe for examples/go-web: lockfiles first, cache mounts for the
# module and build caches, multi-stage, distroless runtime. GOPROXY points at the testbed's
# local module proxy, which a step reaches only with host networking.
FROM golang:1.27-trixie AS build
WORKDIR /src
ENV GOPROXY=http://127.0.0.1:5080 GOSUMDB=off GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --network=host --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/go-web .

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/go-web /app/go-web
EXPOSE 8080
ENTRYPOINT ["/app/go-web"]
