//! `strata doctor` on the real engine: it passes on the testbed, names a wrong proxy as a
//! connect failure, and names PyPI's certificate as untrusted when the build lacks the CA
//! (this machine reaches PyPI only through a TLS-intercepting proxy).

mod support;

use support::*;

/// `strata doctor` on the workspace: whether it passed, and its report.
fn doctor(ws: &Workspace, extra: &[&str]) -> (bool, String) {
    let dir = ws.dir.display().to_string();
    let switch = frontend_under_test();
    let mirrors = test_mirror_args();
    let mut args = vec!["doctor", dir.as_str(), &switch[0], &switch[1]];
    args.extend(mirrors.iter().map(String::as_str));
    args.extend(extra);
    strata(&args)
}

fn workspace(example: &str) -> Workspace {
    Workspace::copy_of(example)
}

/// The report's line for a check, starting with its verdict, for each line of that check.
fn lines_of<'a>(report: &'a str, check: &str) -> Vec<&'a str> {
    report
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(check))
        .collect()
}

/// The report's failed line for `url`, which must say its certificate is not trusted.
fn untrusted_without_the_ca<'a>(report: &'a str, url: &str) -> &'a str {
    let line = lines_of(report, "reach")
        .into_iter()
        .find(|l| l.contains(url))
        .unwrap_or_else(|| panic!("no line for {url}: {report}"));
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(
        line.contains("TLS failed: certificate not trusted"),
        "{line}"
    );
    line
}

#[test]
fn doctor_passes_on_the_testbed_with_the_ca_secret() {
    let Some(_engine) = engine() else { return };
    let ws = workspace("python-uv");
    ws.write("corp-ca.pem", &egress_ca_pem());
    let secret = format!("id=ca,src={}", ws.path("corp-ca.pem").display());
    let (passed, report) = doctor(&ws, &["--secret", &secret]);
    assert!(passed, "{report}");
    for check in [
        "spec",
        "lockfiles",
        "engine",
        "features",
        "frontend",
        "disk",
    ] {
        let lines = lines_of(&report, check);
        assert!(
            !lines.is_empty() && lines.iter().all(|l| l.starts_with("ok ")),
            "{check}: {report}"
        );
    }
    let reach = lines_of(&report, "reach");
    assert_eq!(
        reach.len(),
        2,
        "pypi.org and files.pythonhosted.org: {report}"
    );
    for line in reach {
        // Trusted with the CA, and the report says the image's roots alone are not enough.
        assert!(line.contains(": HTTP 200 (python3)"), "{line}");
        assert!(line.contains("roots only: TLS failed"), "{line}");
    }
    assert!(report.ends_with("all checks passed\n"), "{report}");
}

#[test]
fn doctor_tries_the_go_module_proxy_with_curl() {
    let Some(_engine) = engine() else { return };
    let ws = workspace("go-web");
    let (passed, report) = doctor(&ws, &[]);
    assert!(passed, "{report}");
    let reach = lines_of(&report, "reach");
    assert_eq!(reach.len(), 1, "{report}");
    assert!(
        reach[0].starts_with("ok ")
            && reach[0].contains(&format!("{}: HTTP ", test_goproxy()))
            && reach[0].contains("(curl)"),
        "{report}"
    );
}

#[test]
fn a_wrong_proxy_is_reported_as_a_connect_failure() {
    let Some(_engine) = engine() else { return };
    let ws = workspace("python-uv");
    // Nothing listens on port 9 of the build container's loopback.
    let (passed, report) = doctor(&ws, &["--build-arg", "HTTPS_PROXY=http://127.0.0.1:9"]);
    assert!(!passed, "{report}");
    let reach = lines_of(&report, "reach");
    assert!(!reach.is_empty(), "{report}");
    for line in reach {
        assert!(line.starts_with("FAIL"), "{line}");
        assert!(
            line.contains("CONNECT failed via http://127.0.0.1:9"),
            "{line}"
        );
    }
    assert!(
        report.contains("fix: nothing answers there: check the proxy URL"),
        "{report}"
    );
}

