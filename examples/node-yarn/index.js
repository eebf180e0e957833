const http = require("node:http");
const ms = require("ms");

const started = Date.now();
const port = Number(process.env.PORT || 3000);

const server = http.createServer((req, res) => {
  res.setHeader("content-type", "text/plain");
  res.end(req.url === "/healthz" ? "ok\n" : `hello from node-yarn, up ${ms(Date.now() - started)}\n`);
});

server.listen(port, () => console.log(`node-yarn listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
