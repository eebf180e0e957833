//! The Python slice on the real engine: uv and pip projects built with the strata frontend,
//! with PyPI reached through the egress proxy whose CA travels as a build secret.

mod support;

use support::*;

/// The host bundle holds the egress proxy's CA and the public roots; the images hold neither
/// the proxy's CA nor a way to add it without a secret.
const CA_SECRET: [&str; 2] = ["--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt"];

fn build_with_ca(ws: &Workspace, extra: &[&str]) -> Build {
    let mut args = CA_SECRET.to_vec();
    args.extend_from_slice(extra);
    buildx(ws, &args)
}

#[test]
fn uv_project_builds_and_runs_its_script() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("python-uv");
    let tag = "strata-test/python-uv:runs";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    let out = docker_ok(&["run", "--rm", tag, "Ada"]);
    assert!(out.contains("hello, Ada"), "{out}");
    assert!(out.contains("123.5 MB"), "humanize did not format: {out}");
}

#[test]
fn pip_project_builds_and_runs_its_app_py() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("python-pip");
    let tag = "strata-test/python-pip:runs";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    assert_eq!(
        docker_ok(&["run", "--rm", tag]),
        "hello from python-pip: 5 years, 2 months"
    );
}

#[test]
fn poetry_project_builds_from_its_lockfile_without_dev_dependencies() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("python-poetry");
    let tag = "strata-test/python-poetry:runs";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    let out = docker_ok(&["run", "--rm", tag, "2020-01-15", "2025-03-20"]);
    assert!(out.contains("5 years, 2 months"), "{out}");
    // pytest is locked in the dev group: the export takes the main group only.
    let dev = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "python",
        tag,
        "-c",
        "import pytest",
    ]);
    assert!(!dev.status.success(), "a dev dependency reached the image");
}

#[test]
fn a_pyproject_without_lockfile_builds_with_a_warning() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("python-uv");
    std::fs::remove_file(ws.path("uv.lock")).expect("the example has uv.lock");
    let tag = "strata-test/python-uv:unpinned";
    let (ok, text) = buildx_plain(&ws, &[CA_SECRET[0], CA_SECRET[1], "--load", "-t", tag]);
    assert!(ok, "{text}");
    assert!(
        warning_shown(
            &text,
            "pyproject.toml: no lockfile, so the dependency layer cannot be pinned"
        ),
        "the warning is not shown:\n{text}"
    );
    let out = docker_ok(&["run", "--rm", tag, "Ada"]);
    assert!(out.contains("hello, Ada"), "{out}");
}

#[test]
fn source_change_reruns_no_dependency_step() {
    let Some(_engine) = engine() else { return };
    for (example, source, install) in [
        (
            "python-uv",
            "src/greet/cli.py",
            "uv sync --no-install-project",
        ),
        ("python-pip", "app.py", "pip install"),
        ("python-poetry", "src/stamp/cli.py", "poetry export"),
    ] {
        let ws = Workspace::copy_of(example);
        build_with_ca(&ws, &[]).assert_success();

        ws.append(source, &format!("\n# edited {}\n", unique_token()));
        let build = build_with_ca(&ws, &[]);
        build.assert_success();
        let deps = build.vertex(install);
        assert!(
            deps.cached && !deps.executed(),
            "{example}: the dependency step re-ran:\n{}",
            build.summary()
        );
        assert!(
            build
                .vertex("[strata build] copy the app's files")
                .executed(),
            "{example}: the new source did not reach the image:\n{}",
            build.summary()
        );
    }
}

#[test]
fn readme_and_test_changes_execute_nothing() {
    let Some(_engine) = engine() else { return };
    for example in ["python-uv", "python-pip", "python-poetry"] {
        let ws = Workspace::copy_of(example);
        build_with_ca(&ws, &[]).assert_success();

        let token = unique_token();
        ws.append("README.md", &format!("\nedited {token}\n"));
        ws.append("tests/test_cli.py", &format!("\n# edited {token}\n"));
        let build = build_with_ca(&ws, &[]);
        build.assert_success();
        assert!(
            build.executed_steps().is_empty(),
            "{example}: a README/tests edit ran steps:\n{}",
            build.summary()
        );
    }
}

