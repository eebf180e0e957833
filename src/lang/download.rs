//! What every step that downloads gets, whichever provider planned it: the spec's secrets, and
//! the known causes of a failed download with their fixes, so "x509: certificate signed by
//! unknown authority" arrives with the spec key or build flag that fixes it.
//!
//! A step downloads when it mounts the CA bundle: providers give the CA to exactly those steps,
//! and everything here keys on that one fact.

use super::CA_TARGET;
use crate::plan::{FailureHint, Mount, Plan, RunStep, Step};
use crate::spec::Spec;

/// Mounts the spec's secrets into every download step and gives it the failure hints.
pub(super) fn finish_download_steps(plan: &mut Plan, spec: &Spec) {
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

fn downloads(run: &RunStep) -> bool {
    run.mounts
        .iter()
        .any(|m| matches!(m, Mount::Secret { target, .. } if target == CA_TARGET))
}

/// The causes, checked in order: the proxy's refusal (a 407, or tinyproxy's 401 to a CONNECT)
/// must be named before the generic authentication cause. Fragments are what pip, uv, npm, pnpm, yarn, cargo, git and Go print.
fn failure_hints(spec: &Spec) -> Vec<FailureHint> {
    let ca = &spec.ca_secret;
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
                 with a private CA. Pass the CA bundle as a build secret: \
                 --secret id={ca},src=/etc/ssl/certs/ca-certificates.crt (a full bundle; the id \
                 is ca.secret in strata.yaml)"
            ),
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
    ]
}

fn hint(cause: &str, fragments: &[&str], text: &str) -> FailureHint {
    FailureHint {
        cause: cause.to_string(),
        fragments: fragments.iter().map(|f| f.to_string()).collect(),
        hint: text.to_string(),
    }
}
