//! `strata doctor [DIR]`: real checks of what a build needs, each failure with its fix.
//!
//! Without an engine: the spec validates, the lockfiles its dependency steps read exist and
//! parse, and how much of the context the steps read. Through the docker CLI: the engine
//! answers, which BuildKit and driver, whether it can export caches, and the disk its build
//! cache and strata's cache mounts take. Through a build of the spec's own frontend image
//! (`--target doctor`): the image resolves, the engine has every capability the plan uses, and
//! from inside a container on the dependency stage's image, with its network, proxy and CA
//! handling, each URL the dependency steps fetch from resolves, connects and passes TLS.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::Value;

use crate::cache::{docker, human_bytes, sizes_by_namespace};
use crate::lang::{ENGINE_REPORT, IMAGE_ROOTS, REACH_REPORT, WITH_CA_SECRET};
use crate::pipeline::plan_directory;
use crate::plan::{ContextSelection, Mount, Plan, StageName, Step};
use crate::spec;

/// Read by more than this, the context is worth trimming.
const LARGE_READ: u64 = 200_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug)]
struct Finding {
    check: &'static str,
    verdict: Verdict,
    text: String,
    fix: Option<String>,
}

fn finding(check: &'static str, verdict: Verdict, text: impl Into<String>) -> Finding {
    Finding {
        check,
        verdict,
        text: text.into(),
        fix: None,
    }
}

