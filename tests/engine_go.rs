//! The Go slice on the real engine: `docker buildx build -f strata.yaml` with the strata
//! frontend, asserting from the engine's own progress records what ran and what was cached.

mod support;

use support::*;

fn goproxy_log() -> String {
    std::fs::read_to_string(testbed_cache().join(GOPROXY_LOG)).unwrap_or_default()
}

fn new_log_lines(before: &str) -> String {
    goproxy_log()
        .get(before.len()..)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn go_web_builds_and_answers_http() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    let tag = "strata-test/go-web:answers";
    buildx(&ws, &["--load", "-t", tag]).assert_success();
    let container = Container::run_published(tag, 8080);
    let body = http_get(&container.address(8080), "/");
    assert!(
        body.starts_with("hello from go-web "),
        "unexpected answer: {body}"
    );
    assert_eq!(http_get(&container.address(8080), "/healthz"), "ok\n");
}

#[test]
fn source_change_recompiles_but_keeps_the_dependency_layer() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    buildx(&ws, &[]).assert_success();
    let log_before = goproxy_log();

    ws.append("main.go", &format!("\n// edited {}\n", unique_token()));
    let build = buildx(&ws, &[]);
    build.assert_success();
    assert!(
        build.vertex("go build . ->").executed(),
        "compile did not run:\n{}",
        build.summary()
    );
    let deps = build.vertex("go mod download");
    assert!(
        deps.cached && !deps.executed(),
        "dependency step re-ran:\n{}",
        build.summary()
    );
    assert_eq!(
        new_log_lines(&log_before),
        "",
        "a source-only change downloaded modules"
    );
}

#[test]
fn readme_change_executes_nothing() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    buildx(&ws, &[]).assert_success();

    ws.append("README.md", &format!("\nedited {}\n", unique_token()));
    let build = buildx(&ws, &[]);
    build.assert_success();
    assert!(
        build.executed_steps().is_empty(),
        "a README edit ran steps:\n{}",
        build.summary()
    );
}

#[test]
fn test_file_change_executes_nothing() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    buildx(&ws, &[]).assert_success();

    ws.write(
        "main_test.go",
        &format!(
            "package main\n\n// {}\nimport \"testing\"\n\nfunc TestNothing(t *testing.T) {{}}\n",
            unique_token()
        ),
    );
    let build = buildx(&ws, &[]);
    build.assert_success();
    assert!(
        build.executed_steps().is_empty(),
        "a _test.go edit ran steps:\n{}",
        build.summary()
    );
}

#[test]
fn adding_a_module_reruns_the_dependency_step_and_fetches_only_the_new_one() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    // A go.mod of this run's own, so the first build runs the download itself and leaves the
    // modules in the cache mount (a layer-cache hit would not, and another test's --no-cache
    // build empties the mount).
    ws.append("go.mod", &format!("\n// run {}\n", unique_token()));
    buildx(&ws, &[]).assert_success();
    let log_before = goproxy_log();

    // gorilla/mux is in the testbed's module proxy; its go.sum lines come from the vendored
    // example, which uses it.
    let vendored_sum =
        std::fs::read_to_string(repo_root().join("examples/go-vendored/go.sum")).unwrap();
    let mux_sums: String = vendored_sum
        .lines()
        .filter(|l| l.starts_with("github.com/gorilla/mux "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        !mux_sums.is_empty(),
        "examples/go-vendored/go.sum has no gorilla/mux lines"
    );
    let mux_version = mux_sums
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches("/go.mod")
        .to_string();
    ws.append(
        "go.mod",
        &format!(
            "\nrequire github.com/gorilla/mux {mux_version} // added {}\n",
            unique_token()
        ),
    );
    ws.append("go.sum", &mux_sums);

    let build = buildx(&ws, &[]);
    build.assert_success();
    assert!(
        build.vertex("go mod download").executed(),
        "dependency step did not re-run:\n{}",
        build.summary()
    );
    let fetched = new_log_lines(&log_before);
    for already_had in ["go-chi", "google/uuid"] {
        assert!(
            !fetched
                .lines()
                .any(|l| l.contains(already_had) && l.contains(".zip")),
            "{already_had} was downloaded again:\n{fetched}"
        );
    }
}

