//! The Rust slice on the real engine: a static axum service and a cargo workspace, with
//! crates.io reached through the egress proxy whose CA travels as a build secret. Each test is
//! a scenario on the dependency layer: what an edit re-runs, and that the binary shows it.

mod support;

use support::*;

/// The host bundle holds the egress proxy's CA and the public roots.
const CA_SECRET: [&str; 2] = ["--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt"];
const DEPS_STEP: &str = "[strata deps] cargo build --release: dependencies of";
const BUILD_STEP: &str = "[strata build] cargo build";

fn build_with_ca(ws: &Workspace, extra: &[&str]) -> Build {
    let mut args = CA_SECRET.to_vec();
    args.extend_from_slice(extra);
    let build = buildx(ws, &args);
    eprintln!("build took {:.1} s", build.seconds);
    build
}

fn assert_dependencies_cached(build: &Build) {
    let deps = build.vertex(DEPS_STEP);
    assert!(
        deps.cached && !deps.executed(),
        "the dependency step re-ran:\n{}",
        build.summary()
    );
}

fn replace_in(ws: &Workspace, file: &str, from: &str, to: &str) {
    let text = ws.read(file);
    assert!(text.contains(from), "{file} has no `{from}`");
    ws.write(file, &text.replacen(from, to, 1));
}

#[test]
fn axum_service_answers_http_as_non_root_and_source_edits_keep_the_dependency_layer() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("rust-axum");
    let tag = "strata-test/rust-axum:runs";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    {
        let server = Container::run_published(tag, 8080);
        assert_eq!(
            http_get(&server.address(8080), "/"),
            "hello from rust-axum\n"
        );
    }
    let user = docker_ok(&["image", "inspect", "--format", "{{.Config.User}}", tag]);
    assert_eq!(user, "65532:65532");

    // A source edit: the skeleton build stays cached, and the local crate really is rebuilt
    // (the stub's artifacts are gone, whatever the mtimes say).
    let token = unique_token();
    replace_in(
        &ws,
        "src/main.rs",
        "hello from rust-axum",
        &format!("hello from rust-axum {token}"),
    );
    let edited = build_with_ca(&ws, &["--load", "-t", tag]);
    edited.assert_success();
    assert_dependencies_cached(&edited);
    let build = edited.vertex(BUILD_STEP);
    assert!(build.executed(), "{}", edited.summary());
    // The skeleton compiled the dependencies through a stub library, linking nothing: cargo
    // must find them fresh for the binary, or the layer saved no work.
    let compiled: Vec<&str> = build
        .log
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Compiling "))
        .collect();
    assert!(
        compiled.len() == 1 && compiled[0].starts_with("hello-axum "),
        "the build step compiled more than the app: {compiled:?}\n{}",
        build.log
    );
    let server = Container::run_published(tag, 8080);
    assert_eq!(
        http_get(&server.address(8080), "/"),
        format!("hello from rust-axum {token}\n")
    );
}

#[test]
fn readme_edit_executes_nothing_and_a_version_bump_keeps_the_dependency_layer() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("rust-axum");
    build_with_ca(&ws, &[]).assert_success();

    ws.append("README.md", &format!("\nedited {}\n", unique_token()));
    let readme = build_with_ca(&ws, &[]);
    readme.assert_success();
    assert!(
        readme.executed_steps().is_empty(),
        "a README edit ran steps:\n{}",
        readme.summary()
    );

    // The version as cargo itself writes it: in Cargo.toml and in Cargo.lock.
    replace_in(
        &ws,
        "Cargo.toml",
        "version = \"0.1.0\"",
        "version = \"0.2.0\"",
    );
    replace_in(
        &ws,
        "Cargo.lock",
        "name = \"hello-axum\"\nversion = \"0.1.0\"",
        "name = \"hello-axum\"\nversion = \"0.2.0\"",
    );
    let bumped = build_with_ca(&ws, &[]);
    bumped.assert_success();
    assert_dependencies_cached(&bumped);
}

