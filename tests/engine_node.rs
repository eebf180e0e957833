//! The Node slice on the real engine: an npm project (express), a pnpm project (TypeScript
//! compiled by a build script) and a yarn v1 project (started through `main`) built with the
//! strata frontend, with the npm registry reached
//! through the egress proxy whose CA travels as a build secret.

mod support;

use support::*;

/// The host bundle holds the egress proxy's CA and the public roots; the images hold neither
/// the proxy's CA nor a way to add it without a secret.
const CA_SECRET: [&str; 2] = ["--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt"];

/// Each example with a source file a test may edit, the runtime step that carries the app
/// (the sources as they are, or what the build script made of them), and the greeting.
const EXAMPLES: [(&str, &str, &str, &str); 3] = [
    (
        "node-npm",
        "server.js",
        "[strata runtime] copy the app's files",
        "hello from node-npm (uid 1000)",
    ),
    (
        "node-pnpm",
        "src/server.ts",
        "[strata runtime] copy the built app",
        "hello from node-pnpm (uid 1000)",
    ),
    (
        "node-yarn",
        "index.js",
        "[strata runtime] copy the app's files",
        "hello from node-yarn, up ",
    ),
];

fn build_with_ca(ws: &Workspace, extra: &[&str]) -> Build {
    let mut args = CA_SECRET.to_vec();
    args.extend_from_slice(extra);
    buildx(ws, &args)
}

fn executed_dependency_steps(build: &Build) -> Vec<&str> {
    build
        .executed_steps()
        .into_iter()
        .filter(|v| v.name.starts_with("[strata deps] "))
        .map(|v| v.name.as_str())
        .collect()
}

#[test]
fn every_example_builds_and_answers_http_as_non_root() {
    let Some(_engine) = engine() else { return };
    for (example, _, _, greeting) in EXAMPLES {
        let ws = Workspace::copy_of(example);
        let tag = format!("strata-test/{example}:runs");
        build_with_ca(&ws, &["--load", "-t", &tag]).assert_success();

        let user = docker_ok(&["image", "inspect", "--format", "{{.Config.User}}", &tag]);
        assert_eq!(user, "1000:1000", "{example}");
        let container = Container::run_published(&tag, 3000);
        let body = http_get(&container.address(3000), "/");
        assert!(body.starts_with(greeting), "{example}: {body}");
        assert_eq!(http_get(&container.address(3000), "/healthz"), "ok\n");
    }
    // node-npm's runtime takes the production install's layers as they are: they must hold
    // /app and nothing else (no mount point, npm cache or log of the build).
    let base = image_paths("node:24-trixie-slim");
    let added: Vec<String> = image_paths("strata-test/node-npm:runs")
        .into_iter()
        .filter(|path| !base.contains(path) && !path.starts_with("app/"))
        .collect();
    assert!(
        added.is_empty(),
        "the build left {} files outside /app, first {:?}",
        added.len(),
        &added[..added.len().min(10)]
    );
}

#[test]
fn the_runtime_has_production_dependencies_only() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("node-pnpm");
    let tag = "strata-test/node-pnpm:prod-only";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    let resolve = |package: &str| {
        node_eval(tag, &format!("require.resolve('{package}')"))
            .status
            .success()
    };
    assert!(resolve("ms"), "the production dependency is missing");
    assert!(
        !resolve("typescript"),
        "a dev dependency reached the runtime"
    );
    let compiled = docker_ok(&["run", "--rm", "--entrypoint", "ls", tag, "/app/dist"]);
    assert!(compiled.contains("server.js"), "{compiled}");
}

#[test]
fn source_change_reruns_no_dependency_step() {
    let Some(_engine) = engine() else { return };
    for (example, source, app_layer, _) in EXAMPLES {
        let ws = Workspace::copy_of(example);
        build_with_ca(&ws, &[]).assert_success();

        ws.append(source, &format!("\n// edited {}\n", unique_token()));
        let build = build_with_ca(&ws, &[]);
        build.assert_success();
        assert!(
            executed_dependency_steps(&build).is_empty(),
            "{example}: a dependency step re-ran:\n{}",
            build.summary()
        );
        assert!(
            build.vertex(app_layer).executed(),
            "{example}: the new source did not reach the image:\n{}",
            build.summary()
        );
    }
}

#[test]
fn readme_and_test_changes_execute_nothing() {
    let Some(_engine) = engine() else { return };
    for (example, edits) in [
        ("node-npm", &["README.md", "test/greeting.test.js"][..]),
        ("node-pnpm", &["README.md"][..]),
        ("node-yarn", &["README.md"][..]),
    ] {
        let ws = Workspace::copy_of(example);
        build_with_ca(&ws, &[]).assert_success();

        let token = unique_token();
        for file in edits {
            ws.append(file, &format!("\n// edited {token}\n"));
        }
        let build = build_with_ca(&ws, &[]);
        build.assert_success();
        assert!(
            build.executed_steps().is_empty(),
            "{example}: a README/test edit ran steps:\n{}",
            build.summary()
        );
    }
}