/// curl reports a failed transfer's status as `000`: the report must still read as a failure.
#[test]
fn a_wrong_proxy_is_a_connect_failure_through_curl_too() {
    let Some(_engine) = engine() else { return };
    let ws = workspace("go-web");
    let (passed, report) = doctor(
        &ws,
        &[
            "--allow",
            "network.host",
            "--build-arg",
            "HTTP_PROXY=http://127.0.0.1:9",
        ],
    );
    assert!(!passed, "{report}");
    let reach = lines_of(&report, "reach");
    assert_eq!(reach.len(), 1, "{report}");
    assert!(reach[0].starts_with("FAIL"), "{report}");
    assert!(
        reach[0].contains("CONNECT failed via http://127.0.0.1:9") && reach[0].ends_with("(curl)"),
        "{report}"
    );
}

#[test]
fn without_the_ca_pypi_fails_tls_as_unknown_authority() {
    let Some(_engine) = engine() else { return };
    let ws = workspace("python-uv");
    let (passed, report) = doctor(&ws, &[]);
    assert!(!passed, "{report}");
    let pypi = untrusted_without_the_ca(&report, "https://pypi.org/simple/");
    assert!(pypi.ends_with("(python3)"), "{pypi}");
    assert!(report.contains("--secret id=ca,src="), "{report}");
}

/// The Rust images have no HTTP client but cargo: the check fetches a crate with it, and
/// libcurl's error codes tell an untrusted certificate apart.
#[test]
fn doctor_tries_crates_io_with_cargo() {
    let Some(_engine) = engine() else { return };
    let ws = workspace("rust-workspace");
    let (passed, report) = doctor(&ws, &[]);
    assert!(!passed, "{report}");
    let index = untrusted_without_the_ca(&report, "https://index.crates.io/");
    assert!(index.contains("not trusted: [60]"), "{index}");
    assert!(index.ends_with("(cargo)"), "{index}");

    ws.write("corp-ca.pem", &egress_ca_pem());
    let secret = format!("id=ca,src={}", ws.path("corp-ca.pem").display());
    let (passed, report) = doctor(&ws, &["--secret", &secret]);
    assert!(passed, "{report}");
    for line in lines_of(&report, "reach") {
        assert!(
            line.contains(": cargo fetched a crate through it (cargo)"),
            "{line}"
        );
    }
}

/// The Node client of the check (the real node images have no Python) tells an untrusted
/// certificate from a working one the same way.
#[test]
fn the_node_check_tells_an_untrusted_certificate_apart() {
    let Some(_engine) = engine() else { return };
    let script = std::fs::read_to_string(repo_root().join("src/lang/reach/check.js")).unwrap();
    let ws = Workspace::empty("node-check");
    ws.write("corp-ca.pem", &egress_ca_pem());
    let run = |extra_env: &[&str]| {
        let mut args = vec!["run", "--rm", "-v"];
        let mount = format!("{}:/ca:ro", ws.dir.display());
        args.push(&mount);
        for env in extra_env {
            args.extend(["-e", env]);
        }
        args.extend([
            "node:20-trixie-slim",
            "node",
            "-e",
            &script,
            "image roots",
            "https://registry.npmjs.org/",
        ]);
        let line = docker_ok(&args);
        serde_json::from_str::<serde_json::Value>(line.trim()).expect("one JSON line")
    };
    let untrusted = run(&[]);
    assert_eq!(untrusted["failed_at"], "tls", "{untrusted}");
    assert!(
        untrusted["detail"]
            .as_str()
            .unwrap()
            .starts_with("certificate not trusted"),
        "{untrusted}"
    );
    let trusted = run(&["NODE_EXTRA_CA_CERTS=/ca/corp-ca.pem"]);
    assert_eq!(trusted["failed_at"], serde_json::Value::Null, "{trusted}");
    assert_eq!(trusted["tool"], "node", "{trusted}");
    assert_eq!(trusted["status"], 200, "{trusted}");
}
