//! A cold CI runner: the engine's build cache is emptied (cache mounts included), and a build
//! with `--cache-from` must still run no dependency step and give a working image — the
//! dependency layer travels in the exported cache, unlike cache-mount contents
//! (moby/buildkit#1474).

mod support;

use support::*;

#[test]
fn cache_from_on_a_pruned_engine_runs_no_dependency_step_and_a_pull_request_reuses_compiled_packages()
 {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    // A change of its own, so the exported cache is this test's and not an older build's.
    ws.append("main.go", &format!("\n// ci {}\n", unique_token()));
    let cache = ws.path("exported-cache");
    let cache_to = format!("type=local,dest={},mode=max", cache.display());
    buildx(&ws, &["--cache-to", &cache_to]).assert_success();

    docker_ok(&["builder", "prune", "-af"]);

    let tag = "strata-test/go-web:from-cache";
    let cache_from = format!("type=local,src={}", cache.display());
    let build = buildx(&ws, &["--cache-from", &cache_from, "--load", "-t", tag]);
    build.assert_success();
    let deps = build.vertex("go mod download");
    assert!(
        deps.cached && !deps.executed(),
        "the dependency step ran:\n{}",
        build.summary()
    );
    let compile = build.vertex("go build . ->");
    assert!(
        !compile.executed(),
        "unchanged sources were compiled again:\n{}",
        build.summary()
    );

    {
        let container = Container::run_published(tag, 8080);
        assert!(http_get(&container.address(8080), "/").starts_with("hello from go-web "));
    }

    // A pull request on another cold runner: one source file edited, the main branch's cache
    // imported. The standard library's and the dependencies' packages come compiled in a layer
    // of that cache, which the compile step's build cache starts as.
    docker_ok(&["builder", "prune", "-af"]);
    let token = unique_token();
    let main = ws.read("main.go");
    assert!(main.contains("hello from go-web "), "main.go changed shape");
    ws.write(
        "main.go",
        &main.replacen(
            "hello from go-web ",
            &format!("hello from go-web {token} "),
            1,
        ),
    );
    let pull_request = buildx(&ws, &["--cache-from", &cache_from, "--load", "-t", tag]);
    pull_request.assert_success();
    let imported = pull_request.vertex("packages the binary imports");
    assert!(
        imported.cached && !imported.executed(),
        "the imported packages were compiled again:\n{}",
        pull_request.summary()
    );
    assert!(pull_request.vertex("go build .").executed());
    let container = Container::run_published(tag, 8080);
    let answer = http_get(&container.address(8080), "/");
    assert!(
        answer.starts_with(&format!("hello from go-web {token} ")),
        "{answer}"
    );
}

/// The registry round trip a CI pipeline makes: push the image and a `mode=max` cache to the
/// testbed's registry, lose everything local (build cache and image), then build again from the
/// registry cache and pull the pushed image back.
#[test]
fn registry_cache_and_push_survive_a_reset_engine() {
    let Some(_engine) = engine() else { return };
    for (example, ca, install, run) in [
        ("go-web", false, "go mod download", None),
        (
            "python-uv",
            true,
            "uv sync --no-install-project",
            Some(("Ada", "hello, Ada")),
        ),
    ] {
        let ws = Workspace::copy_of(example);
        let token = unique_token();
        ws.append("README.md", &format!("\nci {token}\n"));
        let registry = "127.0.0.1:5000/strata-test";
        let image = format!("{registry}/{example}:{token}");
        let cache = format!("{registry}/{example}:cache-{token}");
        let mut args: Vec<String> = Vec::new();
        if ca {
            args.extend([
                "--secret".to_string(),
                "id=ca,src=/etc/ssl/certs/ca-certificates.crt".to_string(),
            ]);
        }
        let pushed = [
            "--output".to_string(),
            format!("type=image,name={image},push=true"),
            "--cache-to".to_string(),
            format!("type=registry,ref={cache},mode=max"),
        ];
        let first: Vec<&str> = args.iter().chain(&pushed).map(String::as_str).collect();
        buildx(&ws, &first).assert_success();

        docker_ok(&["builder", "prune", "-af"]);
        let _ = docker(&["image", "rm", &image]);

        let from_cache = [
            "--cache-from".to_string(),
            format!("type=registry,ref={cache}"),
        ];
        let second: Vec<&str> = args.iter().chain(&from_cache).map(String::as_str).collect();
        let build = buildx(&ws, &second);
        build.assert_success();
        let deps = build.vertex(install);
        assert!(
            deps.cached && !deps.executed(),
            "{example}: the dependency step ran on a reset engine with --cache-from:\n{}",
            build.summary()
        );

        docker_ok(&["pull", "-q", &image]);
        match run {
            Some((arg, expected)) => {
                let out = docker_ok(&["run", "--rm", &image, arg]);
                assert!(out.contains(expected), "{example}: {out}");
            }
            None => {
                let container = Container::run_published(&image, 8080);
                assert!(
                    http_get(&container.address(8080), "/").starts_with("hello from go-web "),
                    "{example}: the pulled image does not answer"
                );
            }
        }
    }
}

/// Two cold builds of the same sources with the same SOURCE_DATE_EPOCH (the engine's cache
/// reset in between) give the same image: same manifest digest in the exported OCI layout.
#[test]
fn same_source_date_epoch_gives_the_same_image_digest_after_a_reset() {
    let Some(_engine) = engine() else { return };
    let ws = Workspace::copy_of("go-web");
    let mut digests = Vec::new();
    for round in ["first", "second"] {
        let layout = ws.path(&format!("{round}.tar"));
        let output = format!("type=oci,dest={},rewrite-timestamp=true", layout.display());
        buildx(
            &ws,
            &[
                "--build-arg",
                "SOURCE_DATE_EPOCH=1700000000",
                "--output",
                &output,
            ],
        )
        .assert_success();
        digests.push(manifest_digest(&layout));
        docker_ok(&["builder", "prune", "-af"]);
    }
    assert_eq!(
        digests[0], digests[1],
        "the same inputs gave different images"
    );
}

/// The digest of the one image manifest an OCI layout tarball indexes.
fn manifest_digest(layout: &std::path::Path) -> String {
    let index = std::process::Command::new("tar")
        .arg("-xOf")
        .arg(layout)
        .arg("index.json")
        .output()
        .expect("tar runs");
    let index: serde_json::Value =
        serde_json::from_slice(&index.stdout).expect("index.json is JSON");
    index["manifests"][0]["digest"]
        .as_str()
        .expect("the index names a manifest")
        .to_string()
}