#[test]
fn lockfile_change_reruns_the_dependency_step() {
    let Some(_engine) = engine() else { return };
    for (example, lockfile, install) in [
        (
            "node-npm",
            "package-lock.json",
            "[strata deps] npm ci --omit=dev",
        ),
        ("node-pnpm", "pnpm-lock.yaml", "[strata deps] pnpm fetch"),
    ] {
        let ws = Workspace::copy_of(example);
        let tag = format!("strata-test/{example}:more-deps");
        build_with_ca(&ws, &[]).assert_success();

        // The same project with one more dependency (kleur), locked by the package manager.
        let fixture = repo_root()
            .join("tests/fixtures")
            .join(format!("{example}-plus-kleur"));
        for file in ["package.json", lockfile] {
            let text = std::fs::read_to_string(fixture.join(file)).unwrap();
            ws.write(file, &text);
        }
        // A change no earlier run has seen, so the engine cannot answer from its cache: a YAML
        // comment in pnpm's lockfile (all `pnpm fetch` sees); JSON has no comments, so npm's
        // package.json gets a new description.
        let token = unique_token();
        if lockfile.ends_with(".yaml") {
            ws.append(lockfile, &format!("# added kleur {token}\n"));
        } else {
            let manifest = ws.read("package.json").replacen(
                "\"description\": \"",
                &format!("\"description\": \"{token} "),
                1,
            );
            ws.write("package.json", &manifest);
        }
        let build = build_with_ca(&ws, &["--load", "-t", &tag]);
        build.assert_success();
        assert!(
            build.vertex(install).executed(),
            "{example}: the dependency step did not re-run:\n{}",
            build.summary()
        );
        let loaded = node_eval(&tag, "require('kleur')");
        assert!(
            loaded.status.success(),
            "{example}: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
    }
}

#[test]
fn the_ca_is_needed_for_the_registry_and_never_lands_in_a_layer() {
    let Some(_engine) = engine() else { return };
    // corepack names no reason: 0.24 (Node 20) shows the TLS socket its request failed on, 0.35
    // (Node 24, on fetch) only the URL. The build with the CA below, alike in all else, passing
    // is what shows the CA was the missing piece.
    for (example, failing_step, reasons) in [
        (
            "node-pnpm",
            "[strata deps] corepack prepare pnpm@9.15.9",
            &[
                "at TLSSocket.socketErrorListener",
                "Error when performing the request to https://registry.npmjs.org/pnpm/",
            ][..],
        ),
        (
            "node-npm",
            "[strata deps] npm ci --omit=dev",
            &["SELF_SIGNED_CERT_IN_CHAIN"][..],
        ),
    ] {
        let ws = Workspace::copy_of(example);
        // --no-cache also starts the cache mounts empty: the step must really download. npm
        // retries for about a minute before it gives up.
        let (ok, log) = buildx_plain(&ws, &["--no-cache"]);
        assert!(
            !ok,
            "{example}: the registry answered without the CA: the test proves nothing"
        );
        assert!(
            log.contains("ERROR: process") && log.contains(failing_step),
            "{example}: the failing step is not named:\n{log}"
        );
        assert!(
            reasons.iter().any(|reason| log.contains(reason)),
            "{example}: failed for another reason than the proxy's certificate:\n{log}"
        );

        build_with_ca(&ws, &["--no-cache"]).assert_success();
        let deps_tag = format!("strata-test/{example}:ca-deps");
        build_with_ca(&ws, &["--target", "deps", "--load", "-t", &deps_tag]).assert_success();
        let found = docker(&[
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            &deps_tag,
            "-c",
            "ls /run/strata-ca",
        ]);
        assert!(
            !found.status.success(),
            "{example}: the CA file is in the deps stage's filesystem"
        );
    }
}

/// A registry mirror given per environment, `--build-arg NPM_CONFIG_REGISTRY` (which sets
/// `node.registry`), gets every package download: npm rewrites the lockfile's
/// registry.npmjs.org addresses to it. The mirror forwards to the real registry and logs. The
/// spec gains only host networking, which a mirror on this machine's loopback needs.
#[test]
fn a_registry_mirror_build_arg_fetches_every_package_through_the_mirror() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_with_fresh_caches("node-npm");
    let mirror = RegistryMirror::start("npm", &ws);
    ws.append("strata.yaml", "network:\n  deps: host\n");
    let tag = "strata-test/node-npm:mirror";
    let registry = format!("NPM_CONFIG_REGISTRY=http://127.0.0.1:{}/", mirror.port);
    build_with_ca(&ws, &["--build-arg", &registry, "--load", "-t", tag]).assert_success();

    let lock: serde_json::Value = serde_json::from_str(&ws.read("package-lock.json")).unwrap();
    let tarballs: Vec<String> = lock["packages"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|p| p["resolved"].as_str())
        .map(|url| {
            url.trim_start_matches("https://registry.npmjs.org")
                .to_string()
        })
        .collect();
    assert!(tarballs.len() > 10, "{tarballs:?}");
    let requests = mirror.requests();
    for tarball in &tarballs {
        assert!(
            requests.contains(&format!("GET {tarball} 200")),
            "{tarball} did not come through the mirror:\n{requests}"
        );
    }
    let server = Container::run_published(tag, 3000);
    assert!(http_get(&server.address(3000), "/").contains("hello from node-npm"));
}
