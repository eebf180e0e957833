# The well-known hand-written recipe for a Vite single-page app, served by Node's `serve`: the
# lockfile and manifest first, `npm ci` with npm's cache as a cache mount, the build in its own
# stage, and a runtime of the slim Node image with `serve` installed before the site is copied
# (so a source edit re-runs only the build), as the node user. The egress proxy's CA comes in as
# a build secret for the install steps only: --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt
FROM node:24-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=ca \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-trixie-slim
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=ca \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca npm install -g serve@14 --no-audit --no-fund
COPY --from=build /app/dist /srv
USER node
EXPOSE 3000
CMD ["serve", "-s", "/srv", "-l", "3000"]
