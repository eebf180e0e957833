const express = require("express");
const { greeting } = require("./lib/greeting");

const app = express();
const port = Number(process.env.PORT || 3000);

app.get("/", (_req, res) => {
  res.type("text/plain").send(`${greeting("node-npm")} (uid ${process.getuid()})\n`);
});

app.get("/healthz", (_req, res) => {
  res.type("text/plain").send("ok\n");
});

const server = app.listen(port, () => {
  console.log(`node-npm listening on ${port}`);
});

// A container stop sends SIGTERM to PID 1: close the server instead of waiting to be killed.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
