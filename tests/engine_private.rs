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
    // Where a user keeps it: outside the build context (a file in the context is the
    // context's, and .dockerignore is what keeps it out of the image).
    let home = Workspace::empty("private-home");
    home.write(
        "netrc",
        &format!("machine 127.0.0.1 login strata password {password}\n"),
    );
    let secret = format!("id=netrc,src={}", home.path("netrc").display());

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
    // Kept outside the build context, where a user keeps it.
    let home = Workspace::empty("netrc-home");
    home.write(
        "netrc",
        &format!("machine 127.0.0.1 login strata password {password}\n"),
    );
    let secret = format!("id=netrc,src={}", home.path("netrc").display());
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

/// A private module on GitHub, the common case: Go knows github.com paths are git repositories
/// at `https://github.com/<org>/<repo>`, which `git.rewrite` sends to the test's SSH server.
const PRIVATE_MODULE: &str = "github.com/strata-test-corp/greet";

/// A Go program that needs the private module, fetched over SSH through `git.rewrite`, with
/// `known_hosts` as the server's host key entry.
fn private_module_project(server: &GitSshServer, known_hosts: &str) -> Workspace {
    let ws = Workspace::empty("go-private-ssh");
    ws.write(
        "go.mod",
        &format!("module example.com/hello\n\ngo 1.24\n\nrequire {PRIVATE_MODULE} v1.0.0\n"),
    );
    ws.write("go.sum", &server.go_sum);
    ws.write(
        "main.go",
        &format!(
            "package main\n\nimport (\n\t\"fmt\"\n\n\tgreet \"{PRIVATE_MODULE}\"\n)\n\n\
             func main() {{ fmt.Println(greet.Hello()) }}\n"
        ),
    );
    ws.write(
        "strata.yaml",
        &format!(
            "# syntax={EXAMPLE_FRONTEND}\nversion: 1\nlanguage: go\n\
             go:\n  private: [github.com/strata-test-corp]\n\
             ssh:\n  known_hosts:\n    - \"{known_hosts}\"\n\
             git:\n  rewrite:\n    \"https://github.com/\": \"{}\"\n\
             network:\n  deps: host\n",
            server.url_prefix
        ),
    );
    ws
}

#[test]
fn a_private_go_module_comes_over_ssh_with_the_forwarded_agent_and_nothing_leaks() {
    let Some(_engine) = engine() else { return };
    let server = GitSshServer::start(PRIVATE_MODULE);
    let agent = format!("default={}", server.agent_socket);
    let ws = private_module_project(&server, &server.known_hosts);
    let tag = "strata-test/private:go-ssh";
    buildx(&ws, &["--ssh", &agent, "--load", "-t", tag]).assert_success();
    assert_eq!(
        docker_ok(&["run", "--rm", tag]),
        "hello from the private module"
    );
    let patterns = leak_patterns(&ws.dir, &[&server.private_key_line]);
    assert_eq!(scan_image(tag, &patterns), None, "the image holds a secret");

    // The same build without the agent (every step runs again): the server refuses the login
    // and strata says what to pass.
    let (ok, log) = buildx_plain(&ws, &["--no-cache"]);
    assert!(!ok, "fetched the private module without an agent:\n{log}");
    assert!(
        log.contains("Permission denied (publickey")
            && log.contains("failed: the git server refused the SSH login")
            && log.contains("--ssh default"),
        "no SSH login hint:\n{log}"
    );

    // A known_hosts entry with another key: ssh refuses the server instead of trusting it.
    let impostor =
        server.known_hosts.rsplit_once(' ').unwrap().0.to_string() + " " + &server.user_public_key;
    let ws = private_module_project(&server, &impostor);
    let (ok, log) = buildx_plain(&ws, &["--ssh", &agent]);
    assert!(
        !ok,
        "trusted a server whose key is not in known_hosts:\n{log}"
    );
    assert!(
        log.contains("Host key verification failed")
            && log.contains("failed: the git server's SSH host key is not one strata.yaml trusts"),
        "no host key hint:\n{log}"
    );
}
