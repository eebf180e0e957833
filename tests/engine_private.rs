//! Private dependencies on the real engine: a package index on loopback that demands HTTP
//! basic credentials (tests/fixtures/private-index.py), reached by pip with a netrc that the
//! spec's `secrets:` mounts into the dependency step only.

mod support;

use support::*;

/// A pip project whose one dependency lives on the private index, with the netrc declared;
/// the requirements file names the index.
fn private_project(index: &PrivateIndex) -> Workspace {
    let ws = private_project_without_index();
    ws.write(
        "requirements.txt",
        &format!(
            "--index-url http://127.0.0.1:{}/simple/\nstrata-private-greeting==1.0.0\n",
            index.port
        ),
    );
    ws
}

/// The same project with a requirements file that names no index.
fn private_project_without_index() -> Workspace {
    let ws = Workspace::copy_of("python-pip");
    ws.write("requirements.txt", "strata-private-greeting==1.0.0\n");
    ws.write(
        "app.py",
        "from strata_private_greeting import MESSAGE\n\nprint(MESSAGE)\n",
    );
    ws.append(
        "strata.yaml",
        "network:\n  deps: host\nsecrets:\n  - id: netrc\n    target: /root/.netrc\n",
    );
    ws
}

#[test]
fn a_netrc_secret_reaches_the_private_index_and_no_layer() {
    let Some(_engine) = engine() else { return };
    let password = format!("canary-index-pw-{}", unique_token());
    let index = PrivateIndex::start("strata", &password, 0);
    let ws = private_project(&index);
    ws.write(
        "netrc",
        &format!("machine 127.0.0.1 login strata password {password}\n"),
    );
    let secret = format!("id=netrc,src={}", ws.path("netrc").display());

    // Declared secrets are required: a build without it stops before downloading anything.
    let without = buildx(&ws, &["--no-cache"]);
    assert!(!without.success, "built without the required netrc");
    assert!(
        without.errors().contains("netrc"),
        "the failure does not name the missing secret: {}",
        without.errors()
    );

    let tag = "strata-test/private:netrc";
    buildx(
        &ws,
        &["--secret", &secret, "--no-cache", "--load", "-t", tag],
    )
    .assert_success();
    assert_eq!(
        docker_ok(&["run", "--rm", tag]),
        "hello from the private index"
    );

    let deps_tag = "strata-test/private:netrc-deps";
    buildx(
        &ws,
        &[
            "--secret", &secret, "--target", "deps", "--load", "-t", deps_tag,
        ],
    )
    .assert_success();
    let scratch = Workspace::empty("private-patterns");
    let patterns = leak_patterns(&scratch.dir, &[&password]);
    for image in [tag, deps_tag] {
        if let Some(hit) = scan_image(image, &patterns) {
            panic!("{image}: the netrc leaked: {hit}");
        }
    }
}

#[test]
fn an_optional_secret_left_out_reaches_the_index_without_credentials() {
    let Some(_engine) = engine() else { return };
    let index = PrivateIndex::start("strata", "never-sent", 0);
    let ws = private_project(&index);
    let spec = ws.read("strata.yaml");
    ws.write(
        "strata.yaml",
        &spec.replace(
            "target: /root/.netrc\n",
            "target: /root/.netrc\n    required: false\n",
        ),
    );
    let (ok, log) = buildx_plain(&ws, &["--no-cache"]);
    assert!(!ok, "the index let an anonymous build in");
    // pip, told never to prompt, reports the index's 401 as "from versions: none".
    assert!(
        log.contains("from versions: none"),
        "pip did not report the refusal:\n{log}"
    );
    assert!(
        log.contains("failed: a package was not found") && log.contains("under secrets:"),
        "no strata hint pointing at `secrets:`:\n{log}"
    );
}

#[test]
fn python_index_in_the_spec_points_pip_at_the_mirror() {
    let Some(_engine) = engine() else { return };
    let password = format!("canary-mirror-pw-{}", unique_token());
    let index = PrivateIndex::start("strata", &password, 0);
    let ws = private_project_without_index();
    ws.append(
        "strata.yaml",
        &format!(
            "python:\n  index: http://127.0.0.1:{}/simple/\n",
            index.port
        ),
    );
    ws.write(
        "netrc",
        &format!("machine 127.0.0.1 login strata password {password}\n"),
    );
    let secret = format!("id=netrc,src={}", ws.path("netrc").display());
    let tag = "strata-test/private:mirror";
    buildx(
        &ws,
        &["--secret", &secret, "--no-cache", "--load", "-t", tag],
    )
    .assert_success();
    assert_eq!(
        docker_ok(&["run", "--rm", tag]),
        "hello from the private index"
    );
}
