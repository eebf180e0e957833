# The shape `docker init` writes for a Node project, on the corpus Express app
# (real-world/node/express-views): one stage, production dependencies installed with the
# manifests bound in and npm's cache as a cache mount, then the whole context copied, as the node
# user. The egress proxy's CA comes in as a build secret for the install only.
ARG NODE_VERSION=24
FROM node:${NODE_VERSION}-trixie-slim
ENV NODE_ENV=production
WORKDIR /usr/src/app
RUN --mount=type=bind,source=package.json,target=package.json \
    --mount=type=bind,source=package-lock.json,target=package-lock.json \
    --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca,required=false \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca npm ci --omit=dev
USER node
COPY . .
EXPOSE 3000
CMD ["node", "server.js"]
