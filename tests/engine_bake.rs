//! Many services, one repository: `docker buildx bake` builds the monorepo example's two Go
//! services and Python worker in parallel through the strata frontend.

mod support;

use support::*;

const SERVICES: [&str; 3] = ["api", "admin", "worker"];

fn monorepo() -> Workspace {
    Workspace::copy_of("monorepo")
}

fn tag(service: &str) -> String {
    format!("strata-test/monorepo-{service}")
}

/// bake with every target tagged and loaded.
fn bake_all(ws: &Workspace, extra: &[&str]) -> Build {
    let mut args: Vec<String> = vec!["--load".to_string()];
    for service in SERVICES {
        args.push("--set".to_string());
        args.push(format!("{service}.tags={}", tag(service)));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    bake(ws, &args)
}

#[test]
fn bake_builds_every_service_sharing_the_go_dependency_step_and_rebuilds_only_the_edited_one() {
    let Some(_engine) = engine() else { return };
    let ws = monorepo();
    // Every step runs: the two Go services' dependency step is one step (the same go.mod and
    // go.sum, the same base), so it runs once for both.
    let cold = bake_all(&ws, &["--no-cache"]);
    cold.assert_success();
    // bake shows a step the targets share once per target (`[api strata deps] …`, cached in
    // all but one): it ran once.
    let downloads = cold
        .executed_steps()
        .into_iter()
        .filter(|v| v.name.contains("strata deps] go mod download"))
        .count();
    assert_eq!(downloads, 1, "{}", cold.summary());
    for service in ["api", "admin"] {
        assert!(
            cold.vertex(&format!("go build ./services/{service}"))
                .executed(),
            "{}",
            cold.summary()
        );
    }
    for service in SERVICES {
        let out = docker_ok(&["run", "--rm", &tag(service)]);
        assert!(out.starts_with(&format!("hello from {service}")), "{out}");
    }

    // An edit to the api service: admin imports nothing of it, so only api compiles.
    ws.append(
        "services/api/main.go",
        &format!("\n// edited {}\n", unique_token()),
    );
    let edited = bake_all(&ws, &[]);
    edited.assert_success();
    assert!(
        edited.vertex("go build ./services/api").executed(),
        "{}",
        edited.summary()
    );
    // Besides api's compile, only api's runtime copy runs.
    let executed: Vec<&str> = edited
        .executed_steps()
        .into_iter()
        .map(|v| v.name.as_str())
        .filter(|name| !name.starts_with("[api strata "))
        .collect();
    assert_eq!(executed, Vec::<&str>::new(), "{}", edited.summary());
    // A change to the shared package compiles both Go services again.
    ws.append(
        "libs/greeting/greeting.go",
        &format!("\n// edited {}\n", unique_token()),
    );
    let shared = bake_all(&ws, &[]);
    shared.assert_success();
    for service in ["api", "admin"] {
        assert!(
            shared
                .vertex(&format!("go build ./services/{service}"))
                .executed(),
            "{}",
            shared.summary()
        );
    }
}
