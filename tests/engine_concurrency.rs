//! Builds that overlap and builds that are interrupted: cache mounts shared between parallel
//! builds (sharing modes chosen per package manager) never corrupt a cache or a result, and a
//! build stopped mid-download leaves nothing that breaks the next one.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

const CA_SECRET: &str = "id=ca,src=/etc/ssl/certs/ca-certificates.crt";

/// A copy of `example` whose cache mounts live in a namespace no earlier build used, so the
/// steps that run start from empty caches.
fn fresh_namespace_copy(example: &str, namespace: &str) -> Workspace {
    let ws = Workspace::copy_of(example);
    ws.use_cache_namespace(namespace);
    ws
}

fn build_command(ws: &Workspace, tag: &str) -> Command {
    let mut command = buildx_command("plain");
    command
        .args(frontend_under_test())
        .args(["--secret", CA_SECRET, "--load", "-t", tag, "-f"])
        .arg(ws.path("strata.yaml"))
        .arg(&ws.dir);
    command
}

fn layers(tag: &str) -> String {
    docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .RootFS.Layers}}",
        tag,
    ])
}

#[test]
fn four_parallel_builds_sharing_cache_mounts_all_succeed_and_agree() {
    let Some(_engine) = engine() else { return };
    let namespace = format!("parallel-{}", unique_token().to_lowercase());
    let builds: Vec<(Workspace, String)> = ["go-web", "go-web", "python-uv", "python-uv"]
        .iter()
        .enumerate()
        .map(|(i, example)| {
            (
                fresh_namespace_copy(example, &namespace),
                format!("strata-test/parallel:{example}-{i}"),
            )
        })
        .collect();
    let children: Vec<_> = builds
        .iter()
        .map(|(ws, tag)| {
            // --no-cache: every step runs (a cache mount's id is not part of a step's cache
            // key, so a fresh namespace alone would let earlier results answer).
            build_command(ws, tag)
                .arg("--no-cache")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("docker runs")
        })
        .collect();
    for (child, (_, tag)) in children.into_iter().zip(&builds) {
        let out = child.wait_with_output().expect("the build ends");
        assert!(
            out.status.success(),
            "{tag} failed beside three others:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(layers(&builds[0].1), layers(&builds[1].1), "go-web differs");
    assert_eq!(
        layers(&builds[2].1),
        layers(&builds[3].1),
        "python-uv differs"
    );
    let out = docker_ok(&["run", "--rm", &builds[3].1, "Ada"]);
    assert!(out.contains("hello, Ada"), "{out}");
}

#[test]
fn a_build_interrupted_mid_download_rebuilds_cleanly() {
    let Some(_engine) = engine() else { return };
    let password = format!("interrupt-{}", unique_token());
    // The index stalls the wheel download for a minute: the dependency step is certainly still
    // downloading when buildx is interrupted.
    let stalling = PrivateIndex::start("strata", &password, 60);
    let namespace = format!("sigint-{}", unique_token().to_lowercase());
    let ws = fresh_namespace_copy("python-pip", &namespace);
    ws.write("requirements.txt", "strata-private-greeting==1.0.0\n");
    ws.write(
        "app.py",
        "from strata_private_greeting import MESSAGE\n\nprint(MESSAGE)\n",
    );
    ws.append(
        "strata.yaml",
        &format!(
            "network:\n  deps: host\npython:\n  index: http://127.0.0.1:{}/simple/\n\
             secrets:\n  - id: netrc\n    target: /root/.netrc\n",
            stalling.port
        ),
    );
    // Kept outside the build context, where a user keeps it.
    let home = Workspace::empty("netrc-home");
    home.write(
        "netrc",
        &format!("machine 127.0.0.1 login strata password {password}\n"),
    );
    let netrc = format!("id=netrc,src={}", home.path("netrc").display());
    let tag = "strata-test/interrupted:python-pip";
    let mut child = build_command(&ws, tag)
        .args(["--secret", &netrc])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker runs");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        // pip names the package when it starts fetching it; the stalled wheel comes next.
        let downloading = line.contains("Collecting strata-private-greeting");
        seen.push(line);
        if downloading {
            break;
        }
    }
    assert!(
        seen.last().is_some_and(|l| l.contains("Collecting")),
        "the download never started:\n{}",
        seen.join("\n")
    );
    // Into the stalled download.
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    let pid = child.id().to_string();
    let interrupted = Command::new("kill").args(["-INT", &pid]).status();
    assert!(interrupted.is_ok_and(|s| s.success()), "kill -INT failed");
    let status = child.wait().expect("buildx exits after SIGINT");
    assert!(!status.success(), "the interrupted build reported success");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "buildx took {:?} to stop: the interrupt did not cancel the step",
        started.elapsed()
    );
    drop(stalling);

    let index = PrivateIndex::start("strata", &password, 0);
    let spec = ws.read("strata.yaml");
    let old_port = spec
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the spec names the index port")
        .to_string();
    ws.write(
        "strata.yaml",
        &spec.replace(&old_port, &index.port.to_string()),
    );
    let again = build_command(&ws, tag)
        .args(["--secret", &netrc])
        .output()
        .expect("docker runs");
    assert!(
        again.status.success(),
        "the build after the interrupt failed:\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        docker_ok(&["run", "--rm", tag]),
        "hello from the private index"
    );
}
