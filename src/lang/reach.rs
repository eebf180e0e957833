//! `strata doctor`'s look from inside the engine, as a plan: one step on the dependency
//! stage's image, with that stage's network, proxy, secrets and CA handling, that tries every
//! URL the dependency steps fetch from — first trusting the image's own roots, then, when the
//! build passes the CA secret, the merged bundle the download steps use. The step never fails:
//! what it found is the stage's result, a directory the doctor exports and reads.

use std::collections::BTreeMap;

use super::CA_TARGET;
use super::download::{downloads, trust_preamble};
use crate::plan::{Mount, Network, Plan, RunStep, RunsOn, Stage, StageName, StageResult, Step};

/// Where the check writes its findings: the result of the plan's only stage.
pub const REPORT_DIR: &str = "/strata-doctor";
/// One JSON object per line and URL: `url`, `trust`, `tool`, `via`, `failed_at` (`dns`,
/// `connect`, `proxy`, `tls`, `http`, `untested`, or null), `detail`, `status`.
pub const REACH_REPORT: &str = "reach.jsonl";
/// What the engine said of itself, as the frontend passed it in.
pub const ENGINE_REPORT: &str = "engine.json";

/// The `trust` of the two passes.
pub const IMAGE_ROOTS: &str = "image roots";
pub const WITH_CA_SECRET: &str = "image roots + CA secret";

const CHECK_PY: &str = include_str!("reach/check.py");
const CHECK_JS: &str = include_str!("reach/check.js");

