//! Dockerfile.frontend, built whole from source on the engine, makes a frontend image that
//! works as a `# syntax=` image.

mod support;

use support::*;

const FROM_SOURCE: &str = "strata-test/frontend-from-source:latest";

#[test]
fn dockerfile_frontend_builds_a_working_syntax_image() {
    let Some(_engine) = engine() else { return };
    let root = repo_root();
    let out = std::process::Command::new("docker")
        .args(["build", "-f", "Dockerfile.frontend", "-t", FROM_SOURCE])
        // crates.io is reached through a TLS-intercepting proxy here; its CA travels as a
        // build secret and never enters a layer.
        .args(["--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt"])
        .arg(".")
        .current_dir(&root)
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "Dockerfile.frontend failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size: u64 = docker_ok(&["image", "inspect", "--format", "{{.Size}}", FROM_SOURCE])
        .parse()
        .unwrap();
    assert!(size < 5 * 1024 * 1024, "frontend image is {size} bytes");

    let ws = Workspace::copy_of("go-web");
    let spec = ws.read("strata.yaml");
    let rest = spec
        .split_once('\n')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    ws.write("strata.yaml", &format!("# syntax={FROM_SOURCE}\n{rest}"));
    let build = buildx(&ws, &[]);
    build.assert_success();
    assert!(
        build
            .vertices
            .iter()
            .any(|v| v.name.starts_with("[strata build] go build")),
        "{}",
        build.summary()
    );
}
