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

    go_web_builds_with(FROM_SOURCE);
}

/// examples/go-web builds with `image` as its frontend (the last BUILDKIT_SYNTAX wins).
fn go_web_builds_with(image: &str) {
    let ws = Workspace::copy_of("go-web");
    let build = buildx(&ws, &["--build-arg", &format!("BUILDKIT_SYNTAX={image}")]);
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

/// strata builds its own frontend image from the repository's strata.yaml (static binary on
/// scratch, the subrequests capability label), and that image then works as a `# syntax=` image.
#[test]
fn strata_yaml_builds_a_working_frontend_image_of_strata_itself() {
    const SELF_BUILT: &str = "strata-test/frontend-self-built:latest";
    let Some(_engine) = engine() else { return };
    let root = repo_root();
    let spec = std::fs::read_to_string(root.join("strata.yaml")).unwrap();
    let rest = spec
        .split_once('\n')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    // The spec is passed as a separate file so the frontend under test is named on its first
    // line; the context is the repository itself.
    let spec_dir = root.join("target/engine-tests/self-built");
    std::fs::create_dir_all(&spec_dir).unwrap();
    let spec_path = spec_dir.join("strata.yaml");
    std::fs::write(&spec_path, format!("# syntax={}\n{rest}", frontend_image())).unwrap();
    let started = std::time::Instant::now();
    let out = std::process::Command::new("docker")
        .args(["buildx", "build", "--load", "-t", SELF_BUILT])
        .args(["--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt"])
        .arg("-f")
        .arg(&spec_path)
        .arg(".")
        .current_dir(&root)
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "strata.yaml failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("self-build took {:.1} s", started.elapsed().as_secs_f64());
    let label = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{index .Config.Labels \"moby.buildkit.frontend.caps\"}}",
        SELF_BUILT,
    ]);
    assert_eq!(
        label,
        "moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
    );

    go_web_builds_with(SELF_BUILT);
}
