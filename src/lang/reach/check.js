// strata doctor: can this build container reach each URL? One JSON line per URL on stdout,
// naming the first thing that failed: dns, connect, proxy, tls or http. Node's own modules only.
const dns = require("dns").promises, net = require("net"), tls = require("tls");
const TIMEOUT = 10000;

function proxyFor(url) {
  const bypass = (process.env.no_proxy || process.env.NO_PROXY || "").split(",").map((s) => s.trim()).filter(Boolean);
  if (bypass.some((b) => b === "*" || url.hostname === b.replace(/^\./, "") || url.hostname.endsWith("." + b.replace(/^\./, "")))) return null;
  const name = url.protocol === "https:" ? "https_proxy" : "http_proxy";
  return process.env[name] || process.env[name.toUpperCase()] || null;
}

function connect(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: TIMEOUT }, () => resolve(socket));
    socket.on("timeout", () => socket.destroy(new Error("timed out")));
    socket.on("error", reject);
  });
}

function readLine(socket) {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n");
      if (end >= 0) { socket.removeListener("data", onData); resolve(text.slice(0, end)); }
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.on("end", () => resolve(text));
  });
}

async function check(trust, raw) {
  const url = new URL(raw), secure = url.protocol === "https:";
  const port = Number(url.port) || (secure ? 443 : 80);
  const proxy = proxyFor(url);
  const report = { url: raw, trust, tool: "node", via: proxy };
  const failed = (stage, detail) => Object.assign(report, { failed_at: stage, detail: String(detail) });
  const peer = proxy ? new URL(proxy) : null;
  const [dialHost, dialPort] = peer ? [peer.hostname, Number(peer.port) || 80] : [url.hostname, port];
  try { await dns.lookup(dialHost); } catch (e) { return failed("dns", `${dialHost}: ${e.code || e.message}`); }
  let socket;
  try { socket = await connect(dialHost, dialPort); } catch (e) { return failed("connect", `${dialHost}:${dialPort}: ${e.code || e.message}`); }
  try {
    if (peer && secure) {
      socket.write(`CONNECT ${url.hostname}:${port} HTTP/1.1\r\nHost: ${url.hostname}:${port}\r\n\r\n`);
      const answer = await readLine(socket);
      if (answer.split(" ")[1] !== "200") return failed("proxy", `CONNECT ${url.hostname}:${port} answered ${JSON.stringify(answer)}`);
    }
    if (secure) {
      try {
        socket = await new Promise((resolve, reject) => {
          const wrapped = tls.connect({ socket, servername: url.hostname }, () => resolve(wrapped));
          wrapped.on("error", reject);
        });
      } catch (e) {
        const untrusted = /CERT|SELF_SIGNED|ISSUER/.test(e.code || "");
        return failed("tls", untrusted ? `certificate not trusted: ${e.code}: ${e.message}` : e.message);
      }
    }
    const target = peer && !secure ? raw : url.pathname || "/";
    socket.write(`GET ${target} HTTP/1.1\r\nHost: ${url.hostname}\r\nUser-Agent: strata-doctor\r\nConnection: close\r\n\r\n`);
    const status = (await readLine(socket)).split(" ");
    if (!/^\d+$/.test(status[1] || "")) return failed("http", `not an HTTP answer: ${JSON.stringify(status.join(" "))}`);
    return Object.assign(report, { failed_at: null, status: Number(status[1]) });
  } catch (e) {
    return failed("http", e.message);
  } finally {
    socket.destroy();
  }
}

(async () => {
  const [trust, ...urls] = process.argv.slice(1);
  for (const url of urls) console.log(JSON.stringify(await check(trust, url)));
})();
