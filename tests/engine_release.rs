//! A release as users meet it: `make release` against the testbed's registry gives one index
//! for linux/amd64 and linux/arm64 under the x.y.z, x.y and x tags, reproducibly; the CLI
//! binaries beside it run; and with no local copy of the frontend, a spec whose `# syntax=`
//! names the registry image (by tag, then by digest) makes the engine pull it and build.

mod support;

use std::collections::BTreeMap;
use std::process::Command;

use support::*;

const REGISTRY: &str = "127.0.0.1:5000/strata-release-test";

/// `make release REGISTRY=…` into `dist`; returns its release.env.
fn release(dist: &std::path::Path) -> BTreeMap<String, String> {
    let out = Command::new("make")
        .args(["--no-print-directory", "release"])
        .arg(format!("REGISTRY={REGISTRY}"))
        .env("DIST_DIR", dist)
        // crates.io is reached through a TLS-intercepting proxy here.
        .env("CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
        .current_dir(repo_root())
        .output()
        .expect("make runs");
    assert!(
        out.status.success(),
        "make release failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dist.join("release.env"))
        .expect("release.env")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

/// Builds go-web with `syntax` as its spec's first line and no frontend switch: what a user's
/// build does. Returns (succeeded, plain progress).
fn build_go_web_naming(syntax: &str, tag: &str) -> (bool, String) {
    let ws = Workspace::copy_of("go-web");
    let spec = ws.read("strata.yaml");
    let rest = spec.split_once('\n').map(|(_, r)| r).unwrap_or_default();
    ws.write("strata.yaml", &format!("# syntax={syntax}\n{rest}"));
    let out = buildx_command("plain")
        .args(["--load", "-t", tag, "-f"])
        .arg(ws.path("strata.yaml"))
        .arg(&ws.dir)
        .output()
        .expect("docker runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_release_is_one_reproducible_index_that_the_engine_pulls_as_a_frontend() {
    let Some(_engine) = engine() else { return };
    let dist = repo_root().join("target/engine-tests/release-dist");
    let first = release(&dist);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(first["VERSION"], version);
    let image = format!("{REGISTRY}/strata");
    assert_eq!(first["IMAGE"], image);
    let digest = first["DIGEST"].clone();
    assert!(digest.starts_with("sha256:"), "{first:?}");

    // Every tag names the same index, which holds both platforms.
    let compatible = strata::spec::compatible_tag(version);
    let major = version.split('.').next().unwrap();
    let minor_line = version.rsplit_once('.').unwrap().0;
    for tag in [version, minor_line, major] {
        let raw = docker_ok(&[
            "buildx",
            "imagetools",
            "inspect",
            "--raw",
            &format!("{image}:{tag}"),
        ]);
        let index: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let platforms: Vec<String> = index["manifests"]
            .as_array()
            .expect("an index")
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m["platform"]["os"].as_str().unwrap_or(""),
                    m["platform"]["architecture"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(platforms, ["linux/amd64", "linux/arm64"], "{image}:{tag}");
        let pinned = docker_ok(&[
            "buildx",
            "imagetools",
            "inspect",
            "--raw",
            &format!("{image}@{digest}"),
        ]);
        assert_eq!(raw, pinned, "{image}:{tag} is not {digest}");
    }

    // Each platform's image runs its CLI (arm64 under QEMU) and says the version its label says.
    for platform in ["linux/amd64", "linux/arm64"] {
        let reference = format!("{image}:{version}");
        let said = docker_ok(&[
            "run",
            "--rm",
            "--pull",
            "always",
            "--platform",
            platform,
            "--entrypoint",
            "/strata",
            &reference,
            "--version",
        ]);
        assert_eq!(said, format!("strata {version}"), "{platform}");
        let label = docker_ok(&[
            "image",
            "inspect",
            "--platform",
            platform,
            "--format",
            "{{index .Config.Labels \"org.opencontainers.image.version\"}}",
            &reference,
        ]);
        assert_eq!(label, version, "{platform}");
    }

    // The binaries: checksums hold, both run, and init names this release's image.
    let sums = Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(
        sums.status.success(),
        "{}",
        String::from_utf8_lossy(&sums.stdout)
    );
    for arch in ["amd64", "arm64"] {
        let binary = dist.join(format!("strata-{version}-linux-{arch}"));
        let out = Command::new(&binary)
            .arg("--version")
            .output()
            .expect("the binary runs (arm64 through binfmt)");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("strata {version}"),
            "{arch}"
        );
    }
    let project = Workspace::copy_of("go-web");
    std::fs::remove_file(project.path("strata.yaml")).unwrap();
    let init = Command::new(dist.join(format!("strata-{version}-linux-amd64")))
        .args(["init", "--print"])
        .arg(&project.dir)
        .output()
        .unwrap();
    let spec = String::from_utf8_lossy(&init.stdout);
    assert_eq!(
        spec.lines().next(),
        Some(format!("# syntax={image}:{compatible}").as_str()),
        "{spec}"
    );

    // Reproducible: the same commit released again is the same digest.
    let second = release(&dist);
    assert_eq!(
        second["DIGEST"], digest,
        "a second release of the same tree"
    );

    // No local copy of the frontend: the engine pulls it, by tag and then by digest.
    for tag in [version, minor_line, major] {
        let _ = docker(&["image", "rm", &format!("{image}:{tag}")]);
    }
    let served = "strata-test/release-pulled:latest";
    for syntax in [format!("{image}:{compatible}"), format!("{image}@{digest}")] {
        assert!(
            !docker(&["image", "inspect", &format!("{image}:{version}")])
                .status
                .success()
        );
        let (built, log) = build_go_web_naming(&syntax, served);
        assert!(built, "{syntax}:\n{log}");
        assert!(
            log.contains(&format!("[strata {version}] list the build context")),
            "{log}"
        );
        let container = Container::run_published(served, 8080);
        let answer = http_get(&container.address(8080), "/");
        assert!(!answer.is_empty(), "{syntax}: no answer");
    }

    // A frontend that does not exist: the build names it, and doctor says what to check.
    let missing = format!("{REGISTRY}/no-such-strata:{compatible}");
    let (built, log) = build_go_web_naming(&missing, served);
    assert!(!built);
    assert!(log.contains(&missing), "{log}");
    let ws = Workspace::copy_of("go-web");
    let spec = ws.read("strata.yaml");
    let rest = spec.split_once('\n').map(|(_, r)| r).unwrap_or_default();
    ws.write("strata.yaml", &format!("# syntax={missing}\n{rest}"));
    let (passed, report) = strata(&[
        "doctor",
        ws.dir.to_str().unwrap(),
        "--allow",
        "network.host",
    ]);
    assert!(!passed, "{report}");
    let line = report
        .lines()
        .find(|l| l.contains(&missing))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(line.starts_with("FAIL"), "{report}");
    assert!(report.contains("check the image name and tag"), "{report}");
}
