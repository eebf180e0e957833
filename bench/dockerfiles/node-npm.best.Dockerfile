# The well-known hand-written recipe for examples/node-npm: the lockfile and manifest first,
# `npm ci` with npm's cache as a cache mount, production dependencies installed on their own,
# multi-stage, the slim node image as the runtime, the node user. The egress proxy's CA comes in
# as a build secret for the install steps only: --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt
FROM node:24-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=ca \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca npm ci --omit=dev --no-audit --no-fund

FROM node:24-trixie-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY . .
USER node
EXPOSE 3000
CMD ["node", "server.js"]
