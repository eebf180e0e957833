//! The subrequests buildx asks a frontend (`--print` in buildx 0.13, `--call` later): strata's
//! stages and what a build of one reads, answered without building.

mod support;

use support::*;

/// `docker buildx build --print=<request>` on a copy of go-web: (succeeded, stdout + stderr).
fn print(request: &str, extra: &[&str]) -> (bool, String) {
    print_in(&Workspace::copy_of("go-web"), request, extra)
}

fn print_in(ws: &Workspace, request: &str, extra: &[&str]) -> (bool, String) {
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

/// The minor version of the buildx that runs the tests (13 on the floor engine).
fn buildx_minor_version() -> u32 {
    let out = docker(&["buildx", "version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|word| word.trim_start_matches('v').strip_prefix("0."))
        .and_then(|rest| rest.split('.').next()?.parse().ok())
        .expect("buildx names its version")
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
        "build             from stage deps: go build: the 5 packages the binary imports from the \
         standard library and its dependencies; go build . -> go-web"
            .to_string(),
        "runtime (default) from gcr.io/distroless/static-debian13:nonroot: copy go-web binary"
            .to_string(),
    ] {
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn outline_names_the_build_args_the_ca_secret_and_the_base_images_of_a_target() {
    let Some(_engine) = engine() else { return };
    let (ok, out) = print("outline", &["--target", "deps"]);
    assert!(ok, "{out}");
    assert!(out.contains("TARGET:      deps"), "{out}");
    assert!(out.contains("HTTPS_PROXY"), "{out}");
    assert!(out.contains("SOURCE_DATE_EPOCH"), "{out}");
    // Go's mirror args, not another language's, and the base images a named context replaces.
    assert!(
        out.contains("GOPROXY") && !out.contains("PIP_INDEX_URL"),
        "{out}"
    );
    let builder = strata::plan::default_image(strata::plan::ImageRole::GoBuilder);
    assert!(
        out.lines().any(|l| l.starts_with("DESCRIPTION:")
            && l.contains(&format!(
                "base images (--build-context NAME=docker-image://MIRROR): {builder}, "
            ))),
        "the replaceable base images are not listed:\n{out}"
    );
    assert!(
        out.lines().any(|l| l.trim_end() == "ca"),
        "the optional CA secret is not listed:\n{out}"
    );
}

#[test]
fn an_unknown_subrequest_is_refused_with_the_ones_strata_answers() {
    let Some(_engine) = engine() else { return };
    let (ok, out) = print("nonsense", &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("frontend.outline"), "{out}");
    assert!(out.contains("frontend.lint"), "{out}");
}

/// `--call check` (`--print=lint` in buildx 0.13): the spec's problems with its lines, the
/// plan's warnings, or a clean check, without building anything.
#[test]
fn check_answers_with_the_spec_s_problems_and_the_plan_s_warnings() {
    let Some(_engine) = engine() else { return };
    let (ok, out) = print("lint", &[]);
    assert!(ok, "go-web checks clean:\n{out}");
    assert!(!out.contains("WARNING"), "{out}");

    let (ok, out) = print("lint", &["--build-arg", "GOFLAGS=-v"]);
    assert!(
        out.contains("build arg GOFLAGS is not used by strata"),
        "{out}"
    );
    // buildx 0.15 on exits with the answer's status code; 0.13 prints the answer and exits 0.
    assert!(
        ok == (buildx_minor_version() < 15),
        "a warning fails the check, as it does a Dockerfile's:\n{out}"
    );

    let ws = Workspace::copy_of("go-web");
    ws.write(
        "strata.yaml",
        "# syntax=ghcr.io/strata-build/strata:0.1\nversion: 1\nlockfile: go.sum\n",
    );
    let (ok, out) = print_in(&ws, "lint", &[]);
    assert!(ok == (buildx_minor_version() < 15), "{out}");
    assert!(
        out.contains("strata.yaml:3:1: error: unknown key `lockfile`"),
        "{out}"
    );
    assert!(
        !out.contains("go mod download"),
        "nothing was built:\n{out}"
    );
}
