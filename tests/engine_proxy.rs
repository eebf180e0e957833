//! Proxies and leaks on the real engine: an authenticating HTTP proxy on loopback (tinyproxy,
//! installed by `scripts/testbed tools`) carries the dependency downloads, and nothing the
//! user passed for the build — proxy credentials, the CA bundle — is found in any layer,
//! config or history entry of the images.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use support::*;

const CA_SECRET: &str = "id=ca,src=/etc/ssl/certs/ca-certificates.crt";

/// A tinyproxy on a free loopback port that admits only the given users.
struct AuthProxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: Workspace,
}

impl AuthProxy {
    fn start(users: &[(&str, &str)]) -> AuthProxy {
        let dir = Workspace::empty("tinyproxy");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = dir.path("tinyproxy.log");
        let mut config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogFile \"{}\"\nLogLevel Connect\n\
             MaxClients 50\nAllow 127.0.0.1\nConnectPort 443\n",
            log.display()
        );
        for (user, password) in users {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf = dir.path("tinyproxy.conf");
        std::fs::write(&conf, config).expect("config written");
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("tinyproxy runs: install it with `scripts/testbed tools`");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tinyproxy did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        AuthProxy {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    fn url(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for AuthProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The build args that send every download through `url`, the way CI systems set them.
fn proxy_args(url: &str) -> Vec<String> {
    vec![
        "--build-arg".to_string(),
        format!("HTTPS_PROXY={url}"),
        "--build-arg".to_string(),
        format!("HTTP_PROXY={url}"),
        "--build-arg".to_string(),
        "NO_PROXY=127.0.0.1,localhost".to_string(),
    ]
}

/// A copy of an example whose dependency steps use the host's network, where the loopback
/// proxy is.
fn example_on_host_network(example: &str) -> Workspace {
    let ws = Workspace::copy_of(example);
    let spec = ws.read("strata.yaml");
    if !spec.contains("deps: host") {
        ws.append("strata.yaml", "network:\n  deps: host\n");
    }
    ws
}

fn build(ws: &Workspace, args: &[String]) -> Build {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    buildx(ws, &args)
}

#[test]
fn downloads_go_through_the_build_arg_proxy_and_nothing_leaks_into_any_image() {
    let Some(_engine) = engine() else { return };
    let password = format!("canary-proxy-pw-{}", unique_token());
    let proxy = AuthProxy::start(&[("strata", &password)]);
    let url = proxy.url("strata", &password);
    // npm 9 (Debian's, in the node stand-in) sends some of its parallel CONNECTs without the
    // proxy credentials and gets 407 from an authenticating proxy: the Node build goes through
    // a proxy that asks for none, with the same canary in its URL.
    let open_proxy = AuthProxy::start(&[]);
    let open_url = open_proxy.url("strata", &password);
    let scratch = Workspace::empty("leak-patterns");
    let patterns = leak_patterns(&scratch.dir, &[&password]);
    // Positive control: an image that does carry the canary must be caught, or a clean scan
    // below proves nothing.
    scratch.write("control/leak.txt", &format!("HTTPS_PROXY={url}\n"));
    let imported = Command::new("sh")
        .arg("-c")
        .arg("tar -C control -c . | docker import - strata-test/leaks:control")
        .current_dir(&scratch.dir)
        .output()
        .expect("sh runs");
    assert!(imported.status.success(), "docker import failed");
    assert!(
        scan_image("strata-test/leaks:control", &patterns).is_some(),
        "the scan misses a canary that is there"
    );

    for example in [
        "go-web",
        "python-uv",
        "python-pip",
        "python-poetry",
        "rust-axum",
        "node-npm",
    ] {
        let ws = example_on_host_network(example);
        for target in ["deps", "build", "runtime"] {
            let tag = format!("strata-test/leaks:{example}-{target}");
            let through = if example.starts_with("node-") {
                &open_url
            } else {
                &url
            };
            let mut args = proxy_args(through);
            args.extend(
                [
                    "--secret", CA_SECRET, "--target", target, "--load", "-t", &tag,
                ]
                .map(String::from),
            );
            if target == "deps" {
                // Start the package manager's cache mount empty too, so the dependency step
                // really downloads through the proxy.
                args.push("--no-cache".to_string());
            }
            build(&ws, &args).assert_success();
            if let Some(hit) = scan_image(&tag, &patterns) {
                panic!("{example} --target {target}: a build input leaked: {hit}");
            }
        }
    }
    let log = proxy.log();
    assert!(
        log.contains("CONNECT pypi.org:443") || log.contains("CONNECT files.pythonhosted.org:443"),
        "the Python downloads did not use the proxy:\n{log}"
    );
    assert!(
        open_proxy.log().contains("CONNECT registry.npmjs.org:443"),
        "the npm downloads did not use the proxy:\n{}",
        open_proxy.log()
    );
}

#[test]
fn changing_only_the_proxy_reexecutes_nothing() {
    let Some(_engine) = engine() else { return };
    let proxy = AuthProxy::start(&[("first", "one-password"), ("second", "another-password")]);
    let ws = example_on_host_network("python-pip");
    let with_ca = ["--secret".to_string(), CA_SECRET.to_string()];

    let mut args = proxy_args(&proxy.url("first", "one-password"));
    args.extend(with_ca.clone());
    build(&ws, &args).assert_success();

    let mut args = proxy_args(&proxy.url("second", "another-password"));
    args.extend(with_ca);
    let again = build(&ws, &args);
    again.assert_success();
    assert!(
        again.executed_steps().is_empty(),
        "a proxy change re-ran steps:\n{}",
        again.summary()
    );
}

#[test]
fn a_proxy_that_refuses_the_credentials_fails_the_dependency_step() {
    let Some(_engine) = engine() else { return };
    let proxy = AuthProxy::start(&[("strata", "the-right-one")]);
    let ws = example_on_host_network("python-pip");
    let mut args = proxy_args(&proxy.url("strata", "a-wrong-one"));
    args.extend(["--secret", CA_SECRET, "--no-cache"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, log) = buildx_plain(&ws, &args);
    assert!(
        !ok,
        "the build passed a proxy that refused it: the proxy is not in the path"
    );
    assert!(
        log.contains("strata: [strata deps] pip install (requirements.txt) failed: the proxy refused the connection or its credentials"),
        "no strata hint naming the step and the proxy credentials:\n{log}"
    );
}
