//! The one definition of an executed step, shared by the engine tests and `make bench`
//! (tests/support/progress.rs), checked against progress shaped as buildx writes it.

mod support;

use support::parse_rawjson;

/// Two rawjson status objects as buildx prints them (pretty, back to back), a vertex's start
/// and completion arriving in different objects, and buildx's final error line.
const PROGRESS: &str = r#"{
  "vertexes": [
    {"digest": "sha256:a", "name": "[internal] load build definition from strata.yaml", "started": "2026-12-02T03:00:00Z"},
    {"digest": "sha256:b", "name": "[strata] resolve image config for golang:1.27-trixie (linux/amd64)", "started": "2026-12-02T03:00:00Z"},
    {"digest": "sha256:b2", "name": "[strata 0.1.0] list the build context", "started": "2026-12-02T03:00:00Z"},
    {"digest": "sha256:c", "name": "docker-image://docker.io/library/golang:1.24@sha256:f", "started": "2026-12-02T03:00:00Z", "completed": "2026-12-02T03:00:01Z"},
    {"digest": "sha256:d", "name": "[strata deps] load context: go.mod, go.sum", "started": "2026-12-02T03:00:00Z"},
    {"digest": "sha256:e", "name": "[strata deps] go mod download (go.mod, go.sum)", "started": "2026-12-02T03:00:01Z"},
    {"digest": "sha256:g", "name": "[strata build] go build", "started": "2026-12-02T03:00:01Z", "completed": "2026-12-02T03:00:01Z", "cached": true},
    {"digest": "sha256:h", "name": "[internal] strata step wrapper: [strata deps] go mod download (go.mod, go.sum)", "started": "2026-12-02T03:00:00Z"}
  ]
}
{
  "vertexes": [
    {"digest": "sha256:e", "name": "[strata deps] go mod download (go.mod, go.sum)", "started": "2026-12-02T03:00:01Z", "completed": "2026-12-02T03:00:09Z"},
    {"digest": "sha256:i", "name": "[builder 3/4] RUN --mount=type=cache,target=/root/.cache go build", "started": null},
    {"digest": "sha256:j", "name": "[web strata runtime] copy build:/out/web -> /app/web (linked)", "started": "2026-12-02T03:00:10Z", "completed": "2026-12-02T03:00:10Z"},
    {"digest": "sha256:k", "name": "exporting to image", "started": "2026-12-02T03:00:11Z"},
    {"digest": "sha256:l", "name": "[api internal] strata step wrapper: [strata deps] go mod download (go.mod, go.sum)", "started": "2026-12-02T03:00:11Z"},
    {"digest": "sha256:m", "name": "[api] resolve image config for docker-image://docker.io/library/strata:dev", "started": "2026-12-02T03:00:11Z"},
    {"digest": "sha256:n", "name": "[admin strata] resolve image config for golang:1.27-trixie (linux/amd64)", "started": "2026-12-02T03:00:11Z"},
    {"digest": "sha256:o", "name": "[api strata 0.1.0] list the build context", "started": "2026-12-02T03:00:11Z"},
    {"digest": "sha256:p", "name": "[worker] exporting to image", "started": "2026-12-02T03:00:11Z"},
    {"digest": "sha256:q", "name": "[api strata build] load context: go.mod", "started": "2026-12-02T03:00:11Z"},
    {"digest": "sha256:r", "name": "[admin strata deps] go mod download (go.mod, go.sum)", "started": "2026-12-02T03:00:11Z", "completed": "2026-12-02T03:00:11Z", "error": "failed to calculate checksum of ref x::y: context canceled: context canceled"},
    {"digest": "sha256:s", "name": "[admin strata build] go build ./services/admin", "started": "2026-12-02T03:00:11Z", "completed": "2026-12-02T03:00:12Z", "error": "process \"/bin/sh -c go build\" did not complete successfully: exit code: 1"}
  ],
  "logs": [
    {"vertex": "sha256:e", "stream": 2, "data": "Z286IGRvd25sb2FkaW5nIGEK", "timestamp": "2026-12-02T03:00:02Z"},
    {"vertex": "sha256:e", "stream": 2, "data": "Z286IGRvd25sb2FkaW5nIGIK", "timestamp": "2026-12-02T03:00:03Z"}
  ]
}
ERROR: failed to solve: process "/.strata-step go mod download" did not complete successfully: exit code: 1
"#;

#[test]
fn a_step_is_what_the_build_asked_for_and_executed_means_started_and_not_cached() {
    let vertices = parse_rawjson(PROGRESS);
    assert_eq!(vertices.len(), 19, "{vertices:#?}");
    let steps: Vec<(&str, bool)> = vertices
        .iter()
        .filter(|v| v.is_step())
        .map(|v| (v.name.as_str(), v.executed()))
        .collect();
    assert_eq!(
        steps,
        [
            ("[strata deps] go mod download (go.mod, go.sum)", true),
            ("[strata build] go build", false),
            (
                "[builder 3/4] RUN --mount=type=cache,target=/root/.cache go build",
                false
            ),
            (
                "[web strata runtime] copy build:/out/web -> /app/web (linked)",
                true
            ),
            (
                "[admin strata deps] go mod download (go.mod, go.sum)",
                false
            ),
            ("[admin strata build] go build ./services/admin", true),
        ]
    );
}

#[test]
fn a_vertex_reported_twice_is_one_record_with_what_both_said() {
    let vertices = parse_rawjson(PROGRESS);
    let download: Vec<_> = vertices
        .iter()
        .filter(|v| v.name.starts_with("[strata deps] go mod download"))
        .filter(|v| v.is_step())
        .collect();
    assert_eq!(download.len(), 1);
    assert!(download[0].started && download[0].completed && !download[0].cached);
    assert_eq!(download[0].log, "go: downloading a\ngo: downloading b\n");
    assert!(
        vertices
            .iter()
            .all(|v| v.name == download[0].name || v.log.is_empty())
    );
}
