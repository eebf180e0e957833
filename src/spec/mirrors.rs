//! Package mirrors given at build time, as `--build-arg` under the names each ecosystem's own
//! tools read. Teams set mirrors per place (a CI's Artifactory, a nearby Go proxy), not per
//! project, so the committed spec cannot hold them: a build arg wins over the spec's key, which
//! wins over the tool's default. The spec records which keys came from build args, so the
//! plan can say where each value came from and keep those values out of the cache key.

use std::collections::BTreeMap;

use super::decode::{UrlProblem, unquotable, url_problem};
use super::model::Spec;

/// A spec key a build arg can set, and the build args that set it (the first one given wins).
pub struct MirrorKey {
    pub key: &'static str,
    pub build_args: &'static [&'static str],
    /// The variables the providers hand the value to the download steps in.
    pub step_env: &'static [&'static str],
    form: Form,
}

/// How a mirror setting is written.
#[derive(Clone, Copy)]
enum Form {
    /// One URL, or a `,`/`|` list of them, where these keywords may stand for one.
    Urls(&'static [&'static str]),
    /// URLs separated by spaces (extra indexes).
    UrlList,
    /// Go's checksum database: `off`, a name, or `name+key url`.
    SumDb,
    /// Comma-separated module path patterns (GOPRIVATE, GONOSUMDB).
    Patterns,
}

/// Every mirror setting a build arg can give, under the names the tools document: Go's own
/// variables, pip's and uv's, npm's (which pnpm and yarn read too), and for cargo, which takes
/// source replacement from config only, ours.
pub const MIRROR_KEYS: [MirrorKey; 8] = [
    MirrorKey {
        key: "go.proxy",
        build_args: &["GOPROXY"],
        step_env: &["GOPROXY"],
        form: Form::Urls(&["direct", "off"]),
    },
    MirrorKey {
        key: "go.sumdb",
        build_args: &["GOSUMDB"],
        step_env: &["GOSUMDB"],
        form: Form::SumDb,
    },
    MirrorKey {
        key: "go.private",
        build_args: &["GOPRIVATE"],
        step_env: &["GOPRIVATE"],
        form: Form::Patterns,
    },
    MirrorKey {
        key: "go.nosumdb",
        // GONOSUMCHECK was the name in Go 1.13's betas; Go reads GONOSUMDB.
        build_args: &["GONOSUMDB", "GONOSUMCHECK"],
        step_env: &["GONOSUMDB"],
        form: Form::Patterns,
    },
    MirrorKey {
        key: "python.index",
        build_args: &["PIP_INDEX_URL", "UV_DEFAULT_INDEX"],
        step_env: &["PIP_INDEX_URL", "UV_DEFAULT_INDEX"],
        form: Form::Urls(&[]),
    },
    MirrorKey {
        key: "python.extra_indexes",
        build_args: &["PIP_EXTRA_INDEX_URL", "UV_INDEX"],
        step_env: &["PIP_EXTRA_INDEX_URL", "UV_INDEX"],
        form: Form::UrlList,
    },
    MirrorKey {
        key: "node.registry",
        build_args: &["NPM_CONFIG_REGISTRY", "npm_config_registry"],
        step_env: &["npm_config_registry", "COREPACK_NPM_REGISTRY"],
        form: Form::Urls(&[]),
    },
    MirrorKey {
        key: "rust.registry",
        build_args: &["STRATA_CARGO_MIRROR"],
        step_env: &["STRATA_CARGO_MIRROR"],
        form: Form::Urls(&[]),
    },
];

impl MirrorKey {
    /// The language whose tools read it: `go` for `go.proxy`.
    pub fn language(&self) -> &'static str {
        language_of(self.key)
    }
}

/// The language a mirror key belongs to: the section it is written in.
pub fn language_of(key: &str) -> &str {
    key.split('.').next().unwrap_or(key)
}

/// Whether `name` is a build arg that sets a mirror.
pub fn is_mirror_arg(name: &str) -> bool {
    MIRROR_KEYS.iter().any(|k| k.build_args.contains(&name))
}

