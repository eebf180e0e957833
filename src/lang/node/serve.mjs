// strata's server for a built front-end app: the files of the site directory beside this script,
// index.html for a directory, index.html again for an unknown path without an extension (a
// single-page app's client-side route), and nothing outside the directory. PORT sets the port.
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "site");
const port = Number(process.env.PORT || 8080);
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".wasm": "application/wasm",
};

function regularFile(path) {
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

function find(pathname) {
  const target = resolve(root, "." + pathname);
  if (target !== root && !target.startsWith(root + sep)) return null;
  const found = regularFile(target) || regularFile(join(target, "index.html"));
  if (found) return { path: found, status: 200 };
  if (extname(pathname) === "") {
    const index = regularFile(join(root, "index.html"));
    if (index) return { path: index, status: 200 };
  }
  return null;
}

const server = createServer((request, response) => {
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(request.url, "http://site").pathname);
  } catch {
    response.writeHead(400).end();
    return;
  }
  const found = find(pathname);
  if (!found) {
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    return;
  }
  const { size } = statSync(found.path);
  // Bundlers put a content hash in asset names: those never change under their name.
  const hashed = /[.-][0-9a-zA-Z_-]{8,}\.[a-z0-9]+$/.test(found.path) && !found.path.endsWith(".html");
  response.writeHead(found.status, {
    "content-type": types[extname(found.path).toLowerCase()] || "application/octet-stream",
    "content-length": size,
    "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
  });
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  createReadStream(found.path).pipe(response);
});

server.listen(port, "0.0.0.0", () => console.log(`serving ${root} on port ${port}`));
// PID 1 in a container: stop at once when asked.
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