/// The check runs whichever client the image has: Python (the uv and pip images), Node (the
/// Node image), curl (the Go image), cargo (the Rust image), else DNS and a TCP connect. curl
/// gets the merged bundle named, because Debian's curl reads its compiled-in bundle, not
/// SSL_CERT_FILE.
const CHECK_SH: &str = r#"# The proxy a URL goes through, as curl and cargo read the environment.
proxy_for() { case $1 in https:*) echo "${https_proxy:-${HTTPS_PROXY:-}}" ;; *) echo "${http_proxy:-${HTTP_PROXY:-}}" ;; esac; }
# One report line: URL TOOL STAGE DETAIL [STATUS]; STAGE is null or a quoted name.
found() {
  printf '{"url":"%s","trust":"%s","tool":"%s","via":"%s","failed_at":%s,"status":%s,"detail":"%s"}\n' \
    "$1" "$trust" "$2" "$(proxy_for "$1")" "$3" "${5:-null}" "$4"
}
check() {
  trust=$1; shift
  if command -v python3 >/dev/null 2>&1; then python3 -c "$STRATA_CHECK_PY" "$trust" "$@"
  elif command -v node >/dev/null 2>&1; then node -e "$STRATA_CHECK_JS" "$trust" "$@"
  elif command -v curl >/dev/null 2>&1; then
    for url; do
      status=$(curl -sS -o /dev/null -w '%{http_code}' --connect-timeout 10 --max-time 30 ${SSL_CERT_FILE:+--cacert "$SSL_CERT_FILE"} "$url" 2>/tmp/strata-curl.err)
      code=$?
      detail=$(tr -d '"\\\n\r' </tmp/strata-curl.err | cut -c1-300)
      case $code in
        0) stage=null ;; 5|6) stage='"dns"' ;; 7|28) stage='"connect"' ;; 56|97) stage='"proxy"' ;;
        60|77|83) stage='"tls"'; detail="certificate not trusted: $detail" ;;
        35|51|58|59|90|91) stage='"tls"' ;; *) stage='"http"' ;;
      esac
      # A failed transfer's status is 000: no answer, so none in the report.
      [ "$code" = 0 ] || status=
      found "$url" curl "$stage" "$detail" "$status"
    done
  elif command -v cargo >/dev/null 2>&1; then
    # The Rust images have cargo only: it fetches a small crate from the registry (its index,
    # then its file host) through libcurl, whose error codes say what failed.
    project=$(mktemp -d); home=$(mktemp -d)
    printf '[package]\nname = "strata-check"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nitoa = "1"\n' >"$project/Cargo.toml"
    mkdir "$project/src"; : >"$project/src/lib.rs"
    for url; do
      case $url in
        https://index.crates.io/) set -- generate-lockfile ;;
        https://static.crates.io/) set -- fetch ;;
        *) set -- generate-lockfile --config 'source.crates-io.replace-with="strata-check"' --config "source.strata-check.registry=\"sparse+${url%/}/\"" ;;
      esac
      if (cd "$project" && CARGO_HOME=$home timeout 60 cargo "$@" -q) >/tmp/strata-cargo.err 2>&1; then
        stage=null; detail="cargo fetched a crate through it"
      else
        detail=$(tr -d '"\\\n\r' </tmp/strata-cargo.err | sed 's/.*\(\[[0-9][0-9]*\] [^(]*([^)]*)\).*/\1/' | cut -c1-300)
        case $detail in
          *"[6]"*) stage='"dns"' ;; *"[7]"*|*"[28]"*) stage='"connect"' ;; *"[5]"*|*"[56]"*|*"[97]"*) stage='"proxy"' ;;
          *"[60]"*|*"[77]"*|*"certificate"*) stage='"tls"'; detail="certificate not trusted: $detail" ;;
          *"[35]"*) stage='"tls"' ;; *) stage='"http"' ;;
        esac
      fi
      found "$url" cargo "$stage" "$detail"
    done
    rm -rf "$project" "$home"
  else
    # No client: name resolution (getent) and a TCP connect (bash), to the proxy when one is set.
    for url; do
      via=$(proxy_for "$url")
      case $url in https:*) port=443 ;; *) port=80 ;; esac
      [ -n "$via" ] && port=80
      authority=${via:-$url}; authority=${authority#*://}; authority=${authority%%/*}; authority=${authority##*@}
      host=${authority%:*}
      [ "$host" != "$authority" ] && port=${authority##*:}
      if ! getent hosts "$host" >/dev/null 2>&1; then
        stage='"dns"'; detail="$host does not resolve"
      elif ! command -v bash >/dev/null 2>&1; then
        stage='"untested"'; detail="$host resolves; nothing else tried: the image has no bash, python3, node or curl"
      elif ! timeout 10 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; then
        stage='"connect"'; detail="nothing answers at $host:$port"
      else
        stage='"untested"'; detail="$host resolves and connects; TLS and HTTP not tried: the image has no python3, node or curl"
      fi
      found "$url" getent+bash "$stage" "$detail"
    done
  fi
}
"#;

/// The plan of the check for `plan`, carrying `engine_facts` (JSON) into its report.
pub fn reachability_plan(plan: &Plan, engine_facts: &str) -> Plan {
    let deps = plan
        .stage(StageName::Deps)
        .expect("every plan has a dependency stage");
    let download = deps.steps.iter().find_map(|step| match step {
        Step::Run(run) if downloads(run) => Some(run),
        _ => None,
    });
    let urls: Vec<String> = plan.contacts.iter().map(|u| format!("'{u}'")).collect();
    let urls = urls.join(" ");
    let script = format!(
        "{CHECK_SH}printf '%s\\n' \"$STRATA_ENGINE\" > {REPORT_DIR}/{ENGINE_REPORT}; \
         check '{IMAGE_ROOTS}' {urls} >> {REPORT_DIR}/{REACH_REPORT}; \
         {preamble}\
         if [ -f {CA_TARGET} ]; then check '{WITH_CA_SECRET}' {urls} >> {REPORT_DIR}/{REACH_REPORT}; fi",
        preamble = trust_preamble(),
    );
    let mut env: BTreeMap<String, String> = download.map(|d| d.env.clone()).unwrap_or_default();
    env.extend([
        ("STRATA_ENGINE".to_string(), engine_facts.to_string()),
        ("STRATA_CHECK_PY".to_string(), CHECK_PY.to_string()),
        ("STRATA_CHECK_JS".to_string(), CHECK_JS.to_string()),
    ]);
    // The secrets (the CA among them) and the in-memory trust directory, as the download step
    // has them; not its caches or context, which the check has no use for.
    let mut mounts: Vec<Mount> = download
        .map(|d| {
            d.mounts
                .iter()
                .filter(|m| matches!(m, Mount::Secret { .. } | Mount::Tmpfs { .. }))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    mounts.push(Mount::Output {
        target: REPORT_DIR.to_string(),
    });
    let check = RunStep {
        name: format!(
            "[strata doctor] reach {}",
            if plan.contacts.is_empty() {
                "nothing (no dependency step downloads)".to_string()
            } else {
                plan.contacts.join(", ")
            }
        ),
        argv: vec!["/bin/sh".into(), "-c".into(), script],
        env,
        cwd: "/".to_string(),
        mounts,
        network: download.map_or(Network::Default, |d| d.network),
        proxy: download.and_then(|d| d.proxy.clone()),
        setup: String::new(),
        failure_hints: Vec::new(),
    };
    Plan {
        stages: vec![Stage {
            name: StageName::Deps,
            base: deps.base.clone(),
            runs_on: RunsOn::Build {
                target_env: BTreeMap::new(),
            },
            steps: vec![Step::Run(check)],
            result: StageResult::OutputDir {
                path: REPORT_DIR.to_string(),
            },
        }],
        warnings: Vec::new(),
        ..plan.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{self, ContextFiles};
    use crate::spec;

    fn python_plan(spec_text: &str) -> Plan {
        let spec = spec::parse(spec_text.as_bytes()).expect("the spec parses");
        let mut files = ContextFiles::default();
        for path in ["pyproject.toml", "uv.lock", "app.py"] {
            files.paths.insert(path.to_string());
        }
        files.contents.insert(
            "pyproject.toml".to_string(),
            "[project]\nname = \"app\"\nversion = \"1\"\n".to_string(),
        );
        lang::plan(&spec, &files).expect("the project plans")
    }

    #[test]
    fn the_check_runs_like_the_download_step_and_tries_every_contact() {
        let plan = python_plan(
            "version: 1\nlanguage: python\nproxy:\n  https: http://proxy.corp:3128\npython:\n  index: https://pypi.corp/simple/\n",
        );
        let check = reachability_plan(&plan, "{}");
        let [stage] = check.stages.as_slice() else {
            panic!("one stage: {check:?}")
        };
        assert_eq!(stage.base, plan.stages[0].base);
        let [Step::Run(run)] = stage.steps.as_slice() else {
            panic!("one step: {stage:?}")
        };
        let script = &run.argv[2];
        assert!(script.contains("'https://pypi.corp/simple/'"), "{script}");
        assert!(script.contains(&trust_preamble()), "{script}");
        assert_eq!(
            run.proxy.as_ref().and_then(|p| p.https.as_deref()),
            Some("http://proxy.corp:3128")
        );
        assert!(
            run.mounts
                .iter()
                .any(|m| matches!(m, Mount::Secret { target, .. } if target == CA_TARGET))
        );
        assert!(
            !run.mounts
                .iter()
                .any(|m| matches!(m, Mount::Cache { .. } | Mount::Context { .. }))
        );
        assert_eq!(
            stage.result,
            StageResult::OutputDir {
                path: REPORT_DIR.to_string()
            }
        );
        assert_eq!(run.env["STRATA_ENGINE"], "{}");
    }
}
