# The well-known pnpm recipe for examples/node-pnpm: `pnpm fetch` from the lockfile alone into a
# cache-mounted store, an offline install once package.json is in, the TypeScript build, then
# production dependencies on their own and the built app on the slim image as the node user.
# pnpm comes from corepack, pinned by packageManager; the CA is a build secret.
FROM node:24-trixie-slim AS deps
ENV COREPACK_HOME=/opt/corepack PNPM_HOME=/pnpm
WORKDIR /app
COPY package.json ./
RUN --mount=type=secret,id=ca,required=false \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca corepack install
COPY pnpm-lock.yaml ./
RUN --mount=type=cache,id=pnpm,target=/pnpm/store \
    --mount=type=secret,id=ca,required=false \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca npm_config_cafile=/run/secrets/ca \
    corepack pnpm fetch --store-dir /pnpm/store
RUN --mount=type=cache,id=pnpm,target=/pnpm/store \
    corepack pnpm install --offline --frozen-lockfile --store-dir /pnpm/store --package-import-method copy

FROM deps AS build
COPY tsconfig.json ./
COPY src ./src
RUN corepack pnpm run build

FROM deps AS prod
RUN --mount=type=cache,id=pnpm,target=/pnpm/store \
    rm -rf node_modules && \
    corepack pnpm install --offline --frozen-lockfile --prod --store-dir /pnpm/store --package-import-method copy

FROM node:24-trixie-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/server.js"]