#[test]
fn runtime_image_is_small_non_root_and_has_no_shell() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    let tag = "strata-test/go-web:small";
    buildx(&ws, &["--load", "-t", tag]).assert_success();

    let user = docker_ok(&["image", "inspect", "--format", "{{.Config.User}}", tag]);
    assert_eq!(user, "65532:65532");
    let entrypoint = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Entrypoint}}",
        tag,
    ]);
    assert_eq!(entrypoint, r#"["/app/go-web"]"#);
    let shell = docker(&["run", "--rm", "--entrypoint", "/bin/sh", tag, "-c", "true"]);
    assert!(!shell.status.success(), "the runtime image has a shell");

    let out = ws.path("binary-out");
    buildx(
        &ws,
        &[
            "--target",
            "build",
            "--output",
            &format!("type=local,dest={}", out.display()),
        ],
    )
    .assert_success();
    let binary = std::fs::metadata(out.join("go-web"))
        .expect("--target build exports the binary")
        .len();
    let image: u64 = docker_ok(&["image", "inspect", "--format", "{{.Size}}", tag])
        .parse()
        .unwrap();
    eprintln!("binary {binary} bytes, image {image} bytes");
    assert!(
        image <= binary + 3 * 1024 * 1024,
        "image {image} B is more than binary {binary} B + 3 MB"
    );
}

#[test]
fn vendored_modules_build_without_any_download() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-vendored");
    let tag = "strata-test/go-vendored:latest";
    let log_before = goproxy_log();
    let build = buildx(&ws, &["--load", "-t", tag]);
    build.assert_success();
    assert!(
        !build
            .vertices
            .iter()
            .any(|v| v.name.contains("go mod download")),
        "a vendored build has a download step:\n{}",
        build.summary()
    );
    assert_eq!(new_log_lines(&log_before), "");
    let container = Container::run_published(tag, 8080);
    assert_eq!(
        http_get(&container.address(8080), "/"),
        "hello from go-vendored\n"
    );
}

#[test]
fn bad_spec_fails_the_build_with_line_and_column() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    ws.write(
        "strata.yaml",
        "# syntax=ghcr.io/strata-build/strata:0.1\nversion: 1\nlockfile: go.sum\n",
    );
    let build = buildx(&ws, &[]);
    assert!(!build.success, "a bad spec built");
    let errors = build.errors();
    assert!(
        errors.contains("strata.yaml:3:1: error: unknown key `lockfile` in strata.yaml"),
        "the user does not see the located message:\n{errors}"
    );
    assert!(errors.contains("did you mean `lockfiles`?"), "{errors}");
    assert!(!errors.contains("panicked"), "{errors}");

    // The spec goes with the error, so buildx quotes its lines above it, as it does a
    // Dockerfile's.
    let (success, text) = buildx_plain(&ws, &[]);
    assert!(!success);
    assert!(
        marks_spec_line(&text, 3, "lockfile: go.sum"),
        "the offending line is not quoted and marked:\n{text}"
    );
}

/// A dependency step that fails shows the spec line its stage comes from (the `language:` key
/// here), as a failed RUN shows its Dockerfile line, and names the step's own command, not the
/// CA setup and failure reader it runs with.
#[test]
fn a_failed_dependency_step_shows_its_spec_line() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    ws.append("go.mod", "require example.com/not-served v1.0.0\n");
    let (success, text) = buildx_plain(&ws, &["--allow", "network.host"]);
    assert!(
        !success,
        "built with a module the proxy does not serve:\n{text}"
    );
    assert!(
        marks_spec_line(&text, 4, "language: go"),
        "the stage's spec line is not quoted and marked:\n{text}"
    );
    let process = failed_process(&text).unwrap_or_else(|| panic!("no failed process:\n{text}"));
    assert!(
        process.starts_with("/.strata-step go mod download")
            && !process.contains("strata-ca")
            && !process.contains("grep"),
        "the failed process is not the step's command: {process}"
    );
}

