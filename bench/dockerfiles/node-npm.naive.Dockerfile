# The naive single-stage build of examples/node-npm: everything copied before the install, so
# any edit reinstalls every package; dev dependencies and the npm cache stay in the image, and
# it runs as root. The CA secret is the only concession (without it npm cannot reach the
# registry here).
FROM node:24-trixie-slim
WORKDIR /app
COPY . .
RUN --mount=type=secret,id=ca NODE_EXTRA_CA_CERTS=/run/secrets/ca npm install
EXPOSE 3000
CMD ["npm", "start"]
