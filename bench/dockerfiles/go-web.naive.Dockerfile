# The naive single-stage build of examples/go-web: everything copied, compiled in place, the
# toolchain shipped with the binary.
FROM golang:1.27-trixie
WORKDIR /src
ENV GOPROXY=http://127.0.0.1:5080 GOSUMDB=off GOTOOLCHAIN=local
COPY . .
RUN --network=host go mod download && CGO_ENABLED=0 go build -o /usr/local/bin/go-web .
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/go-web"]
