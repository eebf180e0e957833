//! Engine-test plumbing: a throwaway copy of an example, `docker buildx build` with
//! `--progress=rawjson`, and what the engine reported for each step.
//!
//! Engine tests fail (never skip) when no engine is reachable, unless the developer asks for a
//! unit-only run with STRATA_SKIP_ENGINE_TESTS=1.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

mod progress;
pub use progress::{Vertex, parse_rawjson};

/// The frontend image the examples name on their `# syntax=` line: the published one, as a
/// user's spec does (`tests/cli.rs` checks they agree with `strata init`).
pub const EXAMPLE_FRONTEND: &str = "ghcr.io/strata-build/strata:0.1";

/// The locally built frontend the tests run (`make frontend`).
pub const LOCAL_FRONTEND: &str = "strata:dev";

/// The frontend image under test: `STRATA_FRONTEND_IMAGE` (e.g. `strata:python`, built with
/// `make frontend FRONTEND_IMAGE=strata:python`) lets a branch test its own frontend while
/// another checkout rebuilds `strata:dev`.
pub fn frontend_image() -> String {
    std::env::var("STRATA_FRONTEND_IMAGE").unwrap_or_else(|_| LOCAL_FRONTEND.to_string())
}

/// The one switch that runs the frontend under test whatever a spec's `# syntax=` line names:
/// BuildKit's `BUILDKIT_SYNTAX` build arg. No spec is rewritten.
pub fn frontend_under_test() -> [String; 2] {
    [
        "--build-arg".to_string(),
        format!("BUILDKIT_SYNTAX={}", frontend_image()),
    ]
}
/// The access log of the testbed's module proxy on docker0's address (scripts/testbed), which
/// the tests pass to every build as `GOPROXY`: a step on the default network reaches the host
/// there, so no spec has to carry this machine's settings.
pub const GOPROXY_LOG: &str = "goproxy/access-bridge.log";

/// The testbed's module proxy as a step on the default network reaches it: docker0's address.
pub fn test_goproxy() -> String {
    let out = Command::new("ip")
        .args(["-4", "-o", "addr", "show", "docker0"])
        .output()
        .expect("ip runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let address = text
        .split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .unwrap_or("172.17.0.1")
        .to_string();
    format!("http://{address}:5080")
}

/// The mirror settings this machine needs, as a CI or a developer passes theirs: the
/// testbed's module proxy, whose go.sum lines come from itself (no checksum database).
pub fn test_mirror_args() -> [String; 4] {
    [
        "--build-arg".to_string(),
        format!("GOPROXY={}", test_goproxy()),
        "--build-arg".to_string(),
        "GOSUMDB=off".to_string(),
    ]
}

/// One engine build at a time: tests measure what a build executed and downloaded.
static ENGINE: Mutex<()> = Mutex::new(());

/// Takes the engine for this test, or returns `None` in a unit-only run.
pub fn engine() -> Option<MutexGuard<'static, ()>> {
    if std::env::var_os("STRATA_SKIP_ENGINE_TESTS").is_some() {
        eprintln!("engine test not run: STRATA_SKIP_ENGINE_TESTS is set");
        return None;
    }
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| {
        let info = Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .output();
        match info {
            Ok(o) if o.status.success() => {}
            _ => {
                return Err(
                    "no Docker engine answers: run `scripts/testbed up` (or `make test`)".into(),
                );
            }
        }
        let image = frontend_image();
        let frontend = Command::new("docker")
            .args(["image", "inspect", &image])
            .output();
        match frontend {
            Ok(o) if o.status.success() => Ok(()),
            _ => Err(format!(
                "the frontend image {image} is missing: run `make frontend FRONTEND_IMAGE={image}`"
            )),
        }
    });
    if let Err(why) = checked {
        panic!("{why}");
    }
    Some(
        ENGINE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    )
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The testbed's cache dir (scripts/testbed), where the goproxy writes its access log.
pub fn testbed_cache() -> PathBuf {
    match std::env::var_os("STRATA_TESTBED_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/strata-testbed"),
    }
}

/// A private copy of an example that a test may edit.
pub struct Workspace {
    pub dir: PathBuf,
}

impl Workspace {
    pub fn copy_of(example: &str) -> Workspace {
        let ws = Workspace::empty(example);
        copy_dir(&repo_root().join("examples").join(example), &ws.dir);
        ws
    }

