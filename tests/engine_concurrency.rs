//! Builds that overlap and builds that are interrupted: cache mounts shared between parallel
//! builds (sharing modes chosen per package manager) never corrupt a cache or a result, and a
//! build stopped mid-download leaves nothing that breaks the next one.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

const CA_SECRET: &str = "id=ca,src=/etc/ssl/certs/ca-certificates.crt";

/// A copy of `example` whose cache mounts live in a namespace no earlier build used, so its
/// dependency steps run (the namespace is part of each mount's id, hence of the step) and
/// start from empty caches.
fn fresh_namespace_copy(example: &str, namespace: &str) -> Workspace {
    let ws = Workspace::copy_of(example);
    let spec = ws.read("strata.yaml").replacen(
        &format!("# syntax={EXAMPLE_FRONTEND}"),
        &format!("# syntax={}", frontend_image()),
        1,
    );
    ws.write(
        "strata.yaml",
        &format!("{spec}cache:\n  namespace: {namespace}\n"),
    );
    ws
}

fn build_command(ws: &Workspace, tag: &str) -> Command {
    let mut command = Command::new("docker");
    command
        .args([
            "buildx",
            "build",
            "--progress=plain",
            "--allow",
            "network.host",
        ])
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
            build_command(ws, tag)
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
    let namespace = format!("sigint-{}", unique_token().to_lowercase());
    let ws = fresh_namespace_copy("python-pip", &namespace);
    // A download long enough to interrupt: numpy's wheel is about 16 MB.
    ws.append("requirements.txt", "numpy==2.2.6\n");
    let tag = "strata-test/interrupted:python-pip";
    let mut child = build_command(&ws, tag)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker runs");
    // Wait until the dependency step is running, then interrupt buildx the way Ctrl-C does.
    let stderr = child.stderr.take().expect("stderr is piped");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.expect("buildx writes text");
        let started = line.contains("[strata deps] pip install") && !line.contains("CACHED");
        seen.push(line);
        if started {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dependency step never started:\n{}",
            seen.join("\n")
        );
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().expect("buildx exits after SIGINT");
    assert!(!status.success(), "the interrupted build reported success");

    let again = build_command(&ws, tag).output().expect("docker runs");
    assert!(
        again.status.success(),
        "the build after the interrupt failed:\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        docker_ok(&["run", "--rm", tag]),
        "hello from python-pip: 5 years, 2 months"
    );
}