impl Finding {
    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// `strata doctor [DIR] [-f FILE] [--secret S]... [--build-arg A]... [--allow E]...`.
pub struct Options {
    pub dir: PathBuf,
    pub file: PathBuf,
    /// Passed on to the check's build as given (`--secret`, `--build-arg`, `--allow`, `--builder`).
    pub build_flags: Vec<String>,
}

pub fn run(options: Options) -> ExitCode {
    let findings = examine(&options);
    print!("{}", report(&findings));
    if findings.iter().any(|f| f.verdict == Verdict::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn examine(options: &Options) -> Vec<Finding> {
    let spec_file = options.file.clone();
    let mut findings = Vec::new();
    let mut build_args = build_args(&options.build_flags);
    let plan = match plan_directory(&options.dir, &spec_file, &build_args) {
        Ok(plan) => {
            findings.push(finding(
                "spec",
                Verdict::Ok,
                format!(
                    "{}: {} app `{}`",
                    spec_file.display(),
                    plan.language,
                    plan.app
                ),
            ));
            Some(plan)
        }
        Err(problem) => {
            findings.push(
                finding("spec", Verdict::Fail, problem.to_string().trim_end()).fix(format!(
                    "`strata check -f {}` lists every problem",
                    spec_file.display()
                )),
            );
            None
        }
    };
    if let Some(plan) = &plan {
        let files = context_files(&options.dir);
        findings.extend(lockfiles(&options.dir, &files, plan));
        findings.push(context_size(&files, plan));
    }
    let engine = engine(&mut findings);
    if engine {
        findings.push(disk());
    }
    // BUILDKIT_SYNTAX replaces the spec's image, for the engine and so for the check.
    let syntax = match build_args.remove("BUILDKIT_SYNTAX") {
        Some(image) => Ok(image.to_string()),
        None => syntax_image(&spec_file),
    };
    let frontend = match &syntax {
        Ok(reference) => Some(frontend_image(reference)),
        // An unreadable spec has been reported already.
        Err(_) if !spec_file.is_file() => None,
        Err(missing) => Some(finding("frontend", Verdict::Fail, missing.clone()).fix(
            "make `# syntax=<the strata image>` the spec's first line: the engine runs that image",
        )),
    };
    let frontend_found =
        syntax.is_ok() && frontend.as_ref().is_none_or(|f| f.verdict != Verdict::Fail);
    findings.extend(frontend);
    if let (true, Some(plan), true) = (engine, &plan, frontend_found) {
        findings.extend(inside_the_engine(options, &spec_file, plan));
    }
    findings
}

/// The id of the CA secret the plan's download steps mount (`ca` unless the spec renames it).
fn ca_secret_id(plan: &Plan) -> &str {
    plan.stages
        .iter()
        .flat_map(|s| &s.steps)
        .filter_map(|step| match step {
            Step::Run(run) => Some(&run.mounts),
            _ => None,
        })
        .flatten()
        .find_map(|mount| match mount {
            Mount::Secret { id, target, .. } if target == spec::CA_MOUNT_TARGET => {
                Some(id.as_str())
            }
            _ => None,
        })
        .unwrap_or("ca")
}

/// Every file the dependency stage reads from the context, present and parsed where strata
/// knows the format.
fn lockfiles(dir: &Path, files: &[(String, u64)], plan: &Plan) -> Vec<Finding> {
    let Some(deps) = plan.stage(StageName::Deps) else {
        return Vec::new();
    };
    let read = read_by(plan, deps.steps.iter().flat_map(selections), files);
    if read.is_empty() {
        return vec![finding(
            "lockfiles",
            Verdict::Ok,
            "the dependency stage reads no files from the context",
        )];
    }
    let mut out = Vec::new();
    let mut parsed = Vec::new();
    for path in read {
        match parse_lockfile(&dir.join(path)) {
            Ok(()) => parsed.push(path),
            Err(problem) => out.push(
                finding("lockfiles", Verdict::Fail, format!("{path}: {problem}")).fix(
                    "regenerate it with the package manager (a lockfile is never edited by hand)",
                ),
            ),
        }
    }
    if !parsed.is_empty() {
        out.insert(0, finding("lockfiles", Verdict::Ok, parsed.join(", ")));
    }
    out
}

/// Whether the file reads as what its name says; files of other formats only need to be there.
fn parse_lockfile(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".json") {
        serde_json::from_str::<Value>(&text).map_err(|e| format!("not JSON: {e}"))?;
    } else if name.ends_with(".toml") || matches!(name, "Cargo.lock" | "uv.lock" | "poetry.lock") {
        toml::from_str::<toml::Table>(&text).map_err(|e| format!("not TOML: {e}"))?;
    } else if name == "go.sum" {
        if let Some((n, line)) = text
            .lines()
            .enumerate()
            .find(|(_, l)| !l.trim().is_empty() && l.split_whitespace().count() != 3)
        {
            return Err(format!(
                "line {} is not `module version hash`: {line}",
                n + 1
            ));
        }
    }
    Ok(())
}

/// The context selections a step reads: what it copies and what it mounts.
fn selections(step: &Step) -> Vec<&ContextSelection> {
    match step {
        Step::CopyContext { files, .. } => vec![files],
        Step::Run(run) => run
            .mounts
            .iter()
            .filter_map(|m| match m {
                Mount::Context { files, .. } => Some(files),
                _ => None,
            })
            .collect(),
        Step::CopyFromStage { .. }
        | Step::CopyFromImage { .. }
        | Step::LayersOfStage { .. }
        | Step::WriteFiles { .. } => Vec::new(),
    }
}

/// The files of the listing that any of `selections` passes, as the engine decides it.
fn read_by<'a>(
    plan: &Plan,
    selections: impl IntoIterator<Item = &'a ContextSelection>,
    files: &'a [(String, u64)],
) -> BTreeSet<&'a str> {
    selections
        .into_iter()
        .flat_map(|selection| {
            selection
                .pick(&plan.excluded, files.iter().map(|(path, _)| path.as_str()))
                .unwrap_or_default()
        })
        .collect()
}

/// Every regular file under `dir` with its size, by path relative to `dir`.
fn context_files(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let size = entry.metadata().map_or(0, |m| m.len());
                if let Ok(relative) = path.strip_prefix(dir) {
                    out.push((relative.to_string_lossy().into_owned(), size));
                }
            }
        }
    }
    out.sort();
    out
}

