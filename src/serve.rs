//! `strata serve DIR`: the web server of a front-end app's image. A built site needs nothing
//! but files over HTTP, so the image is a distroless base, this binary (copied from the frontend
//! image the build ran) and the site: a few megabytes, no shell, no package manager.
//!
//! It answers GET and HEAD with the file the path names (`index.html` for a directory), the
//! site's `index.html` for a path without an extension that names nothing (a single-page app's
//! client-side route) unless the site has its own `404.html`, gzip when the client takes it,
//! a year-long cache for hashed asset names and revalidation for the rest. It listens on `PORT`
//! (8080), stops at once on SIGTERM, and never reads outside DIR.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The port a site listens on unless `PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 8080;

/// Files at least this big are sent gzipped to a client that takes it, when their type
/// compresses; up to this much is compressed in memory.
const GZIP_FROM: u64 = 1024;
const GZIP_UP_TO: u64 = 16 * 1024 * 1024;

/// `strata serve DIR`.
pub fn run(dir: &Path) -> ExitCode {
    let root = match dir.canonicalize() {
        Ok(root) if root.is_dir() => root,
        _ => {
            eprintln!("strata serve: {} is not a directory", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let port = match std::env::var("PORT") {
        Ok(text) => match text.parse::<u16>() {
            Ok(port) => port,
            Err(_) => {
                eprintln!("strata serve: PORT={text} is not a port");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => DEFAULT_PORT,
    };
    stop_on_signals();
    let listener = match TcpListener::bind(("0.0.0.0", port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("strata serve: cannot listen on port {port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("strata serve: {} on port {port}", root.display());
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &root);
        });
    }
    ExitCode::SUCCESS
}

/// As PID 1 a process gets no default handling of SIGTERM: without this, `docker stop` would
/// wait its full timeout and then kill.
fn stop_on_signals() {
    extern "C" fn stop(_: libc::c_int) {
        // Only async-signal-safe calls here.
        unsafe { libc::_exit(0) };
    }
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: installs a handler that only calls `_exit`, which is async-signal-safe.
        unsafe {
            libc::signal(
                signal,
                stop as extern "C" fn(libc::c_int) as libc::sighandler_t,
            )
        };
    }
}

/// The parts of a request the server uses.
struct Request {
    method: String,
    path: String,
    gzip: bool,
}

fn answer(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let Some(request) = read_request(&mut reader)? else {
        return respond(&mut out, 400, &[], b"bad request\n", true);
    };
    if request.method != "GET" && request.method != "HEAD" {
        return respond(&mut out, 405, &[("allow", "GET, HEAD")], b"", true);
    }
    let head_only = request.method == "HEAD";
    let Some((file, status)) = find(root, &request.path) else {
        return respond(&mut out, 404, &[], b"not found\n", !head_only);
    };
    let content_type = content_type(&file);
    let mut body = Vec::new();
    std::fs::File::open(&file)?.read_to_end(&mut body)?;
    let compressible =
        is_compressible(content_type) && (GZIP_FROM..=GZIP_UP_TO).contains(&(body.len() as u64));
    let mut headers = vec![
        ("content-type", content_type.to_string()),
        ("cache-control", cache_control(&file).to_string()),
        ("x-content-type-options", "nosniff".to_string()),
    ];
    if compressible {
        headers.push(("vary", "Accept-Encoding".to_string()));
        if request.gzip {
            body = gzip(&body)?;
            headers.push(("content-encoding", "gzip".to_string()));
        }
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    respond(&mut out, status, &headers, &body, !head_only)
}

/// The request line and the headers the server reads; `None` for what is not HTTP.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    reader.take(8192).read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let (Some(method), Some(target), Some(_version)) = (words.next(), words.next(), words.next())
    else {
        return Ok(None);
    };
    let mut gzip = false;
    for _ in 0..100 {
        let mut header = String::new();
        if reader.take(8192).read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("accept-encoding") {
                gzip |= value.split(',').any(|e| e.trim().starts_with("gzip"));
            }
        }
    }
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    Ok(Some(Request {
        method: method.to_string(),
        path,
        gzip,
    }))
}

/// The file to answer `path` with, and its status: the file it names (a directory's
/// index.html), or for a route without an extension the site's 404.html (404) or index.html.
fn find(root: &Path, path: &str) -> Option<(PathBuf, u16)> {
    let decoded = percent_decode(path)?;
    let mut target = root.to_path_buf();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part if part.contains('\0') => return None,
            part => target.push(part),
        }
    }
    let regular = |p: &Path| -> Option<PathBuf> {
        // Resolve links, and answer only what stays under the root.
        let real = p.canonicalize().ok()?;
        (real.starts_with(root) && real.is_file()).then_some(real)
    };
    if let Some(file) = regular(&target).or_else(|| regular(&target.join("index.html"))) {
        return Some((file, 200));
    }
    let last = decoded.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return None;
    }
    match regular(&root.join("404.html")) {
        Some(not_found) => Some((not_found, 404)),
        None => regular(&root.join("index.html")).map(|index| (index, 200)),
    }
}