    /// A copy of a project under tests/fixtures (e.g. `real-world/go/embed-static`).
    pub fn copy_of_fixture(fixture: &str) -> Workspace {
        let ws = Workspace::empty(&fixture.replace('/', "-"));
        copy_dir(&repo_root().join("tests/fixtures").join(fixture), &ws.dir);
        ws
    }

    /// A fresh empty directory under target/engine-tests, removed when dropped.
    pub fn empty(name: &str) -> Workspace {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = repo_root()
            .join("target/engine-tests")
            .join(format!("{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Workspace { dir }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    pub fn append(&self, relative: &str, text: &str) {
        let mut current = std::fs::read_to_string(self.path(relative)).unwrap_or_default();
        current.push_str(text);
        self.write(relative, &current);
    }

    /// Puts the spec's cache mounts in `namespace`. A namespace no earlier build used gives
    /// empty caches to the steps that run; it does not make a step run (BuildKit leaves cache
    /// mount ids out of a step's cache key): that takes a change to the step or `--no-cache`.
    pub fn use_cache_namespace(&self, namespace: &str) {
        self.append(
            "strata.yaml",
            &format!("cache:\n  namespace: {namespace}\n"),
        );
    }

    /// A copy of `example` whose steps that run start from empty caches (a package manager's
    /// cache would otherwise answer without touching the network a test is watching).
    pub fn copy_with_fresh_caches(example: &str) -> Workspace {
        let ws = Workspace::copy_of(example);
        ws.use_cache_namespace(&fresh_namespace());
        ws
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every file under `dir`, relative to it, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The files under `dir` (a build context) that a selection of `plan` lets through, as the
/// engine decides it.
pub fn seen_by(
    plan: &strata::plan::Plan,
    files: &strata::plan::ContextSelection,
    dir: &Path,
) -> Vec<String> {
    let all = files_under(dir);
    files
        .pick(&plan.excluded, all.iter().map(String::as_str))
        .unwrap()
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A token that no earlier build has seen, so an edit is a real change to the engine's cache.
/// A cache namespace no build used.
pub fn fresh_namespace() -> String {
    format!("fresh-{}", unique_token().to_lowercase())
}

pub fn unique_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}-{}", std::process::id())
}

pub struct Build {
    pub success: bool,
    pub seconds: f64,
    pub output: String,
    pub vertices: Vec<Vertex>,
}

impl Build {
    /// The step whose name contains `name_part`, or else any vertex's: a step's name also
    /// appears inside its wrapper's (`[internal] strata step wrapper: [strata deps] …`).
    pub fn vertex(&self, name_part: &str) -> &Vertex {
        let named = |v: &&Vertex| v.name.contains(name_part);
        self.vertices
            .iter()
            .filter(|v| v.is_step())
            .find(named)
            .or_else(|| self.vertices.iter().find(named))
            .unwrap_or_else(|| panic!("no step named like `{name_part}` in:\n{}", self.summary()))
    }

    pub fn executed_steps(&self) -> Vec<&Vertex> {
        self.vertices
            .iter()
            .filter(|v| v.executed() && v.is_step())
            .collect()
    }

    pub fn summary(&self) -> String {
        self.vertices
            .iter()
            .map(|v| {
                format!(
                    "  {} {}",
                    if v.cached {
                        "CACHED "
                    } else if v.started {
                        "RAN    "
                    } else {
                        "-      "
                    },
                    v.name
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn assert_success(&self) -> &Self {
        assert!(self.success, "build failed:\n{}", self.errors());
        self
    }

    /// The build's human-facing error lines (everything that is not rawjson).
    pub fn errors(&self) -> String {
        let mut text: Vec<String> = self
            .output
            .lines()
            .filter(|l| l.starts_with("ERROR") || l.contains("error:") || l.contains("hint:"))
            .map(str::to_string)
            .collect();
        for v in &self.vertices {
            if let Some(e) = &v.error {
                text.push(format!("step `{}` failed: {e}", v.name));
            }
        }
        text.join("\n")
    }
}

/// `docker buildx build --progress=<progress> --allow network.host`, with the frontend the spec
/// names (add `frontend_under_test()` for the one under test).
pub fn buildx_command(progress: &str) -> Command {
    let mut command = Command::new("docker");
    command.args([
        "buildx",
        "build",
        &format!("--progress={progress}"),
        "--allow",
        "network.host",
    ]);
    command.args(test_mirror_args());
    command
}

/// `docker buildx build --progress=rawjson -f <ws>/strata.yaml <ws> <extra...>`.
pub fn buildx(ws: &Workspace, extra: &[&str]) -> Build {
    let mut command = buildx_command("rawjson");
    command
        .args(frontend_under_test())
        .arg("-f")
        .arg(ws.path("strata.yaml"))
        .args(extra)
        .arg(&ws.dir);
    with_progress(command)
}

/// `docker buildx bake` of the workspace's docker-bake.hcl, run from the workspace, with the
/// progress of every target's steps in one stream.
pub fn bake(ws: &Workspace, extra: &[&str]) -> Build {
    let mut command = Command::new("docker");
    command
        .current_dir(&ws.dir)
        .args(["buildx", "bake", "--progress=rawjson", "--set"])
        .arg(format!("*.args.BUILDKIT_SYNTAX={}", frontend_image()))
        .arg("--set")
        .arg(format!("*.args.GOPROXY={}", test_goproxy()))
        .args(["--set", "*.args.GOSUMDB=off"])
        .args(extra);
    with_progress(command)
}

/// Runs a build command that prints `--progress=rawjson`, and reads what ran.
fn with_progress(mut command: Command) -> Build {
    let started = Instant::now();
    let output: Output = command.output().expect("docker runs");
    let seconds = started.elapsed().as_secs_f64();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let vertices = parse_rawjson(&text);
    // A build that reports no steps means the progress format was not understood: every
    // "nothing ran" assertion would then pass vacuously.
    assert!(
        !vertices.is_empty(),
        "no progress records parsed from:\n{text}"
    );
    Build {
        success: output.status.success(),
        seconds,
        vertices,
        output: text,
    }
}

/// The same build with `--progress=plain`, for what a person reads (warnings, step names).
pub fn buildx_plain(ws: &Workspace, extra: &[&str]) -> (bool, String) {
    let output = buildx_command("plain")
        .args(frontend_under_test())
        .arg("-f")
        .arg(ws.path("strata.yaml"))
        .args(extra)
        .arg(&ws.dir)
        .output()
        .expect("docker runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Whether buildx quoted line `line` of strata.yaml above an error, marked `>>>`, as it quotes
/// a Dockerfile's.
pub fn marks_spec_line(output: &str, line: usize, text: &str) -> bool {
    let marked = format!("{line} | >>> {text}");
    output.contains(&format!("strata.yaml:{line}\n"))
        && output.lines().any(|l| l.trim_start().starts_with(&marked))
}

/// The process a failed step ran, as the engine names it in `process "…" did not complete
/// successfully` (its argv joined by spaces, Go-quoted).
pub fn failed_process(output: &str) -> Option<String> {
    let start = output.find("process \"")? + "process \"".len();
    let end = start + output[start..].find("\" did not complete successfully")?;
    Some(
        output[start..end]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\"),
    )
}

/// Whether buildx showed `message` as a build warning. buildx prints a warning under its vertex
/// (`#N WARN: …`) only if that vertex gets another progress update after the warning arrives,
/// which races with the spec vertex completing; the summary after the build (`1 warning found`
/// and one `- …` line per warning) always lists it, so either counts.
pub fn warning_shown(text: &str, message: &str) -> bool {
    let inline = text.contains(&format!("WARN: {message}"));
    let summary = text
        .lines()
        .skip_while(|line| !(line.contains("warning found") || line.contains("warnings found")))
        .any(|line| {
            let line = line.trim_start_matches(|c: char| c == '\u{1b}' || c.is_whitespace());
            let line = line.strip_prefix("[0m").unwrap_or(line).trim_start();
            line.strip_prefix("- ")
                .is_some_and(|warning| warning.starts_with(message))
        });
    inline || summary
}

/// The strata CLI under test: whether it succeeded, and stdout then stderr.
pub fn strata(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .output()
        .expect("strata runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs")
}

/// Runs `node -e script` in the image: the run's output, whether it succeeded or not.
pub fn node_eval(image: &str, script: &str) -> Output {
    docker(&["run", "--rm", "--entrypoint", "node", image, "-e", script])
}

pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The size of an image's flattened filesystem, as `docker export` streams it: what the
/// image really carries, whatever the engine's store reports for compressed layers.
pub fn image_filesystem_bytes(image: &str) -> u64 {
    exported(image, "wc -c")
        .trim()
        .parse()
        .expect("wc prints a number")
}

/// The paths of an image's flattened filesystem (as `docker export` streams it, no leading
/// `/`, directories ending in `/`).
pub fn image_paths(image: &str) -> std::collections::BTreeSet<String> {
    exported(image, "tar -t")
        .lines()
        .map(str::to_string)
        .collect()
}

/// What `reader` prints of the image's flattened filesystem, streamed by `docker export`.
fn exported(image: &str, reader: &str) -> String {
    let id = docker_ok(&["create", image]);
    let export = Command::new("sh")
        .arg("-c")
        .arg(format!("docker export {id} | {reader}"))
        .output()
        .expect("sh runs");
    let _ = docker(&["rm", &id]);
    assert!(
        export.status.success(),
        "docker export {image} | {reader} failed"
    );
    String::from_utf8_lossy(&export.stdout).into_owned()
}

/// A running container, stopped when dropped.
pub struct Container {
    pub id: String,
}

impl Container {
    pub fn run_published(image: &str, port: u16) -> Container {
        Container::run_published_with(image, port, &[])
    }

    /// With environment variables (`KEY=value`), as a deployment passes its secrets.
    pub fn run_published_with(image: &str, port: u16, env: &[&str]) -> Container {
        let publish = format!("127.0.0.1::{port}");
        let mut args = vec!["run", "-d", "--rm", "-p", &publish];
        for variable in env {
            args.extend(["-e", variable]);
        }
        args.push(image);
        let id = docker_ok(&args);
        Container { id }
    }

    pub fn address(&self, port: u16) -> String {
        docker_ok(&["port", &self.id, &format!("{port}/tcp")])
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.id]).output();
    }
}

/// GET a path over plain HTTP/1.1, retrying while the server starts.
pub fn http_get(address: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut stream = std::net::TcpStream::connect(address)?;
            stream.set_read_timeout(Some(Duration::from_secs(5)))?;
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
            )?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response)
        })();
        match attempt {
            // Python's http.server answers HTTP/1.0.
            Ok(response)
                if response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200") =>
            {
                return response
                    .split("\r\n\r\n")
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
            }
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            other => panic!("GET {path} on {address} did not answer 200: {other:?}"),
        }
    }
}

/// The status line and headers of a GET with extra request headers (`Accept-Encoding: gzip`),
/// lower-cased, once the server answers.
pub fn http_head(address: &str, path: &str, headers: &[&str]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("the server answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    text.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

const HOST_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The CAs this host adds to Debian's list (the egress proxy's), as PEM: what a company's own
/// base image would trust.
pub fn egress_ca_pem() -> String {
    let out = Command::new("/usr/bin/python3")
        .arg(repo_root().join("testbed/ca-scan.py"))
        .args(["added", HOST_BUNDLE, "/usr/share/ca-certificates/mozilla"])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "ca-scan.py added failed");
    let pem = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        pem.contains("BEGIN CERTIFICATE"),
        "this host adds no CA to Debian's list: PyPI is not behind a TLS-intercepting proxy here"
    );
    pem
}

/// Search patterns for the egress CA (lines from the certificates the host adds to Debian's
/// list) plus the canaries, one per line, as testbed/ca-scan.py reads them.
pub fn leak_patterns(dir: &Path, canaries: &[&str]) -> PathBuf {
    let out = Command::new("/usr/bin/python3")
        .arg(repo_root().join("testbed/ca-scan.py"))
        .args([
            "patterns",
            HOST_BUNDLE,
            "/usr/share/ca-certificates/mozilla",
        ])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "ca-scan.py patterns failed");
    let ca_lines = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !ca_lines.trim().is_empty(),
        "this host adds no CA to Debian's list: the CA half of the leak check would prove nothing"
    );
    let path = dir.join("patterns");
    use std::io::Write;
    let mut file = std::fs::File::create(&path).expect("patterns file");
    file.write_all(ca_lines.as_bytes()).expect("written");
    for canary in canaries {
        writeln!(file, "{canary}").expect("written");
    }
    path
}

