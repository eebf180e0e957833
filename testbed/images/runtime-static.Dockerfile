# Stand-in for gcr.io/distroless/static-debian13:nonroot: FROM scratch with only the files a static
# binary needs, no shell. The CA bundle and zoneinfo are Debian trixie's (ca-certificates/tzdata
# installed in a throwaway stage), never the host's. The files are the same for every
# architecture, so the stand-in is multi-platform like the real one: the files stage runs on the
# build platform and only the final scratch stage is per platform.
ARG BASE=strata-testbed/trixie-minbase
FROM --platform=$BUILDPLATFORM ${BASE}-${BUILDARCH} AS files
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && mkdir -p /out/etc/ssl/certs /out/usr/share /out/tmp /out/home/nonroot /out/root \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && cp -a /usr/share/zoneinfo /out/usr/share/ \
 && chmod 1777 /out/tmp && chmod 0700 /out/root /out/home/nonroot \
 && chown 65532:65532 /out/home/nonroot
COPY distroless/ /out/etc/
RUN chmod 0644 /out/etc/passwd /out/etc/group /out/etc/nsswitch.conf

FROM scratch
COPY --from=files /out/ /
USER 65532:65532
WORKDIR /home/nonroot
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