#[test]
fn labels_are_set_and_no_cache_runs_every_step_again() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    let tag = "strata-test/go-web:labelled";
    buildx(&ws, &["--load", "-t", tag, "--label", "team=payments"]).assert_success();
    let labels = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        tag,
    ]);
    assert!(labels.contains(r#""team":"payments""#), "{labels}");
    assert!(
        labels.contains(r#""org.opencontainers.image.title":"go-web""#),
        "{labels}"
    );

    let build = buildx(&ws, &["--no-cache"]);
    build.assert_success();
    for step in ["go mod download", "go build"] {
        assert!(
            build.vertex(step).executed(),
            "--no-cache kept `{step}` cached:\n{}",
            build.summary()
        );
    }
}

#[test]
fn an_unknown_target_is_refused_with_the_stage_names() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    let build = buildx(&ws, &["--target", "compile"]);
    assert!(!build.success);
    assert!(
        build
            .output
            .contains("unknown target `compile`: use deps, build or runtime"),
        "{}",
        build.errors()
    );
}

#[test]
fn an_unused_build_arg_is_a_visible_warning() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    let (success, text) = buildx_plain(&ws, &["--build-arg", "GOFLAGS=-v"]);
    assert!(success, "{text}");
    assert!(
        warning_shown(&text, "build arg GOFLAGS is not used by strata"),
        "the warning is not shown:\n{text}"
    );
}

/// A spec naming a lockfile the context lacks fails with one clean error naming it, and the
/// frontend returns: the build is bounded by a timeout that would fail the test if it hung.
#[test]
fn a_missing_lockfile_fails_cleanly_and_never_hangs() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    ws.append("strata.yaml", "lockfiles: [go.mod, go.sum, tools.lock]\n");
    let started = std::time::Instant::now();
    let out = std::process::Command::new("timeout")
        .args(["120", "docker", "buildx", "build", "--progress=plain"])
        .args(frontend_under_test())
        .args(["--allow", "network.host", "-f"])
        .arg(ws.path("strata.yaml"))
        .arg(&ws.dir)
        .output()
        .expect("timeout and docker run");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(124), "the build hung:\n{log}");
    assert!(!out.status.success(), "built without tools.lock:\n{log}");
    assert!(
        log.contains("tools.lock"),
        "the error does not name the file:\n{log}"
    );
    // buildx 0.13 writes `ERROR: failed to solve: …`, 0.29 `ERROR: failed to build: failed to
    // solve: …`: one such line either way.
    assert_eq!(
        log.lines()
            .filter(|l| l.starts_with("ERROR: ") && l.contains("failed to solve: "))
            .count(),
        1,
        "not one clean error:\n{log}"
    );
    eprintln!("refused in {:.1} s", started.elapsed().as_secs_f64());
}

/// Mirrors per environment: go-web's spec, which names no module proxy, gets one from
/// `--build-arg GOPROXY`, as every test build here does. The modules come through that proxy;
/// another GOPROXY value re-runs no step; the value is in no part of the image; and a GOPROXY
/// carrying credentials is refused without being echoed.
#[test]
fn a_goproxy_build_arg_is_used_and_changing_it_rebuilds_nothing() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    assert!(
        !ws.read("strata.yaml").contains("go:"),
        "the example names a proxy"
    );
    ws.use_cache_namespace(&fresh_namespace());
    let proxy = test_goproxy();
    let mirror = |url: &str| {
        [
            "--build-arg".to_string(),
            format!("GOPROXY={url}"),
            "--build-arg".to_string(),
            "GOSUMDB=off".to_string(),
        ]
    };
    let args = |url: &str, extra: &[&str]| -> Vec<String> {
        mirror(url)
            .into_iter()
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };
    let run = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        buildx(&ws, &args)
    };

    let log_before = goproxy_log();
    let tag = "strata-test/go-web:mirror-from-build-arg";
    let first = run(&args(&proxy, &["--no-cache", "--load", "-t", tag]));
    first.assert_success();
    let fetched = new_log_lines(&log_before);
    assert!(
        fetched.contains("github.com/go-chi/chi") && fetched.contains(".zip"),
        "the modules did not come through the build arg's proxy:\n{fetched}"
    );
    let container = Container::run_published(tag, 8080);
    assert_eq!(http_get(&container.address(8080), "/healthz"), "ok\n");

    // The same proxy under another spelling: a new value, the same modules.
    let again = run(&args(&format!("{proxy}/"), &[]));
    again.assert_success();
    assert!(
        again.executed_steps().is_empty(),
        "changing only GOPROXY re-ran steps:\n{}",
        again.summary()
    );

    let address = proxy.trim_start_matches("http://");
    let patterns = leak_patterns(&ws.dir, &[address]);
    assert_eq!(
        scan_image(tag, &patterns),
        None,
        "the build arg's proxy is in the image"
    );

    let canary = format!("canary-{}", unique_token());
    let refused = run(&args(&format!("http://ci:{canary}@{address}"), &[]));
    assert!(!refused.success, "a GOPROXY with credentials was used");
    assert!(
        refused
            .output
            .contains("build arg GOPROXY carries credentials in its URL"),
        "{}",
        refused.errors()
    );
    assert!(
        !refused.output.contains(&canary),
        "the refusal echoed the password:\n{}",
        refused.output
    );
}

