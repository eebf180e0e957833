# The naive single-stage build of examples/go-web: everything copied, compiled in place, the
# toolchain shipped with the binary.
FROM golang:1.27-trixie
WORKDIR /src
# The module mirror comes per environment, as a build arg (the testbed passes its own).
ARG GOPROXY GOSUMDB
ENV GOTOOLCHAIN=local
COPY . .
RUN go mod download && CGO_ENABLED=0 go build -o /usr/local/bin/go-web .
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/go-web"]
