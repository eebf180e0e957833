//! What every step that downloads gets, whichever provider planned it: the CA bundle the build
//! passes, merged with the image's own roots and handed to every tool; the spec's secrets; and
//! the known causes of a failed download with their fixes, so "x509: certificate signed by
//! unknown authority" arrives with the spec key or build flag that fixes it.
//!
//! A step downloads when it mounts the CA bundle: providers give the CA to exactly those steps,
//! and everything here keys on that one fact.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::CA_TARGET;
use crate::plan::{FailureHint, Mount, Plan, RunStep, Step};
use crate::spec::Spec;
use crate::spec::mirrors::MIRROR_KEYS;

/// An in-memory directory where the merged bundle is written: the step's filesystem becomes a
/// layer, this directory never does.
const TRUST_DIR: &str = "/run/strata-trust";

/// Where the step's tools find the merged bundle.
const TRUSTED_BUNDLE: &str = "/run/strata-trust/ca-bundle.pem";

/// The image's own roots, where Debian/Ubuntu, Alpine, and Fedora/RHEL keep them.
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/cert.pem",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// The variables each tool reads its CA bundle from: Go, uv and OpenSSL (SSL_CERT_FILE), pip,
/// Node and corepack, npm and pnpm, yarn 1, cargo, and git. Each of them *replaces* its roots
/// with the file (Node's adds), which is why the file is the merged bundle and not the secret.
const CA_VARIABLES: [&str; 7] = [
    "SSL_CERT_FILE",
    "PIP_CERT",
    "NODE_EXTRA_CA_CERTS",
    "npm_config_cafile",
    "YARN_CAFILE",
    "CARGO_HTTP_CAINFO",
    "GIT_SSL_CAINFO",
];

/// The shell that runs before a download step's own script: when the build passed the CA, the
/// image's roots and the CA are written into one bundle and every tool is pointed at it, so
/// a proxy's or registry's private CA is trusted and public hosts stay trusted. Without the
/// secret nothing changes and the tools use the image's roots.
pub(super) fn trust_preamble() -> String {
    let exports: Vec<String> = CA_VARIABLES
        .iter()
        .map(|v| format!("{v}={TRUSTED_BUNDLE}"))
        .collect();
    format!(
        "if [ -f {CA_TARGET} ]; then \
         for roots in {}; do if [ -f \"$roots\" ]; then cat \"$roots\"; echo; break; fi; done > {TRUSTED_BUNDLE}; \
         cat {CA_TARGET} >> {TRUSTED_BUNDLE}; export {}; fi; ",
        SYSTEM_BUNDLES.join(" "),
        exports.join(" ")
    )
}

/// Where the forwarded agent's socket appears (BuildKit's own default for `RUN --mount=type=ssh`).
const SSH_AGENT_SOCKET: &str = "/run/buildkit/ssh_agent.0";

/// The host keys from `ssh.known_hosts`, written next to the merged bundle (in memory).
const KNOWN_HOSTS: &str = "/run/strata-trust/known_hosts";

/// Carries `ssh.known_hosts` into the step; the preamble writes it to [`KNOWN_HOSTS`].
const KNOWN_HOSTS_VARIABLE: &str = "STRATA_KNOWN_HOSTS";

