# Stand-in for node:<VERSION>-trixie-slim: Debian's nodejs from SUITE (trixie has 20, sid 24, with
# corepack), npm from the npm registry at the major the official image bundles (10 with Node 20,
# 11 with newer lines), and the official image's `node` user (uid/gid 1000) that plans may
# switch to. npm comes as its release tarball, as in the official image, rather than as Debian's
# npm, which is some 400 packages: installing those under QEMU took the arm64 build 40 minutes.
# The registry is reached through the egress proxy; its CA arrives as a build secret, so it never
# lands in a layer. The tarball is checked against the registry's integrity hash.
ARG BASE=strata-testbed/trixie-minbase
FROM ${BASE}-${TARGETARCH}
ARG VERSION SUITE
RUN --mount=type=bind,source=apt-toolchain,target=/apt-toolchain \
    /apt-toolchain "$SUITE" nodejs -- ca-certificates \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
RUN --mount=type=secret,id=ca,required=true \
    case "$VERSION" in \
      20) npm=10.9.4 sri=sha512-OnUG836FwboQIbqtefDNlyR0gTHzIfwRfE3DuiNewBvnMnWEpB0VEXwBlFVgqpNzIgYo/MHh3d2Hel/pszapAA== ;; \
      *) npm=11.21.2 sri=sha512-7HPApk+AflMUavSseL1Pm6CnYqMIHk53x+KmuhqmTDqPkjPMgxIpTPcTqsE91EKNw4gFBJV9fnXiSdGm1DXq9A== ;; \
    esac \
 && NODE_EXTRA_CA_CERTS=/run/secrets/ca node -e ' \
      const [url, sri, out] = process.argv.slice(1); \
      fetch(url).then(r => { if (!r.ok) throw new Error(url + ": HTTP " + r.status); return r.arrayBuffer(); }) \
        .then(b => { const got = "sha512-" + require("crypto").createHash("sha512").update(Buffer.from(b)).digest("base64"); \
          if (got !== sri) throw new Error(url + ": integrity " + got); require("fs").writeFileSync(out, Buffer.from(b)); }) \
        .catch(e => { console.error(e.message); process.exit(1); });' \
      "https://registry.npmjs.org/npm/-/npm-$npm.tgz" "$sri" /tmp/npm.tgz \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz --strip-components=1 --no-same-owner -C /usr/local/lib/node_modules/npm \
 && rm /tmp/npm.tgz \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && npm --version
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["node"]
