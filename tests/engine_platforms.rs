//! Several platforms in one build: Go cross-compiles natively on the engine's platform (no
//! emulation), the result is an image index with one image per platform, and the arm64 binary
//! is a real aarch64 program (run here under qemu-user from `scripts/testbed tools`). Python,
//! Node and Rust run their stages on the target's images under QEMU instead.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::*;

/// The JSON blob `digest` of an unpacked OCI layout.
fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    let path = layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_blob(layout: &Path, digest: &str) -> Value {
    serde_json::from_slice(&blob(layout, digest)).expect("an OCI blob of JSON")
}

#[test]
fn go_builds_amd64_and_arm64_in_one_build_without_emulation() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    ws.append("main.go", &format!("\n// platforms {}\n", unique_token()));
    let tarball = ws.path("multi.tar");
    let output = format!("type=oci,dest={}", tarball.display());
    let build = buildx(
        &ws,
        &["--platform", "linux/amd64,linux/arm64", "--output", &output],
    );
    build.assert_success();
    // The download is the same for every target and runs on the engine's platform: once.
    let downloads = build
        .vertices
        .iter()
        .filter(|v| v.is_step() && v.name.contains("go mod download") && v.executed())
        .count();
    assert!(downloads <= 1, "the dependency step ran {downloads} times");
    let compiles = build
        .vertices
        .iter()
        // The binary's compile, not the imported packages' (those compile once per platform
        // too, but only when no earlier build compiled them).
        .filter(|v| v.name.contains("go build .") && v.executed())
        .count();
    assert_eq!(
        compiles,
        2,
        "one compile per platform:\n{}",
        build.summary()
    );

    let layout = ws.path("layout");
    std::fs::create_dir_all(&layout).unwrap();
    let untar = Command::new("tar")
        .arg("-C")
        .arg(&layout)
        .arg("-xf")
        .arg(&tarball)
        .status()
        .expect("tar runs");
    assert!(untar.success());
    let top: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap())
        .expect("index.json");
    let index = json_blob(&layout, top["manifests"][0]["digest"].as_str().unwrap());
    let images: Vec<&Value> = index["manifests"]
        .as_array()
        .expect("an image index")
        .iter()
        .filter(|m| m["platform"]["os"] == "linux")
        .collect();
    let architectures: Vec<&str> = images
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(architectures, ["amd64", "arm64"], "{index}");

    let arm = json_blob(&layout, images[1]["digest"].as_str().unwrap());
    let config = json_blob(&layout, arm["config"]["digest"].as_str().unwrap());
    assert_eq!(config["architecture"], "arm64");
    assert_eq!(config["config"]["User"], "65532:65532");
    let mut binary = None;
    for layer in arm["layers"].as_array().unwrap() {
        let path = layout.join("blobs/sha256").join(
            layer["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:"),
        );
        let listed = Command::new("tar").arg("-tzf").arg(&path).output().unwrap();
        if String::from_utf8_lossy(&listed.stdout)
            .lines()
            .any(|l| l == "app/go-web")
        {
            let out = Command::new("tar")
                .arg("-xzOf")
                .arg(&path)
                .arg("app/go-web")
                .output()
                .unwrap();
            binary = Some(out.stdout);
        }
    }
    let binary = binary.expect("the arm64 image has /app/go-web");
    // ELF, 64-bit, e_machine 0xB7 (AArch64).
    assert_eq!(&binary[..5], b"\x7fELF\x02");
    assert_eq!(&binary[18..20], &[0xB7, 0x00], "not an aarch64 binary");

    let program = ws.path("go-web-arm64");
    std::fs::write(&program, &binary).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A network namespace of its own: the server's :8080 cannot clash with anything here.
    let ran = Command::new("unshare")
        .args(["-n", "timeout", "3", "qemu-aarch64-static"])
        .arg(&program)
        .output()
        .expect("unshare and qemu-aarch64-static run");
    let said = String::from_utf8_lossy(&ran.stderr);
    assert!(
        said.contains("go-web listening on :8080"),
        "the arm64 binary did not start under qemu ({}): {said}",
        ran.status
    );
}

/// Python, Node and Rust have no cross-compiler on their builder images: every stage runs on
/// the target platform's own images, arm64 programs under QEMU (binfmt, from `scripts/testbed
/// tools`), slowly but for real. Each arm64 image then runs its app under QEMU too.
#[test]
fn python_node_and_rust_build_arm64_under_emulation() {
    let Some(_engine) = engine() else { return };
    const CA_SECRET: [&str; 2] = ["--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt"];
    // (example, command run in the arm64 image, what it must print)
    let cases: [(&str, &[&str], &str); 3] = [
        ("python-uv", &["Ada"], "hello, Ada"),
        (
            "node-npm",
            &[
                "node",
                "-e",
                "require('express'); console.log('express on ' + process.arch)",
            ],
            "express on arm64",
        ),
        (
            "rust-workspace",
            &["Ada"],
            "hello, Ada: 1234 greetings so far",
        ),
    ];
    for (example, command, expected) in cases {
        let ws = Workspace::copy_of(example);
        let tag = format!(
            "strata-test/{example}-multi:{}",
            unique_token().to_lowercase()
        );
        let output = format!("type=image,name={tag}");
        let mut args = CA_SECRET.to_vec();
        args.extend(["--platform", "linux/amd64,linux/arm64", "--output", &output]);
        let build = buildx(&ws, &args);
        build.assert_success();
        let mut run = vec!["run", "--rm", "--platform", "linux/arm64"];
        if command.first() == Some(&"node") {
            run.extend(["--entrypoint", "node", &tag]);
            run.extend(&command[1..]);
        } else {
            run.push(&tag);
            run.extend(command);
        }
        let out = docker_ok(&run);
        assert!(out.contains(expected), "{example} (arm64): {out}");
        // One image per platform under the tag, each of its own architecture.
        let machine = |platform: &str| {
            let out = docker_ok(&[
                "run",
                "--rm",
                "--platform",
                platform,
                "--entrypoint",
                "uname",
                &tag,
                "-m",
            ]);
            out.trim().to_string()
        };
        assert_eq!(machine("linux/arm64"), "aarch64", "{example}");
        assert_eq!(machine("linux/amd64"), "x86_64", "{example}");
        docker(&["image", "rm", &tag]);
    }
}
