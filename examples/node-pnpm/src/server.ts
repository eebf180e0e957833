import { createServer } from "node:http";
import ms from "ms";
import { uptime } from "./uptime";

const port = Number(process.env.PORT ?? 3000);
const started = Date.now();

const server = createServer((req, res) => {
  res.setHeader("content-type", "text/plain");
  if (req.url === "/healthz") {
    res.end("ok\n");
    return;
  }
  res.end(`hello from node-pnpm (uid ${process.getuid?.()}), up ${uptime(started, ms)}\n`);
});

server.listen(port, () => console.log(`node-pnpm listening on ${port}`));

// A container stop sends SIGTERM to PID 1: close the server instead of waiting to be killed.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