/// One dependency added to each example's lockfile (for uv and Poetry a real re-lock, kept in
/// tests/fixtures), with a comment unique to this run so no earlier build can answer it.
#[test]
fn lockfile_change_reruns_the_dependency_step() {
    let Some(_engine) = engine() else { return };
    for (example, fixture, lockfile, install, module) in [
        (
            "python-pip",
            None,
            "requirements.txt",
            "pip install",
            "tabulate",
        ),
        (
            "python-uv",
            Some("python-uv-plus-six"),
            "uv.lock",
            "uv sync --no-install-project",
            "six",
        ),
        (
            "python-poetry",
            Some("python-poetry-plus-humanize"),
            "poetry.lock",
            "poetry export",
            "humanize",
        ),
    ] {
        let ws = Workspace::copy_of(example);
        let tag = format!("strata-test/{example}:more-deps");
        build_with_ca(&ws, &[]).assert_success();

        match fixture {
            Some(fixture) => {
                for file in ["pyproject.toml", lockfile] {
                    let path = repo_root().join("tests/fixtures").join(fixture).join(file);
                    ws.write(file, &std::fs::read_to_string(path).unwrap());
                }
            }
            None => ws.append(lockfile, "tabulate==0.9.0\n"),
        }
        ws.append(lockfile, &format!("# run {}\n", unique_token()));
        let build = build_with_ca(&ws, &["--load", "-t", &tag]);
        build.assert_success();
        assert!(
            build.vertex(install).executed(),
            "{example}: the dependency step did not re-run:\n{}",
            build.summary()
        );
        docker_ok(&[
            "run",
            "--rm",
            "--entrypoint",
            "python",
            &tag,
            "-c",
            &format!("import {module}"),
        ]);
    }
}

#[test]
fn runtime_runs_as_65532_with_the_venv_on_path() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("python-uv");
    let tag = "strata-test/python-uv:nonroot";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();

    let user = docker_ok(&["image", "inspect", "--format", "{{.Config.User}}", tag]);
    assert_eq!(user, "65532:65532");
    let seen = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "python",
        tag,
        "-c",
        "import os, sys; print(os.getuid(), os.getgid(), sys.prefix)",
    ]);
    assert_eq!(seen, "65532 65532 /app/.venv");

    // The runtime takes the install steps' layers as they are: they must hold /app and nothing
    // else (no mount point, cache or lock file of the build).
    let base = image_paths("python:3.14-slim-trixie");
    let added: Vec<String> = image_paths(tag)
        .into_iter()
        .filter(|path| !base.contains(path) && !path.starts_with("app/"))
        .collect();
    assert!(
        added.is_empty(),
        "the build left files outside /app: {added:?}"
    );
}