/// Sets the spec's mirror keys from the build args that name them and records which arg set
/// each. Every problem is returned, each naming its build arg and the fix.
pub fn apply_build_args(
    spec: &mut Spec,
    args: &BTreeMap<String, String>,
) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for mirror in &MIRROR_KEYS {
        let given: Vec<(&str, &String)> = mirror
            .build_args
            .iter()
            .filter_map(|arg| args.get(*arg).map(|value| (*arg, value)))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        let Some(&(arg, value)) = given.first() else {
            continue;
        };
        if let Some(&(other, _)) = given.iter().find(|(_, v)| *v != value) {
            problems.push(format!(
                "build args {arg} and {other} both set {} and differ; pass one of them",
                mirror.key
            ));
            continue;
        }
        if let Some(problem) = form_problem(mirror.form, value) {
            let (message, hint) = problem.explain(
                &format!("build arg {arg}"),
                "build args can be read back from the image's history",
            );
            problems.push(format!("{message}\n  = hint: {hint}"));
            continue;
        }
        set(spec, mirror.key, value);
        spec.mirror_args.insert(mirror.key, arg.to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn form_problem(form: Form, value: &str) -> Option<UrlProblem> {
    match form {
        Form::Urls(keywords) => url_problem(value, keywords),
        Form::UrlList => value.split(' ').find_map(|url| url_problem(url, &[])),
        // `name+key https://url`: only the URL part is a URL.
        Form::SumDb => value
            .split(' ')
            .filter(|part| part.contains("://"))
            .find_map(|url| url_problem(url, &[])),
        Form::Patterns => unquotable(value),
    }
}

fn set(spec: &mut Spec, key: &str, value: &str) {
    let value = value.to_string();
    match key {
        "go.proxy" => spec.go.proxy = Some(value),
        "go.sumdb" => spec.go.sumdb = Some(value),
        "go.private" => spec.go.private = Some(value),
        "go.nosumdb" => spec.go.nosumdb = Some(value),
        "python.index" => spec.python.index = Some(value),
        "python.extra_indexes" => {
            spec.python.extra_indexes = value.split(' ').map(str::to_string).collect()
        }
        "node.registry" => spec.node.registry = Some(value),
        "rust.registry" => spec.rust.registry = Some(value),
        other => unreachable!("MIRROR_KEYS names a key `set` does not know: {other}"),
    }
}

/// The mirror settings in effect, each with its value and where it came from (`build arg
/// GOPROXY` or `strata.yaml`); settings left at the tool's default are not listed.
pub fn effective(spec: &Spec) -> Vec<(String, String, String)> {
    MIRROR_KEYS
        .iter()
        .filter_map(|mirror| {
            let value = value(spec, mirror.key)?;
            let from = match spec.mirror_args.get(mirror.key) {
                Some(arg) => format!("build arg {arg}"),
                None => "strata.yaml".to_string(),
            };
            Some((mirror.key.to_string(), value, from))
        })
        .collect()
}

fn value(spec: &Spec, key: &str) -> Option<String> {
    match key {
        "go.proxy" => spec.go.proxy.clone(),
        "go.sumdb" => spec.go.sumdb.clone(),
        "go.private" => spec.go.private.clone(),
        "go.nosumdb" => spec.go.nosumdb.clone(),
        "python.index" => spec.python.index.clone(),
        "python.extra_indexes" => {
            (!spec.python.extra_indexes.is_empty()).then(|| spec.python.extra_indexes.join(" "))
        }
        "node.registry" => spec.node.registry.clone(),
        "rust.registry" => spec.rust.registry.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Spec {
        super::super::parse(yaml.as_bytes()).expect("a valid spec")
    }

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_build_arg_wins_over_the_spec_which_wins_over_the_default() {
        let mut go = spec(
            "version: 1\nlanguage: go\ngo:\n  proxy: https://spec.example\n  sumdb: sum.golang.org\n",
        );
        apply_build_args(&mut go, &args(&[("GOPROXY", "https://goproxy.cn,direct")])).unwrap();
        assert_eq!(
            effective(&go),
            [
                (
                    "go.proxy".to_string(),
                    "https://goproxy.cn,direct".to_string(),
                    "build arg GOPROXY".to_string()
                ),
                (
                    "go.sumdb".to_string(),
                    "sum.golang.org".to_string(),
                    "strata.yaml".to_string()
                ),
            ]
        );
        let untouched = spec("version: 1\nlanguage: go\n");
        assert!(effective(&untouched).is_empty(), "defaults are not listed");
    }

    #[test]
    fn each_ecosystem_reads_its_own_names() {
        for (arg, value, key) in [
            (
                "GOSUMDB",
                "sum.golang.org https://sum.corp.example/",
                "go.sumdb",
            ),
            ("GOPRIVATE", "git.corp.example/*", "go.private"),
            ("GONOSUMCHECK", "git.corp.example/*", "go.nosumdb"),
            (
                "PIP_INDEX_URL",
                "https://pypi.corp.example/simple",
                "python.index",
            ),
            (
                "UV_DEFAULT_INDEX",
                "https://pypi.corp.example/simple",
                "python.index",
            ),
            (
                "UV_INDEX",
                "https://a.example/simple https://b.example/simple",
                "python.extra_indexes",
            ),
            (
                "npm_config_registry",
                "https://npm.corp.example/",
                "node.registry",
            ),
            (
                "NPM_CONFIG_REGISTRY",
                "https://npm.corp.example/",
                "node.registry",
            ),
            (
                "STRATA_CARGO_MIRROR",
                "https://crates.corp.example/index/",
                "rust.registry",
            ),
        ] {
            let mut s = spec("version: 1\n");
            apply_build_args(&mut s, &args(&[(arg, value)])).unwrap();
            assert_eq!(
                effective(&s),
                [(
                    key.to_string(),
                    value.to_string(),
                    format!("build arg {arg}")
                )],
                "{arg}"
            );
        }
    }

    #[test]
    fn credentials_in_a_mirror_are_refused_with_the_specs_hint() {
        let mut s = spec("version: 1\n");
        let problems = apply_build_args(
            &mut s,
            &args(&[
                ("GOPROXY", "https://ci:canary-secret@athens.corp.example"),
                (
                    "UV_INDEX",
                    "https://a.example/simple https://u:p@b.example/simple",
                ),
                ("GOSUMDB", "sum.golang.org https://u:p@sum.corp.example"),
            ]),
        )
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        for problem in &problems {
            assert!(
                problem.contains("carries credentials in its URL"),
                "{problem}"
            );
            assert!(problem.contains("a netrc under `secrets:`"), "{problem}");
            assert!(!problem.contains("canary-secret"), "{problem}");
        }
        assert!(
            problems[0].starts_with("build arg GOPROXY "),
            "{problems:?}"
        );
        assert!(effective(&s).is_empty(), "a refused value is not used");
    }

    #[test]
    fn two_names_for_one_setting_must_agree() {
        let mut s = spec("version: 1\n");
        let same = args(&[
            ("PIP_INDEX_URL", "https://x.example/simple"),
            ("UV_DEFAULT_INDEX", "https://x.example/simple"),
        ]);
        apply_build_args(&mut s, &same).unwrap();
        let differ = args(&[
            ("PIP_INDEX_URL", "https://x.example/simple"),
            ("UV_DEFAULT_INDEX", "https://y.example/simple"),
        ]);
        let problems = apply_build_args(&mut s, &differ).unwrap_err();
        assert_eq!(
            problems,
            [
                "build args PIP_INDEX_URL and UV_DEFAULT_INDEX both set python.index and differ; pass one of them"
            ]
        );
    }

    #[test]
    fn every_key_is_one_set_and_effective_know() {
        for mirror in &MIRROR_KEYS {
            let mut s = spec("version: 1\n");
            set(&mut s, mirror.key, "https://x.example/");
            assert_eq!(
                value(&s, mirror.key).as_deref(),
                Some("https://x.example/"),
                "{}",
                mirror.key
            );
        }
    }
}
