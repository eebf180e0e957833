# The naive single-stage build of examples/node-pnpm: everything copied, then install and build
# in one image; dev dependencies (typescript) and the store stay in it, it runs as root. The CA
# secret is the only concession.
FROM node:24-trixie-slim
WORKDIR /app
COPY . .
RUN --mount=type=secret,id=ca,required=false \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca npm_config_cafile=/run/secrets/ca \
    corepack pnpm install --frozen-lockfile && corepack pnpm run build
EXPOSE 3000
CMD ["node", "dist/server.js"]