/// Scans every blob of `docker save IMAGE` (config with its history, manifests, each layer
/// decompressed) for the patterns; returns the first hit.
pub fn scan_image(image: &str, patterns: &Path) -> Option<String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "docker save {image} | /usr/bin/python3 {} scan {}",
            repo_root().join("testbed/ca-scan.py").display(),
            patterns.display()
        ))
        .output()
        .expect("sh runs");
    match out.status.code() {
        Some(0) => None,
        Some(1) => Some(String::from_utf8_lossy(&out.stdout).to_string()),
        _ => panic!(
            "scanning {image} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// tests/fixtures/private-index.py on a free loopback port: a package index that demands
/// HTTP basic credentials. Stopped when dropped.
pub struct PrivateIndex {
    child: std::process::Child,
    pub port: u16,
}

impl PrivateIndex {
    /// `delay_seconds` stalls each wheel download that long.
    pub fn start(user: &str, password: &str, delay_seconds: u32) -> PrivateIndex {
        let (child, port) = serve_fixture("private-index.py", |port| {
            vec![
                port.to_string(),
                user.to_string(),
                password.to_string(),
                delay_seconds.to_string(),
            ]
        });
        PrivateIndex { child, port }
    }
}

impl Drop for PrivateIndex {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// tests/fixtures/registry-mirror.py: a mirror of the npm registry (`npm`) or of crates.io's
/// sparse index (`cargo`) on loopback that forwards upstream and logs every request.
pub struct RegistryMirror {
    child: std::process::Child,
    pub port: u16,
    log: PathBuf,
}

impl RegistryMirror {
    pub fn start(kind: &str, ws: &Workspace) -> RegistryMirror {
        let log = ws.dir.with_extension(format!("{kind}-mirror.log"));
        let (child, port) = serve_fixture("registry-mirror.py", |port| {
            vec![
                port.to_string(),
                kind.to_string(),
                log.display().to_string(),
            ]
        });
        RegistryMirror { child, port, log }
    }

    /// `METHOD PATH STATUS` per request so far.
    pub fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RegistryMirror {
    fn drop(&mut self) {
        stop(&mut self.child);
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Starts tests/fixtures/SCRIPT with the arguments `args(port)` for a free loopback port, and
/// waits until it listens.
fn serve_fixture(
    script: &str,
    args: impl FnOnce(u16) -> Vec<String>,
) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    use std::os::unix::process::CommandExt;
    let child = std::process::Command::new("/usr/bin/python3")
        .arg(repo_root().join("tests/fixtures").join(script))
        .args(args(port))
        .stdout(std::process::Stdio::null())
        // Its own process group, so `stop` also ends what the fixture started (sshd, an agent).
        .process_group(0)
        .spawn()
        .expect("python3 runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{script} did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

fn stop(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

/// tests/fixtures/git-ssh-server: a Go module in a git repository behind sshd on loopback (in a
/// container on the host's network), with an ssh-agent holding the only key it accepts.
pub struct GitSshServer {
    child: std::process::Child,
    dir: PathBuf,
    container: String,
    pub agent_socket: String,
    pub known_hosts: String,
    pub user_public_key: String,
    /// `ssh://root@127.0.0.1:PORT/…/git/`: the module's repository is under it.
    pub url_prefix: String,
    pub go_sum: String,
    /// A line from the middle of the private key: what a leak scan looks for.
    pub private_key_line: String,
}

impl GitSshServer {
    pub fn start(module: &str) -> GitSshServer {
        let dir = std::env::temp_dir().join(format!("strata-git-ssh-{}", unique_token()));
        let dir_arg = dir.display().to_string();
        let image = "strata-test/git-ssh-server:1";
        let context = repo_root().join("tests/fixtures/git-ssh-server");
        docker_ok(&["build", "-q", "-t", image, context.to_str().unwrap()]);
        let (child, _) = serve_fixture("git-ssh-server/serve.py", |port| {
            vec![
                port.to_string(),
                dir_arg,
                module.to_string(),
                image.to_string(),
            ]
        });
        let server: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("server.json")).expect("the server wrote its facts"),
        )
        .expect("server.json is JSON");
        let field = |key: &str| server[key].as_str().expect(key).to_string();
        let private_key = std::fs::read_to_string(dir.join("user_key")).expect("the user key");
        GitSshServer {
            private_key_line: private_key.lines().nth(2).expect("a key body").to_string(),
            agent_socket: field("agent_socket"),
            known_hosts: field("known_hosts"),
            user_public_key: field("user_public_key"),
            url_prefix: field("url_prefix"),
            go_sum: field("go_sum"),
            container: field("container"),
            child,
            dir,
        }
    }
}

impl Drop for GitSshServer {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.container]);
        stop(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