/// A base image from a company's registry mirror, the BuildKit way: `--build-context
/// golang:1.27-trixie=docker-image://MIRROR/…` replaces the builder as it replaces a
/// Dockerfile's `FROM`. The mirror here is the builder stand-in pushed to the testbed's
/// registry under another name; the build resolves that name and the image answers. The
/// runtime base then comes from an OCI layout directory (`oci-layout://DIR:TAG`).
#[test]
fn a_named_context_replaces_a_base_image_from_a_mirror_or_an_oci_layout() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    let plan = strata(&["plan", "--json", &ws.dir.display().to_string()]);
    assert!(plan.0, "{}", plan.1);
    let builder = serde_json::from_str::<serde_json::Value>(&plan.1).expect("plan JSON")["stages"]
        [0]["base"]["image"]["reference"]
        .as_str()
        .expect("the deps stage starts from an image")
        .to_string();
    let mirrored = format!("127.0.0.1:5000/strata-mirror-test/{builder}");
    docker_ok(&["tag", &builder, &mirrored]);
    docker_ok(&["push", "-q", &mirrored]);

    let tag = "strata-test/go-web:mirrored-builder";
    let context = format!("{builder}=docker-image://{mirrored}");
    let build = buildx(&ws, &["--build-context", &context, "--load", "-t", tag]);
    build.assert_success();
    assert!(
        build.vertices.iter().any(|v| v
            .name
            .contains(&format!("resolve image config for {mirrored}"))),
        "the mirror's image was not used:\n{}",
        build.summary()
    );
    let container = Container::run_published(tag, 8080);
    assert_eq!(http_get(&container.address(8080), "/healthz"), "ok\n");

    // The runtime base from an OCI layout on the client, as `docker save` writes one.
    let runtime = serde_json::from_str::<serde_json::Value>(&plan.1).expect("plan JSON")["stages"]
        [2]["base"]["image"]["reference"]
        .as_str()
        .expect("the runtime starts from an image")
        .to_string();
    let layout = ws.dir.with_extension("oci-layout");
    std::fs::create_dir_all(&layout).unwrap();
    let saved = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "docker save {runtime} | tar -x -C {}",
            layout.display()
        ))
        .status()
        .expect("sh runs");
    assert!(saved.success(), "docker save {runtime}");
    let tag_of = runtime.rsplit_once(':').map_or("latest", |(_, t)| t);
    let context = format!("{runtime}=oci-layout://{}:{tag_of}", layout.display());
    let from_layout = "strata-test/go-web:runtime-from-oci-layout";
    let build = buildx(
        &ws,
        &["--build-context", &context, "--load", "-t", from_layout],
    );
    build.assert_success();
    assert!(
        build
            .vertices
            .iter()
            .any(|v| v.name.starts_with("oci-layout://")),
        "the layout was not a source:\n{}",
        build.summary()
    );
    let container = Container::run_published(from_layout, 8080);
    assert_eq!(http_get(&container.address(8080), "/healthz"), "ok\n");

    let refused = buildx(
        &ws,
        &[
            "--build-context",
            "node:24=docker-image://mirror.example/node:24",
        ],
    );
    assert!(!refused.success);
    assert!(
        refused
            .output
            .contains("named context node:24 names no image of this build")
            && refused.output.contains(&builder),
        "{}",
        refused.errors()
    );
}