#[test]
fn the_ca_is_needed_for_pypi_and_never_lands_in_a_layer() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("python-uv");
    // --no-cache also starts the uv cache mount empty (a cache id is not part of the step's
    // cache key, so a fresh namespace would not do): the step must really download.
    let without = buildx(&ws, &["--no-cache"]);
    assert!(
        !without.success,
        "PyPI answered without the CA: the test proves nothing"
    );
    assert!(
        without.errors().contains("uv sync --no-install-project"),
        "{}",
        without.errors()
    );
    // rawjson carries step logs base64-encoded; plain progress shows uv's reason as text.
    let plain = std::process::Command::new("docker")
        .args(["buildx", "build", "--progress=plain", "--no-cache"])
        .args(frontend_under_test())
        .arg("-f")
        .arg(ws.path("strata.yaml"))
        .arg(&ws.dir)
        .output()
        .expect("docker runs");
    let log = String::from_utf8_lossy(&plain.stderr);
    assert!(
        log.contains("invalid peer certificate: UnknownIssuer"),
        "failed for another reason than the proxy's certificate:\n{log}"
    );
    assert!(
        log.contains("strata: [strata deps] uv sync --no-install-project (pyproject.toml, uv.lock) failed: a TLS certificate was not trusted")
            && log.contains("--secret id=ca,src="),
        "no strata hint naming the step and the CA secret:\n{log}"
    );
    assert_eq!(
        failed_process(&log).as_deref(),
        Some("/.strata-step uv sync --frozen --no-install-project --no-dev"),
        "the failed process is not the step's command:\n{log}"
    );

    build_with_ca(&ws, &["--no-cache"]).assert_success();
    for stage in ["deps", "build"] {
        let stage_tag = format!("strata-test/python-uv:ca-{stage}");
        build_with_ca(&ws, &["--target", stage, "--load", "-t", &stage_tag]).assert_success();
        let found = docker(&[
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            &stage_tag,
            "-c",
            "ls /run/strata-ca /run/strata-trust/ca-bundle.pem",
        ]);
        assert!(
            String::from_utf8_lossy(&found.stdout).trim().is_empty(),
            "a CA file is in the {stage} stage's filesystem"
        );
    }
}

/// A company image already trusts its proxy; the build adds one more CA (for, say, a private
/// registry) with the secret. strata merges the secret with the image's own roots, so PyPI
/// through the proxy stays trusted: with the same secret on the stand-in builder, which does not
/// trust the proxy, the download fails — the secret alone was never enough. uv is the witness:
/// it trusts exactly the SSL_CERT_FILE it is given (pip also asks the system store, so it would
/// pass either way).
#[test]
fn the_ca_secret_is_added_to_the_image_roots_not_put_in_their_place() {
    let Some(_engine) = engine() else { return };
    let dir = Workspace::empty("corp-builder");
    dir.write("egress.pem", &egress_ca_pem());
    // Made from the default builder: the runtime strata picks must have the same Python.
    let official = strata::plan::default_image(strata::plan::ImageRole::PythonBuilder);
    dir.write(
        "Dockerfile",
        &format!(
            "FROM {official}\n\
             COPY egress.pem /usr/local/share/strata-test-egress.pem\n\
             RUN cat /usr/local/share/strata-test-egress.pem >> /etc/ssl/certs/ca-certificates.crt\n"
        ),
    );
    let corp_builder = "strata-test/python-builder-trusts-the-proxy:merge";
    docker_ok(&["build", "-q", "-t", corp_builder, dir.dir.to_str().unwrap()]);
    // Any one public root that is not the proxy's: the "private registry" CA of the story.
    let other_ca = "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt";
    assert!(
        std::path::Path::new(other_ca).exists(),
        "{other_ca} is missing"
    );
    let secret = format!("id=ca,src={other_ca}");
    // Every step runs, from empty caches: uv's cache would otherwise answer without TLS.
    let ws = Workspace::copy_with_fresh_caches("python-uv");
    ws.append(
        "strata.yaml",
        &format!("images:\n  builder: {corp_builder}\n"),
    );
    let tag = "strata-test/python-uv:merged-ca";
    buildx(
        &ws,
        &["--secret", &secret, "--no-cache", "--load", "-t", tag],
    )
    .assert_success();
    let out = docker_ok(&["run", "--rm", tag, "Ada"]);
    assert!(out.contains("hello, Ada"), "{out}");

    let ws = Workspace::copy_with_fresh_caches("python-uv");
    let (ok, log) = buildx_plain(&ws, &["--secret", &secret, "--no-cache"]);
    assert!(!ok, "the stand-in builder does not trust the proxy:\n{log}");
    assert!(
        log.contains("a TLS certificate was not trusted"),
        "no TLS hint:\n{log}"
    );
}