/// How big the context is, how much of it the build's steps read, and the largest top-level
/// entries: a huge directory the steps never read costs nothing but the listing.
fn context_size(files: &[(String, u64)], plan: &Plan) -> Finding {
    let read_paths = read_by(
        plan,
        plan.stages
            .iter()
            .flat_map(|s| &s.steps)
            .flat_map(selections),
        files,
    );
    let mut total = 0;
    let mut read = 0;
    let mut read_count = 0;
    let mut by_top: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (path, size) in files {
        total += size;
        let top = path.split('/').next().unwrap_or(path);
        let entry = by_top.entry(top).or_default();
        entry.0 += size;
        if read_paths.contains(path.as_str()) {
            read += size;
            read_count += 1;
            entry.1 += size;
        }
    }
    let mut largest: Vec<(&str, (u64, u64))> = by_top.into_iter().collect();
    largest.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let offenders: Vec<String> = largest
        .iter()
        .take(3)
        .map(|(name, (size, read))| {
            format!(
                "{name} {} ({})",
                human_bytes(*size),
                if *read == 0 {
                    "not read".to_string()
                } else {
                    format!("{} read", human_bytes(*read))
                }
            )
        })
        .collect();
    let text = format!(
        "{} in {} files; the steps read {} ({read_count} files); largest: {}",
        human_bytes(total),
        files.len(),
        human_bytes(read),
        offenders.join(", ")
    );
    if read > LARGE_READ {
        finding("context", Verdict::Warn, text)
            .fix("leave out what the steps need not read with .dockerignore or `build.exclude` (`strata plan` shows what each step sees)")
    } else {
        finding("context", Verdict::Ok, text)
    }
}