/// `%XX` decoded; `None` when the result is not UTF-8 or an escape is broken.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(file: &Path) -> &'static str {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn is_compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || [
            "application/json",
            "application/manifest+json",
            "application/xml",
            "image/svg+xml",
            "application/wasm",
        ]
        .iter()
        .any(|t| content_type.starts_with(t))
}

/// Bundlers put a content hash in an asset's name (`index-B_x9-aQ2.js` from Vite,
/// `main.3e2f1a9c.js` and `787.a1b2c3d4.chunk.js` from webpack): such a file never changes
/// under its name. HTML names its assets and must be checked again.
fn cache_control(file: &Path) -> &'static str {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let is_hash = |s: &str| {
        s.len() >= 8
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && s.chars().any(|c| c.is_ascii_digit())
    };
    let dotted = stem.split('.').skip(1).any(is_hash);
    let dashed = stem.len() > 9
        && stem.as_bytes()[stem.len() - 9] == b'-'
        && stem.is_char_boundary(stem.len() - 8)
        && is_hash(&stem[stem.len() - 8..]);
    if (dotted || dashed) && !name.ends_with(".html") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body)?;
    encoder.finish()
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    send_body: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if send_body {
        out.write_all(body)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> PathBuf {
        let root = std::env::temp_dir().join(format!("strata-serve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in [
            ("index.html", "<div id=app></div>"),
            ("assets/index-4f9a2c1b.js", "app()"),
            ("docs/index.html", "docs"),
        ] {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        root.canonicalize().unwrap()
    }

    #[test]
    fn files_directories_routes_and_nothing_outside_the_root() {
        let root = site();
        let found = |path: &str| {
            find(&root, path).map(|(file, status)| {
                (
                    file.strip_prefix(&root).unwrap().display().to_string(),
                    status,
                )
            })
        };
        assert_eq!(found("/"), Some(("index.html".to_string(), 200)));
        assert_eq!(found("/docs/"), Some(("docs/index.html".to_string(), 200)));
        assert_eq!(
            found("/assets/index-4f9a2c1b.js"),
            Some(("assets/index-4f9a2c1b.js".to_string(), 200))
        );
        assert_eq!(found("/some/route"), Some(("index.html".to_string(), 200)));
        assert_eq!(found("/missing.js"), None);
        assert_eq!(found("/../etc/passwd"), None);
        assert_eq!(found("/%2e%2e/etc/passwd"), None);
        std::fs::write(root.join("404.html"), "gone").unwrap();
        assert_eq!(found("/some/route"), Some(("404.html".to_string(), 404)));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn hashed_assets_are_cached_for_a_year_and_pages_revalidated() {
        for (name, cached) in [
            ("assets/index-4f9a2c1b.js", true),
            ("static/js/main.3e2f1a9c.js", true),
            ("assets/logo-Bq3xZ9k2.svg", true),
            ("assets/index-B_x9-aQ2.js", true),
            ("static/js/787.a1b2c3d4.chunk.js", true),
            ("index.html", false),
            ("favicon.svg", false),
            ("robots.txt", false),
            ("assets/vendor-library.js", false),
        ] {
            let control = cache_control(Path::new(name));
            assert_eq!(control.contains("immutable"), cached, "{name}: {control}");
        }
    }

    #[test]
    fn gzip_is_for_text_the_client_takes() {
        assert!(is_compressible("text/javascript; charset=utf-8"));
        assert!(is_compressible("image/svg+xml"));
        assert!(!is_compressible("image/png"));
        let zipped = gzip(b"hello hello hello hello").unwrap();
        assert_eq!(&zipped[..2], &[0x1f, 0x8b]);
        let request =
            read_request(&mut &b"GET /a?b HTTP/1.1\r\nAccept-Encoding: br, gzip\r\n\r\n"[..])
                .unwrap()
                .unwrap();
        assert_eq!((request.path.as_str(), request.gzip), ("/a", true));
    }
}
