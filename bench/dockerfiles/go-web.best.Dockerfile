# The well-known hand-written recipe for examples/go-web: lockfiles first, cache mounts for the
# module and build caches, multi-stage, distroless runtime. The module
# mirror is a build arg, set where the build runs.
FROM golang:1.27-trixie AS build
WORKDIR /src
# The module mirror comes per environment, as a build arg (the testbed passes its own).
ARG GOPROXY GOSUMDB
ENV GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/go-web .

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/go-web /app/go-web
EXPOSE 8080
ENTRYPOINT ["/app/go-web"]
