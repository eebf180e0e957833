//! The subrequests buildx asks a frontend (`--print` in buildx 0.13, `--call` later): strata's
//! stages and what a build of one reads, answered without building.

mod support;

use support::*;

/// `docker buildx build --print=<request>` on a copy of go-web: (succeeded, stdout + stderr).
fn print(request: &str, extra: &[&str]) -> (bool, String) {
    let ws = Workspace::copy_of("go-web");
    let out = buildx_command("plain")
        .env("BUILDX_EXPERIMENTAL", "1")
        .args(frontend_under_test())
        .arg(format!("--print={request}"))
        .args(extra)
        .arg("-f")
        .arg(ws.path("strata.yaml"))
        .arg(&ws.dir)
        .output()
        .expect("docker runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn targets_lists_the_three_stages_with_runtime_as_default() {
    let Some(_engine) = engine() else { return };
    let (ok, out) = print("targets", &[]);
    assert!(ok, "{out}");
    let builder = strata::plan::default_image(strata::plan::ImageRole::GoBuilder);
    for line in [
        format!(
            "deps              from {builder}: copy go.mod, go.sum; go mod download (go.mod, go.sum)"
        ),
        "build             from stage deps: go build . -> go-web".to_string(),
        "runtime (default) from gcr.io/distroless/static-debian13:nonroot: copy go-web binary"
            .to_string(),
    ] {
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn outline_names_the_build_args_and_the_ca_secret_of_a_target() {
    let Some(_engine) = engine() else { return };
    let (ok, out) = print("outline", &["--target", "deps"]);
    assert!(ok, "{out}");
    assert!(out.contains("TARGET:      deps"), "{out}");
    assert!(out.contains("HTTPS_PROXY"), "{out}");
    assert!(out.contains("SOURCE_DATE_EPOCH"), "{out}");
    assert!(
        out.lines().any(|l| l.trim_end() == "ca"),
        "the optional CA secret is not listed:\n{out}"
    );
}

#[test]
fn an_unknown_subrequest_is_refused_with_the_ones_strata_answers() {
    let Some(_engine) = engine() else { return };
    let (ok, out) = print("lint", &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("frontend.outline"), "{out}");
}
