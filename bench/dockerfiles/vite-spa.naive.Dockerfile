# The shape a front-end project's own Dockerfile usually has (the one issue #15 names): one
# stage on the Node image, the whole project copied first, then `npm install`, the `serve`
# package installed globally, `npm run build`, and `serve` as the command. The egress proxy's CA
# comes in as a build secret for the steps that download:
# --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt
FROM node:24-trixie-slim
WORKDIR /app
COPY . .
RUN --mount=type=secret,id=ca NODE_EXTRA_CA_CERTS=/run/secrets/ca npm install --no-audit --no-fund
RUN --mount=type=secret,id=ca NODE_EXTRA_CA_CERTS=/run/secrets/ca npm install -g serve@14 --no-audit --no-fund
RUN npm run build
EXPOSE 3000
CMD ["serve", "-s", "dist", "-l", "3000"]
