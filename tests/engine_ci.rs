//! A cold CI runner: the engine's build cache is emptied (cache mounts included), and a build
//! with `--cache-from` must still run no dependency step and give a working image — the
//! dependency layer travels in the exported cache, unlike cache-mount contents
//! (moby/buildkit#1474).

mod support;

use support::*;

#[test]
fn cache_from_on_a_pruned_engine_runs_no_dependency_step() {
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
    let compile = build.vertex("go build");
    assert!(
        !compile.executed(),
        "unchanged sources were compiled again:\n{}",
        build.summary()
    );

    let container = Container::run_published(tag, 8080);
    assert!(http_get(&container.address(8080), "/").starts_with("hello from go-web "));
}