/// The engine behind the docker CLI: its version, the builder's driver and BuildKit, and
/// whether caches can be exported. False when no engine answers.
fn engine(findings: &mut Vec<Finding>) -> bool {
    let server = match docker(&["version", "--format", "{{.Server.Version}}"]) {
        Ok(version) => version.trim().to_string(),
        Err(problem) => {
            findings.push(
                finding("engine", Verdict::Fail, problem).fix(
                    "start Docker (or point DOCKER_HOST at it); for a standalone BuildKit at \
                     BUILDKIT_HOST, `docker buildx create --driver remote \"$BUILDKIT_HOST\" --use`",
                ),
            );
            return false;
        }
    };
    let builder = docker(&["buildx", "inspect"]).unwrap_or_default();
    let field = |name: &str| {
        builder.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let driver = field("Driver").unwrap_or_else(|| "unknown".to_string());
    let buildkit = field("BuildKit version")
        .or_else(|| field("BuildKit"))
        .unwrap_or_else(|| "unknown".to_string());
    let described = format!("Docker {server}, BuildKit {buildkit}, builder driver `{driver}`");
    if let Some(older) = below_floor(&server, &driver, &buildkit) {
        findings.push(
            finding(
                "engine",
                Verdict::Fail,
                format!(
                    "{described}: {older} is older than {}, the oldest engine strata builds with",
                    crate::llb::ENGINE_FLOOR
                ),
            )
            .fix(
                "upgrade Docker (or the builder's BuildKit image, for another driver); the \
                 `features` check below names what this engine lacks",
            ),
        );
    } else {
        findings.push(finding("engine", Verdict::Ok, described));
    }
    let store = docker(&["info", "--format", "{{json .DriverStatus}}"]).unwrap_or_default();
    findings.push(if driver != "docker" || store.contains("io.containerd.snapshotter") {
        finding(
            "cache export",
            Verdict::Ok,
            "--cache-to type=registry|local works with this builder",
        )
    } else {
        finding(
            "cache export",
            Verdict::Warn,
            "the docker driver without the containerd image store cannot export caches (--cache-to)",
        )
        .fix(
            "set \"features\": {\"containerd-snapshotter\": true} in /etc/docker/daemon.json and \
             restart Docker, or `docker buildx create --driver docker-container --use`",
        )
    });
    true
}

/// The engine that builds, when it is older than the floor: the docker driver builds with the
/// daemon's own BuildKit (Debian's builds report no BuildKit version, so the Docker version
/// decides), other drivers with the BuildKit version their builder reports.
fn below_floor(server: &str, driver: &str, buildkit: &str) -> Option<String> {
    let release = |text: &str| -> Option<(u32, u32)> {
        let mut numbers = text
            .trim_start_matches('v')
            .split(|c: char| !c.is_ascii_digit())
            .map(str::parse);
        Some((numbers.next()?.ok()?, numbers.next()?.ok()?))
    };
    if driver == "docker" {
        let version = release(server)?;
        (version < (26, 1)).then(|| format!("Docker {}.{}", version.0, version.1))
    } else {
        let version = release(buildkit).filter(|v| *v != (0, 0))?;
        (version < (0, 13)).then(|| format!("BuildKit v{}.{}", version.0, version.1))
    }
}

/// The build cache's size and strata's cache mounts' share of it.
fn disk() -> Finding {
    let total = docker(&["buildx", "du"]).ok().and_then(|out| {
        out.lines()
            .find_map(|l| l.strip_prefix("Total:").map(|v| v.trim().to_string()))
    });
    match sizes_by_namespace() {
        Ok(sizes) => {
            let namespaces: Vec<String> = sizes
                .iter()
                .map(|(ns, bytes)| format!("{ns} {}", human_bytes(*bytes)))
                .collect();
            let mounts = if namespaces.is_empty() {
                "none yet".to_string()
            } else {
                namespaces.join(", ")
            };
            finding(
                "disk",
                Verdict::Ok,
                format!(
                    "build cache {}; strata's cache mounts: {mounts}",
                    total.unwrap_or_else(|| "unknown".to_string())
                ),
            )
            .fix("`strata cache ls` shows them, `strata cache prune --older-than 7d` trims them")
        }
        Err(problem) => finding("disk", Verdict::Warn, problem),
    }
}

/// Every `--build-arg NAME=value` among the flags passed on to the build; a later one wins,
/// as with buildx.
fn build_args(flags: &[String]) -> BTreeMap<String, String> {
    flags
        .windows(2)
        .filter(|pair| pair[0] == "--build-arg")
        .filter_map(|pair| pair[1].split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The image named by the spec's `# syntax=` line.
fn syntax_image(spec_file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(spec_file).unwrap_or_default();
    spec::syntax_image(&text).ok_or_else(|| {
        format!(
            "{}:1:1: the first line is not `# syntax=<image>`, so `docker buildx build -f` \
                 has no frontend to run",
            spec_file.display()
        )
    })
}

/// The frontend image is in the local store, or its registry has it (asked the way buildx asks,
/// with the user's registry logins).
fn frontend_image(reference: &str) -> Finding {
    if docker(&["image", "inspect", "--format", "{{.Id}}", reference]).is_ok() {
        return finding(
            "frontend",
            Verdict::Ok,
            format!("{reference} (in the local image store)"),
        );
    }
    match docker(&["buildx", "imagetools", "inspect", "--raw", reference]) {
        Ok(_) => finding(
            "frontend",
            Verdict::Ok,
            format!("{reference} (in its registry: the engine pulls it)"),
        ),
        Err(why) => finding(
            "frontend",
            Verdict::Fail,
            format!(
                "{reference} is neither stored locally nor found in its registry ({})",
                // buildx's last words, e.g. `not found` or `authentication required`.
                why.rsplit(": ").next().unwrap_or("").trim()
            ),
        )
        .fix(PULL_FIX),
    }
}

/// What to check when the engine cannot get the frontend image.
const PULL_FIX: &str = "check the image name and tag on the spec's first line (releases are \
    tagged x.y.z, x.y and x) or in BUILDKIT_SYNTAX, that this machine reaches the registry, and \
    `docker login <registry>` if it is private";

/// The checks that need a build: the frontend image runs, the engine's capabilities, and the
/// reachability of every URL from the dependency stage's image.
fn inside_the_engine(options: &Options, spec_file: &Path, plan: &Plan) -> Vec<Finding> {
    let out = std::env::temp_dir().join(format!("strata-doctor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let spec_arg = spec_file.display().to_string();
    let dest = format!("type=local,dest={}", out.display());
    let dir = options.dir.display().to_string();
    let mut args = vec![
        "buildx",
        "build",
        "--progress=plain",
        "-f",
        &spec_arg,
        "--target",
        "doctor",
        "--output",
        &dest,
    ];
    args.extend(options.build_flags.iter().map(String::as_str));
    args.push(&dir);
    let build = Command::new("docker").args(&args).output();
    let findings = match build {
        Err(e) => vec![finding(
            "frontend",
            Verdict::Fail,
            format!("cannot run docker: {e}"),
        )],
        Ok(done) if !done.status.success() => {
            vec![build_failure(&String::from_utf8_lossy(&done.stderr))]
        }
        Ok(_) => {
            let engine = std::fs::read_to_string(out.join(ENGINE_REPORT)).unwrap_or_default();
            let reach = std::fs::read_to_string(out.join(REACH_REPORT)).unwrap_or_default();
            let mut findings = capabilities(plan, &engine);
            findings.extend(reachability(
                &reach,
                ca_secret_id(plan),
                &options.build_flags,
            ));
            findings
        }
    };
    let _ = std::fs::remove_dir_all(&out);
    findings
}

/// Why the check's build failed, in the terms of what to do.
fn build_failure(stderr: &str) -> Finding {
    let last: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("error"))
        .collect();
    let detail = last
        .last()
        .copied()
        .unwrap_or_else(|| stderr.lines().last().unwrap_or(""))
        .trim()
        .to_string();
    let fix = if detail.contains("resolve") || detail.contains("pull access denied") {
        PULL_FIX
    } else if detail.contains("unknown target `doctor`") {
        "the frontend image is older than this strata: use the image of the same version"
    } else if detail.contains("network.host") {
        "the spec asks for host networking: pass --allow network.host (and create the builder with it allowed)"
    } else {
        "run the same build with --progress=plain to see the whole log"
    };
    finding(
        "frontend",
        Verdict::Fail,
        format!("the check's build failed: {detail}"),
    )
    .fix(fix)
}

/// The engine's LLB capabilities against the ones the plan relies on.
fn capabilities(plan: &Plan, engine_json: &str) -> Vec<Finding> {
    let engine: Value = serde_json::from_str(engine_json).unwrap_or(Value::Null);
    let listed = |key: &str| -> BTreeSet<String> {
        engine[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let caps: Vec<String> = listed("llb_caps").into_iter().collect();
    let platforms: Vec<String> = listed("platforms").into_iter().collect();
    let needed = crate::llb::required_caps(plan);
    let missing = crate::llb::missing_caps(plan, &caps);
    let mut findings = vec![finding(
        "frontend",
        Verdict::Ok,
        "the engine ran it and it answered",
    )];
    findings.push(if missing.is_empty() {
        let mut what: Vec<&str> = needed.values().copied().collect();
        what.dedup();
        finding(
            "features",
            Verdict::Ok,
            format!("the engine supports all the plan uses: {}", what.join(", ")),
        )
    } else {
        finding(
            "features",
            Verdict::Fail,
            format!("the engine lacks {}", missing.join(", ")),
        )
        .fix(format!(
            "upgrade the engine: strata needs {} or newer",
            crate::llb::ENGINE_FLOOR
        ))
    });
    findings.push(finding(
        "platforms",
        Verdict::Ok,
        format!(
            "the engine builds for {} (another --platform needs QEMU binfmt on the engine's host)",
            platforms.join(", ")
        ),
    ));
    findings
}

/// One finding per URL: the pass with the CA secret decides when the build passes one.
fn reachability(jsonl: &str, ca_secret: &str, build_flags: &[String]) -> Vec<Finding> {
    let results: Vec<Value> = jsonl
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    if results.is_empty() {
        return vec![finding(
            "reach",
            Verdict::Ok,
            "the dependency steps download nothing",
        )];
    }
    let ca_passed = results.iter().any(|r| r["trust"] == WITH_CA_SECRET);
    let proxy_given = build_flags
        .iter()
        .any(|f| f.to_lowercase().contains("proxy"));
    let mut urls: Vec<&str> = Vec::new();
    for r in &results {
        if let Some(url) = r["url"].as_str() {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
    }
    urls.into_iter()
        .map(|url| {
            let pass = |trust: &str| {
                results
                    .iter()
                    .find(|r| r["url"] == url && r["trust"] == trust)
            };
            let roots = pass(IMAGE_ROOTS);
            let with_ca = pass(WITH_CA_SECRET);
            let decisive = with_ca.or(roots).expect("every URL has a pass");
            let mut text = format!("{url}: {}", outcome(decisive));
            if let (Some(roots), Some(_)) = (roots, with_ca) {
                text.push_str(&format!(
                    "; with the image's roots only: {}",
                    outcome(roots)
                ));
            }
            let verdict = verdict(decisive);
            let found = finding("reach", verdict, text);
            if verdict == Verdict::Ok {
                return found;
            }
            found.fix(fix_for(decisive, ca_secret, ca_passed, proxy_given))
        })
        .collect()
}

fn outcome(result: &Value) -> String {
    let via = match result["via"].as_str() {
        Some(proxy) if !proxy.is_empty() => format!(" via {proxy}"),
        _ => String::new(),
    };
    let tool = result["tool"].as_str().unwrap_or("no client");
    match result["failed_at"].as_str() {
        None => match result["status"].as_u64() {
            Some(status) => format!("HTTP {status}{via} ({tool})"),
            None => format!(
                "{}{via} ({tool})",
                result["detail"].as_str().unwrap_or("reached")
            ),
        },
        Some("untested") => format!("not tried: {}", result["detail"].as_str().unwrap_or("")),
        Some(stage) => format!(
            "{} failed{via}: {} ({tool})",
            stage.to_uppercase(),
            result["detail"].as_str().unwrap_or("")
        ),
    }
}

fn verdict(result: &Value) -> Verdict {
    match result["failed_at"].as_str() {
        Some("untested") => Verdict::Warn,
        Some(_) => Verdict::Fail,
        None => match result["status"].as_u64() {
            Some(407) | Some(500..) => Verdict::Fail,
            _ => Verdict::Ok,
        },
    }
}

fn fix_for(result: &Value, ca_secret: &str, ca_passed: bool, proxy_given: bool) -> String {
    let detail = result["detail"].as_str().unwrap_or("");
    match result["failed_at"].as_str() {
        Some("dns") if !proxy_given => "the build container cannot resolve the host: give the \
            engine a DNS server that can (daemon.json `dns`), or reach it through a proxy \
            (`proxy.https` in the spec, or --build-arg HTTPS_PROXY=…)"
            .to_string(),
        Some("dns") => "the proxy's host name does not resolve: check the proxy URL".to_string(),
        Some("connect") => "nothing answers there: check the proxy URL (`proxy.https`, \
            --build-arg HTTPS_PROXY), the firewall, or `network.deps`"
            .to_string(),
        Some("proxy") => "the proxy refused the tunnel: ask for the host to be allowed, or \
            check the proxy's credentials (a netrc under `secrets`)"
            .to_string(),
        Some("tls") if detail.contains("not trusted") && ca_passed => format!(
            "the CA bundle passed as --secret id={ca_secret} does not sign this host's \
             certificate: pass the bundle of the proxy or registry that serves it"
        ),
        Some("tls") if detail.contains("not trusted") => format!(
            "a proxy or registry with a private CA serves this host: pass its CA bundle, \
             `--secret id={ca_secret},src=corp-ca.pem` (to the build too; it never enters a layer)"
        ),
        Some("tls") => {
            "the TLS handshake failed: check that the URL's port speaks HTTPS".to_string()
        }
        Some("untested") => "the dependency stage's image has no client to try the URL with; \
            the build's own download step will be the test"
            .to_string(),
        _ if result["status"] == 407 => {
            "the proxy wants credentials: put them in the proxy URL of --build-arg HTTPS_PROXY \
             (build args stay out of the image), not in the spec"
                .to_string()
        }
        _ => "the server answered with an error: check the URL in the spec".to_string(),
    }
}

fn report(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let mark = match f.verdict {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        };
        let mut lines = f.text.lines();
        out.push_str(&format!(
            "{mark}  {:<12}  {}\n",
            f.check,
            lines.next().unwrap_or("")
        ));
        for line in lines {
            out.push_str(&format!("{:20}{line}\n", ""));
        }
        if let (Some(fix), true) = (&f.fix, f.verdict != Verdict::Ok) {
            out.push_str(&format!("{:20}fix: {fix}\n", ""));
        }
    }
    let failed = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .count();
    let warned = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Warn)
        .count();
    out.push_str(&match (failed, warned) {
        (0, 0) => "all checks passed\n".to_string(),
        (0, w) => format!("all checks passed, {w} warning(s)\n"),
        (n, _) => format!("{n} check(s) failed\n"),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(url: &str, trust: &str, failed_at: Option<&str>, detail: &str) -> String {
        serde_json::json!({
            "url": url, "trust": trust, "tool": "python3", "via": null,
            "failed_at": failed_at, "detail": detail, "status": 200,
        })
        .to_string()
    }

    #[test]
    fn an_untrusted_certificate_without_the_ca_secret_fails_with_the_secret_as_fix() {
        let jsonl = line(
            "https://pypi.org/simple/",
            IMAGE_ROOTS,
            Some("tls"),
            "certificate not trusted: self-signed certificate in certificate chain",
        );
        let [found] = reachability(&jsonl, "corp-ca", &[]).try_into().unwrap();
        assert_eq!(found.verdict, Verdict::Fail);
        assert!(found.text.contains("TLS failed"), "{found:?}");
        assert!(
            found.fix.unwrap().contains("--secret id=corp-ca,src="),
            "the fix names the spec's CA secret id"
        );
    }

    #[test]
    fn with_the_ca_secret_its_pass_decides_and_the_roots_only_pass_is_shown() {
        let jsonl = [
            line(
                "https://a/",
                IMAGE_ROOTS,
                Some("tls"),
                "certificate not trusted: x",
            ),
            line("https://a/", WITH_CA_SECRET, None, ""),
        ]
        .join("\n");
        let [found] = reachability(&jsonl, "ca", &[]).try_into().unwrap();
        assert_eq!(found.verdict, Verdict::Ok, "{found:?}");
        assert!(found.text.contains("HTTP 200"), "{found:?}");
        assert!(found.text.contains("roots only: TLS failed"), "{found:?}");
    }

    #[test]
    fn connect_failures_point_at_the_proxy_and_the_report_counts_failures() {
        let jsonl = line("https://a/", IMAGE_ROOTS, Some("connect"), "refused");
        let findings = reachability(&jsonl, "ca", &[]);
        assert!(findings[0].fix.as_deref().unwrap().contains("proxy"));
        let text = report(&findings);
        assert!(text.starts_with("FAIL  reach"), "{text}");
        assert!(text.ends_with("1 check(s) failed\n"), "{text}");
    }

    #[test]
    fn engines_below_the_floor_are_named_by_what_builds() {
        assert_eq!(
            below_floor("28.5.2+dfsg4", "docker", "v0.0.0+unknown"),
            None
        );
        assert_eq!(below_floor("26.1.5+dfsg1", "docker", "v0.13.2"), None);
        assert_eq!(
            below_floor("25.0.3", "docker", "v0.12.5").as_deref(),
            Some("Docker 25.0")
        );
        // A docker-container builder runs its own BuildKit, whatever the daemon is.
        assert_eq!(
            below_floor("20.10.5", "docker-container", "v0.12.5").as_deref(),
            Some("BuildKit v0.12")
        );
        assert_eq!(below_floor("20.10.5", "remote", "v0.25.1"), None);
        assert_eq!(below_floor("24.0.7", "remote", "unknown"), None);
    }

    #[test]
    fn lockfiles_that_do_not_parse_are_named() {
        let dir = std::env::temp_dir().join(format!("strata-doctor-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("package-lock.json"), "{ not json").unwrap();
        std::fs::write(dir.join("go.sum"), "a v1 h1:x\nbroken\n").unwrap();
        std::fs::write(dir.join("Cargo.lock"), "version = 4\n").unwrap();
        let json = parse_lockfile(&dir.join("package-lock.json")).unwrap_err();
        let sum = parse_lockfile(&dir.join("go.sum")).unwrap_err();
        let cargo = parse_lockfile(&dir.join("Cargo.lock"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(cargo, Ok(()));
        assert!(json.starts_with("not JSON"), "{json}");
        assert!(sum.starts_with("line 2"), "{sum}");
    }
}