/// `ssh:`: the agent, the host keys, and an ssh that checks them strictly and never prompts.
/// Each tool that fetches git over SSH runs the git CLI (cargo when told to), and git runs
/// GIT_SSH_COMMAND.
fn ssh_preamble_and_env(spec: &Spec) -> (String, Vec<(&'static str, String)>) {
    let Some(ssh) = &spec.ssh else {
        return (String::new(), Vec::new());
    };
    let env = vec![
        ("SSH_AUTH_SOCK", SSH_AGENT_SOCKET.to_string()),
        (KNOWN_HOSTS_VARIABLE, ssh.known_hosts.join("\n")),
        (
            "GIT_SSH_COMMAND",
            format!(
                "ssh -o UserKnownHostsFile={KNOWN_HOSTS} -o GlobalKnownHostsFile=/dev/null \
                 -o StrictHostKeyChecking=yes -o BatchMode=yes"
            ),
        ),
        ("CARGO_NET_GIT_FETCH_WITH_CLI", "true".to_string()),
    ];
    let preamble = format!("printf '%s\\n' \"${KNOWN_HOSTS_VARIABLE}\" > {KNOWN_HOSTS}; ");
    (preamble, env)
}

/// `git.rewrite` as git's environment-only configuration (no file in any layer).
fn git_rewrite_env(spec: &Spec) -> Vec<(String, String)> {
    if spec.git_rewrites.is_empty() {
        return Vec::new();
    }
    let mut env = vec![(
        "GIT_CONFIG_COUNT".to_string(),
        spec.git_rewrites.len().to_string(),
    )];
    for (i, (from, to)) in spec.git_rewrites.iter().enumerate() {
        env.push((format!("GIT_CONFIG_KEY_{i}"), format!("url.{to}.insteadOf")));
        env.push((format!("GIT_CONFIG_VALUE_{i}"), from.clone()));
    }
    env
}

/// Where a download step finds the settings build args gave (`env`, export lines).
const BUILD_SETTINGS_DIR: &str = "/run/strata-build-settings";

/// Moves the values build args gave (mirrors) out of a download step's env into settings the
/// step reads at run time, so changing them rebuilds nothing: with a lockfile the packages are
/// hash-checked, and only the route to them changes. Returns the setup that reads them.
fn carry_build_settings(run: &mut RunStep, spec: &Spec) -> Option<String> {
    let moved: BTreeMap<String, String> = MIRROR_KEYS
        .iter()
        .filter(|mirror| spec.mirror_args.contains_key(mirror.key))
        .flat_map(|mirror| mirror.step_env)
        .filter_map(|name| run.env.remove(*name).map(|value| (name.to_string(), value)))
        .collect();
    if moved.is_empty() {
        return None;
    }
    let listing: Vec<String> = moved.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let id = format!(
        "strata/build-settings/{}",
        &hex::encode(Sha256::digest(listing.join("\n")))[..16]
    );
    run.mounts.push(Mount::BuildSettings {
        target: BUILD_SETTINGS_DIR.to_string(),
        id,
        env: moved,
    });
    Some(format!(
        "if [ ! -f {BUILD_SETTINGS_DIR}/env ]; then echo 'strata: the settings from build args \
         are missing from the builder'\\''s cache (pruned during the build?): build again' >&2; \
         exit 1; fi; . {BUILD_SETTINGS_DIR}/env"
    ))
}

/// Gives every download step the merged CA bundle, the SSH agent and git settings, the spec's
/// secrets, the settings build args gave and the failure hints.
pub(super) fn finish_download_steps(plan: &mut Plan, spec: &Spec) {
    let (ssh_preamble, ssh_env) = ssh_preamble_and_env(spec);
    let preamble = format!("{}{ssh_preamble}", trust_preamble());
    let git_env = git_rewrite_env(spec);
    let hints = failure_hints(spec);
    let downloads = plan
        .stages
        .iter_mut()
        .flat_map(|stage| stage.steps.iter_mut())
        .filter_map(|step| match step {
            Step::Run(run) if downloads(run) => Some(run),
            _ => None,
        });
    for run in downloads {
        run.setup = preamble.trim_end_matches("; ").to_string();
        if let Some(read_settings) = carry_build_settings(run, spec) {
            run.setup = format!("{}; {read_settings}", run.setup);
        }
        run.mounts.push(Mount::Tmpfs {
            target: TRUST_DIR.to_string(),
        });
        if let Some(ssh) = &spec.ssh {
            run.mounts.push(Mount::SshAgent {
                id: ssh.id.clone(),
                target: SSH_AGENT_SOCKET.to_string(),
            });
        }
        for (name, value) in &ssh_env {
            run.env.insert(name.to_string(), value.clone());
        }
        run.env.extend(git_env.iter().cloned());
        for secret in &spec.secrets {
            run.mounts.push(Mount::Secret {
                id: secret.id.clone(),
                target: secret.target.clone(),
                required: secret.required,
            });
        }
        run.failure_hints = hints.clone();
        // A build cannot answer a prompt: a tool that would ask for credentials (pip on a 401
        // or 407, git over HTTPS) must fail and say why instead of reading a closed stdin.
        for (name, value) in NO_PROMPTS {
            run.env.insert(name.to_string(), value.to_string());
        }
    }
}

const NO_PROMPTS: [(&str, &str); 2] = [("GIT_TERMINAL_PROMPT", "0"), ("PIP_NO_INPUT", "1")];

/// Whether any step of the plan downloads.
pub(super) fn plan_downloads(plan: &Plan) -> bool {
    plan.stages
        .iter()
        .flat_map(|stage| &stage.steps)
        .any(|step| matches!(step, Step::Run(run) if downloads(run)))
}

/// Every download step is a `/bin/sh -c` script (providers write them so) that mounts the CA.
pub(super) fn downloads(run: &RunStep) -> bool {
    let mounts_ca = run
        .mounts
        .iter()
        .any(|m| matches!(m, Mount::Secret { target, .. } if target == CA_TARGET));
    debug_assert!(
        !mounts_ca || matches!(run.argv.as_slice(), [sh, c, _] if sh == "/bin/sh" && c == "-c"),
        "download step `{}` is not a shell script",
        run.name
    );
    mounts_ca
}

/// The causes, checked in order: the proxy's refusal (a 407, or tinyproxy's 401 to a CONNECT)
/// must be named before the generic authentication cause. Fragments are what pip, uv, npm, pnpm, yarn, cargo, git and Go print.
fn failure_hints(spec: &Spec) -> Vec<FailureHint> {
    let ca = &spec.ca_secret;
    let ssh_login = match &spec.ssh {
        Some(ssh) => format!(
            "the git server refused the SSH login: forward an agent holding the key with \
             --ssh {id} (docker buildx build --ssh {id}=$SSH_AUTH_SOCK …; ssh-add -l lists its \
             keys)",
            id = ssh.id
        ),
        None => "the git server wants an SSH login: declare `ssh:` with the server's \
                 known_hosts in strata.yaml and build with --ssh default"
            .to_string(),
    };
    vec![
        hint(
            "tls",
            &[
                "UnknownIssuer",
                "invalid peer certificate",
                "certificate verify failed",
                "unable to get local issuer certificate",
                "self-signed certificate in certificate chain",
                "self signed certificate in certificate chain",
                "certificate signed by unknown authority",
                "SELF_SIGNED_CERT_IN_CHAIN",
                "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
                "SSL certificate problem",
            ],
            &format!(
                "a TLS certificate was not trusted: HTTPS passes a proxy or reaches a registry \
                 with a private CA. Pass that CA (or a bundle holding it) as a build secret: \
                 --secret id={ca},src=/etc/ssl/certs/ca-certificates.crt (strata adds it to the \
                 image's roots; the id is ca.secret in strata.yaml)"
            ),
        ),
        hint(
            "unsigned-registry",
            &["No compatible signature found in package metadata"],
            "corepack could not check the package manager's signature: the npm registry (or \
             its mirror) serves none. Pin it with its hash, which corepack checks instead: \
             `corepack use pnpm@<version>` (or yarn) writes `\"packageManager\": \
             \"pnpm@<version>+sha512.…\"` into package.json",
        ),
        hint(
            "ssh-host-key",
            &[
                "Host key verification failed",
                "REMOTE HOST IDENTIFICATION HAS CHANGED",
                "host key is known for",
            ],
            "the git server's SSH host key is not one strata.yaml trusts: add the line \
             `ssh-keyscan -p PORT HOST` prints to ssh.known_hosts, after checking it is the \
             server you expect",
        ),
        hint(
            "ssh-login",
            &[
                "Permission denied (publickey",
                "Could not open a connection to your authentication agent",
                "Error connecting to agent",
                "communication with agent failed",
                "agent refused operation",
            ],
            &ssh_login,
        ),
        hint(
            "go-vcs",
            &["no secure protocol found for repository"],
            "Go could not fetch a module from its git repository over https or ssh (Go does \
             not show git's own error here): for SSH set git.rewrite to the ssh:// URL, list the \
             server in ssh.known_hosts and build with --ssh default; for HTTPS declare a netrc \
             under secrets:",
        ),
        hint(
            "proxy",
            &[
                "407 Proxy",
                "error code E407",
                "Tunnel connection failed",
                "Cannot connect to proxy",
            ],
            "the proxy refused the connection or its credentials: check the host and \
             user:password in --build-arg HTTPS_PROXY (or HTTP_PROXY, proxy.https)",
        ),
        hint(
            "auth",
            &[
                "401 Unauthorized",
                "403 Forbidden",
                "status code 401",
                "status code 403",
                "error code E401",
                "error code E403",
                "authentication required",
                "Authentication failed",
                "client error (401",
                "client error (403",
            ],
            "the registry wants credentials: declare the file your package manager reads \
             (netrc, .npmrc, pip.conf, cargo credentials) under secrets: in strata.yaml and \
             pass it with --secret id=...,src=...",
        ),
        hint(
            "not-found",
            &[
                "from versions: none",
                "No matching distribution found",
                "error code E404",
                "404 Not Found",
                "no matching package named",
            ],
            "a package was not found: check its pinned version and the index the spec names \
             (python.index, …); a private index that wants credentials can answer this way too \
             (pip does on a 401): declare them under secrets: and pass --secret id=...,src=...",
        ),
        hint(
            "dns",
            &[
                "Could not resolve host",
                "Temporary failure in name resolution",
                "no such host",
                "ENOTFOUND",
                "EAI_AGAIN",
                "Name or service not known",
                "failed to lookup address",
                "dns error",
            ],
            "a host name did not resolve inside the build: without direct internet access set \
             proxy.https in strata.yaml (or --build-arg HTTPS_PROXY) or a mirror; for a host \
             on this machine use network.deps: host with --allow network.host",
        ),
        hint(
            "network",
            &[
                "timed out",
                "ETIMEDOUT",
                "Connection refused",
                "ECONNREFUSED",
                "Network is unreachable",
                "ENETUNREACH",
                "Connection reset",
                "ECONNRESET",
            ],
            "the network did not answer: set proxy.https in strata.yaml (or --build-arg \
             HTTPS_PROXY) or a mirror that this build can reach",
        ),
        // Last: a download that failed (a prebuilt binary's host unreachable) is the cause
        // when the compiling that followed it failed too.
        hint(
            "no-wheel",
            &[
                "pg_config executable not found",
                "Failed building wheel for",
                "Failed to build `",
                "Failed to build installable wheels",
                "error: command 'gcc' failed",
                "error: command 'cc' failed",
            ],
            "a package had to be compiled from its source (it has no wheel for this Python), \
             and the builder has no C compiler: an older pin often lacks wheels for a newer \
             Python, so pin the Python the project was locked with in .python-version (e.g. \
             `3.12`), or move the pin to a release with wheels",
        ),
        hint(
            "native-addon",
            &["gyp ERR!", "node-gyp rebuild", "prebuild-install warn"],
            "a native addon had to be compiled (node-gyp), and the builder has no compiler: pin \
             a release with prebuilt binaries for this Node (an older Node in .nvmrc, or a \
             newer release of the package), or set images.builder to an image with python3, \
             make and g++",
        ),
    ]
}

fn hint(cause: &str, fragments: &[&str], text: &str) -> FailureHint {
    FailureHint {
        cause: cause.to_string(),
        fragments: fragments.iter().map(|f| f.to_string()).collect(),
        hint: text.to_string(),
    }
}