#[test]
fn workspace_binary_prints_its_greeting_and_a_new_dependency_reruns_the_dependency_step() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("rust-workspace");
    let tag = "strata-test/rust-workspace:runs";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    assert_eq!(
        docker_ok(&["run", "--rm", tag, "Ada"]),
        "hello, Ada: 1234 greetings so far (release build)"
    );
    let whoami = docker_ok(&["run", "--rm", "--entrypoint", "id", tag, "-u"]);
    assert_eq!(whoami, "65532");

    // The library is a workspace member: editing it rebuilds it, not the dependencies.
    let token = unique_token();
    replace_in(
        &ws,
        "crates/greeting/src/lib.rs",
        "greetings so far\",",
        &format!("greetings, edited {token}\","),
    );
    let edited = build_with_ca(&ws, &["--load", "-t", tag]);
    edited.assert_success();
    assert_dependencies_cached(&edited);
    assert_eq!(
        docker_ok(&["run", "--rm", tag, "Ada"]),
        format!("hello, Ada: 1234 greetings, edited {token} (release build)"),
        "{}",
        edited.summary()
    );

    // One more crates.io dependency, locked: the dependency step runs again and vendors it.
    // The same edit on an earlier run left its result in the engine's cache, so a unique
    // metadata value (kept in the skeleton) makes this a change the engine has not seen.
    replace_in(
        &ws,
        "crates/greeting/Cargo.toml",
        "itoa = \"1\"",
        &format!(
            "itoa = \"1\"\nryu = \"=1.0.20\"\n\n[package.metadata.strata-test]\nrun = \"{}\"",
            unique_token()
        ),
    );
    replace_in(
        &ws,
        "Cargo.lock",
        " \"itoa\",\n]",
        " \"itoa\",\n \"ryu\",\n]",
    );
    ws.append(
        "Cargo.lock",
        "\n[[package]]\nname = \"ryu\"\nversion = \"1.0.20\"\n\
         source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
         checksum = \"28d3b2b1366ec20994f1fd18c3c594f05c5dd4bc44d8bb0c1c632c8d6829481f\"\n",
    );
    let deps_tag = "strata-test/rust-workspace:deps";
    let added = build_with_ca(&ws, &["--target", "deps", "--load", "-t", deps_tag]);
    added.assert_success();
    assert!(
        added.vertex(DEPS_STEP).executed(),
        "the dependency step did not re-run:\n{}",
        added.summary()
    );
    let vendored = docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "ls",
        deps_tag,
        "/build/vendor",
    ]);
    assert!(vendored.lines().any(|l| l.starts_with("ryu")), "{vendored}");
}

/// rust-axum with one more crates.io dependency (a real re-lock in tests/fixtures): the
/// dependency step runs again; a unique metadata value keeps an earlier run's cache from
/// answering.
#[test]
fn axum_lockfile_change_reruns_the_dependency_step() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("rust-axum");
    build_with_ca(&ws, &[]).assert_success();
    for file in ["Cargo.toml", "Cargo.lock"] {
        let relocked = repo_root()
            .join("tests/fixtures/rust-axum-plus-ryu")
            .join(file);
        ws.write(file, &std::fs::read_to_string(relocked).unwrap());
    }
    ws.append(
        "Cargo.toml",
        &format!(
            "\n[package.metadata.strata-test]\nrun = \"{}\"\n",
            unique_token()
        ),
    );
    let added = build_with_ca(&ws, &[]);
    added.assert_success();
    assert!(
        added.vertex(DEPS_STEP).executed(),
        "the dependency step did not re-run:\n{}",
        added.summary()
    );
}

/// Without the CA secret, crates.io (reached through the egress proxy) is not trusted: the
/// dependency step fails and strata names the step and the `--secret id=ca` fix.
#[test]
fn without_the_ca_the_dependency_step_fails_with_strata_hint() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("rust-workspace");
    // --no-cache empties the registry cache mounts too, so cargo must download.
    let (ok, log) = buildx_plain(&ws, &["--no-cache", "--target", "deps"]);
    assert!(
        !ok,
        "crates.io answered without the CA: the test proves nothing"
    );
    assert!(
        log.contains("failed: a TLS certificate was not trusted")
            && log.contains("--secret id=ca,src="),
        "no strata hint naming the CA secret:\n{log}"
    );
}

/// `rust.registry` replaces crates.io with the mirror's sparse index for the download: the
/// index entries and the crate files of the lockfile come through it.
#[test]
fn rust_registry_in_the_spec_replaces_crates_io() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("rust-workspace");
    let mirror = RegistryMirror::start("cargo", &ws);
    // Under the example's `rust:` section, which ends the file.
    ws.append(
        "strata.yaml",
        &format!(
            "  registry: http://127.0.0.1:{}/index\nnetwork:\n  deps: host\n",
            mirror.port
        ),
    );
    // Empty caches: cargo's registry cache would otherwise answer without the mirror.
    ws.use_cache_namespace(&fresh_namespace());
    build_with_ca(&ws, &[]).assert_success();

    let lock = ws.read("Cargo.lock");
    let crates: Vec<(String, String)> = lock
        .split("[[package]]")
        .filter(|p| p.contains("source = \"registry+"))
        .map(|p| {
            let field = |key: &str| {
                p.lines()
                    .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                    .map(|v| v.trim_end_matches('"').to_string())
                    .unwrap()
            };
            (field("name"), field("version"))
        })
        .collect();
    assert!(
        !crates.is_empty(),
        "the example has no crates.io dependency"
    );
    let requests = mirror.requests();
    assert!(
        requests.contains("GET /index/config.json 200"),
        "{requests}"
    );
    for (name, version) in &crates {
        assert!(
            requests.contains(&format!("GET /dl/{name}/{version}/download 200")),
            "{name} {version} did not come through the mirror:\n{requests}"
        );
    }
}
