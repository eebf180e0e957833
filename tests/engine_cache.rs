//! `strata cache ls | prune` on the real engine: strata's cache mounts are listed per namespace
//! and pruning one namespace leaves every other cache alone, strata's or not.

mod support;

use support::*;

/// The rows of `strata cache ls` for a namespace: its cache names.
fn listed_caches(namespace: &str) -> Vec<String> {
    let (ok, text) = strata(&["cache", "ls"]);
    assert!(ok, "{text}");
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(namespace)).then(|| words.next().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn prune_removes_one_namespace_and_nothing_else() {
    let Some(_engine) = engine() else { return };
    let (pruned, kept) = (fresh_namespace(), fresh_namespace());
    for namespace in [&pruned, &kept] {
        let ws = Workspace::copy_of("go-web");
        ws.use_cache_namespace(namespace);
        // --no-cache: the steps run, so their cache mounts exist in this namespace.
        buildx(&ws, &["--no-cache"]).assert_success();
    }
    // Someone else's cache mount, from a plain Dockerfile.
    let other = format!("other-{}", unique_token().to_lowercase());
    let dockerfile = Workspace::empty("other-cache");
    dockerfile.write(
        "Dockerfile",
        &format!(
            "FROM debian:trixie-slim\n\
             RUN --mount=type=cache,id={other},target=/cache echo kept > /cache/file\n"
        ),
    );
    docker_ok(&[
        "buildx",
        "build",
        "--no-cache",
        dockerfile.dir.to_str().unwrap(),
    ]);

    for namespace in [&pruned, &kept] {
        let caches = listed_caches(namespace);
        assert!(
            caches.contains(&"go-mod".to_string()) && caches.contains(&"go-build".to_string()),
            "{namespace}: {caches:?}"
        );
    }

    let (ok, text) = strata(&[
        "cache",
        "prune",
        "--namespace",
        &pruned,
        "--older-than",
        "1h",
    ]);
    assert!(ok && text.contains("nothing to prune"), "{text}");
    assert!(
        !listed_caches(&pruned).is_empty(),
        "a recent cache was pruned"
    );

    let (ok, text) = strata(&["cache", "prune", "--namespace", &pruned]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("removed strata/{pruned}/go-mod")),
        "{text}"
    );
    assert_eq!(listed_caches(&pruned), Vec::<String>::new());
    assert!(
        listed_caches(&kept).contains(&"go-mod".to_string()),
        "the other namespace went too"
    );
    // The Dockerfile frontend scopes the id it gives BuildKit (`/<id>`).
    let usage = docker_ok(&["buildx", "du", "--verbose"]);
    assert!(
        usage.contains(&format!("with id \"/{other}\"")),
        "a cache that is not strata's was pruned"
    );

    // Leave the engine as found.
    strata(&["cache", "prune", "--namespace", &kept]);
}

#[test]
fn a_bad_duration_is_refused_with_what_to_write() {
    let (ok, text) = strata(&["cache", "prune", "--older-than", "a week"]);
    assert!(!ok);
    assert!(
        text.contains("`a week` is not a duration: write 30m, 12h or 7d"),
        "{text}"
    );
}
