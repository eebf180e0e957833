//! Plans and LLB for every example, as snapshots, plus the promises that hold without an
//! engine: determinism, and which files each step can see.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bollard_buildkit_proto::pb::Definition;
use prost::Message;
use strata::llb::{self, LowerOptions};
use strata::plan::{Mount, Plan, StageName, Step};

const EXAMPLES: &[&str] = &[
    "go-web",
    "go-vendored",
    "python-uv",
    "python-pip",
    "python-poetry",
    "rust-axum",
    "rust-workspace",
    "node-npm",
    "node-pnpm",
    "node-yarn",
    // The monorepo's services: the context is examples/monorepo, each spec in its service.
    "monorepo/services/api",
    "monorepo/services/admin",
    "monorepo/services/worker",
];

/// An example's build context and spec: `name` is both, `repository/service` is a context
/// with the spec in a service's directory.
fn context_and_spec(example: &str) -> (PathBuf, PathBuf) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let context = examples.join(example.split('/').next().unwrap_or(example));
    (context, examples.join(example).join("strata.yaml"))
}

fn plan_of(example: &str) -> Plan {
    let (context, spec) = context_and_spec(example);
    strata::pipeline::plan_directory(&context, &spec, &Default::default())
        .unwrap_or_else(|e| panic!("{example}: {e}"))
}

fn lower(plan: &Plan, target: StageName, session_id: Option<&str>) -> Definition {
    lower_without_cache(plan, target, session_id, &[])
}

fn lower_without_cache(
    plan: &Plan,
    target: StageName,
    session_id: Option<&str>,
    no_cache: &[StageName],
) -> Definition {
    lower_attributed(plan, target, session_id, no_cache, None)
}

fn lower_attributed(
    plan: &Plan,
    target: StageName,
    session_id: Option<&str>,
    no_cache: &[StageName],
    spec_source: Option<&llb::SpecSource<'_>>,
) -> Definition {
    llb::lower(
        plan,
        &LowerOptions {
            session_id,
            context_directory: "context",
            platform: None,
            build_platform: None,
            image_resolve_mode: None,
            target,
            images: &BTreeMap::new(),
            no_cache,
            spec_source,
        },
    )
}

/// The context files the dependency stage copies in: all it can see.
fn dependency_inputs(plan: &Plan) -> Vec<String> {
    plan.stage(StageName::Deps)
        .expect("every plan has a deps stage")
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::CopyContext { files, .. } => Some(files.include_patterns()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A compiled language's compile step (the build stage's step that mounts the sources) and
/// what it mounts.
fn compile_step(plan: &Plan) -> (&strata::plan::RunStep, &strata::plan::ContextSelection) {
    plan.stage(StageName::Build)
        .unwrap()
        .steps
        .iter()
        .find_map(|step| {
            let Step::Run(run) = step else { return None };
            run.mounts.iter().find_map(|m| match m {
                Mount::Context { files, .. } => Some((run, files)),
                _ => None,
            })
        })
        .expect("a compile step mounts the sources")
}

fn definition_bytes(plan: &Plan, target: StageName) -> Vec<u8> {
    lower(plan, target, Some("session-1")).encode_to_vec()
}

#[test]
fn example_plans_match_their_snapshots() {
    for example in EXAMPLES {
        let plan = plan_of(example);
        insta::assert_json_snapshot!(format!("plan_{}", example.replace('/', "-")), plan);
        insta::assert_snapshot!(
            format!("plan_text_{}", example.replace('/', "-")),
            plan.to_string()
        );
    }
}

#[test]
fn example_llb_matches_its_snapshot() {
    for example in EXAMPLES {
        let plan = plan_of(example);
        let definition = lower(&plan, StageName::Runtime, None);
        insta::assert_json_snapshot!(
            format!("llb_{}", example.replace('/', "-")),
            llb::definition_to_json(&definition)
        );
    }
}

#[test]
fn same_spec_and_context_give_identical_bytes() {
    for example in EXAMPLES {
        for target in StageName::ALL {
            let first = definition_bytes(&plan_of(example), target);
            let second = definition_bytes(&plan_of(example), target);
            assert_eq!(first, second, "{example} --target {}", target.as_str());
        }
    }
}

/// The dependency step may see the lockfiles and nothing else; the compile step sees Go
/// sources but never docs.
#[test]
fn dependency_inputs_are_lockfiles_only_and_compile_inputs_exclude_docs() {
    let plan = plan_of("go-web");
    assert_eq!(dependency_inputs(&plan), ["go.mod", "go.sum"]);

    let (_, files) = compile_step(&plan);
    assert_eq!(
        support::seen_by(&plan, files, &context_and_spec("go-web").0),
        ["go.mod", "go.sum", "main.go"]
    );
}

#[test]
fn vendored_project_downloads_nothing_and_compiles_offline() {
    let plan = plan_of("go-vendored");
    assert!(plan.stage(StageName::Deps).unwrap().steps.is_empty());
    assert!(plan.contacts.is_empty(), "{:?}", plan.contacts);
    let Step::Run(compile) = &plan.stage(StageName::Build).unwrap().steps[0] else {
        panic!()
    };
    assert_eq!(compile.network, strata::plan::Network::None);
    assert_eq!(
        compile.env.get("GOFLAGS").map(String::as_str),
        Some("-mod=vendor")
    );
}

#[test]
fn plans_name_the_hosts_their_dependency_steps_fetch_from() {
    assert_eq!(
        plan_of("go-web").contacts,
        ["https://proxy.golang.org", "https://sum.golang.org"]
    );
    assert_eq!(
        plan_with_build_args("go-web", &[("GOPROXY", "http://172.17.0.1:5080")]).contacts,
        ["http://172.17.0.1:5080", "https://sum.golang.org"]
    );
    assert_eq!(
        plan_of("python-pip").contacts,
        [
            "https://pypi.org/simple/",
            "https://files.pythonhosted.org/"
        ]
    );
    assert_eq!(
        plan_of("node-npm").contacts,
        ["https://registry.npmjs.org/"]
    );
    assert_eq!(
        plan_of("rust-axum").contacts,
        ["https://index.crates.io/", "https://static.crates.io/"]
    );
}

#[test]
fn a_target_stops_the_graph_at_that_stage() {
    let plan = plan_of("go-web");
    let deps = definition_bytes(&plan, StageName::Deps);
    let runtime = definition_bytes(&plan, StageName::Runtime);
    assert!(deps.len() < runtime.len());
    let json = llb::definition_to_json(&lower(&plan, StageName::Deps, None)).to_string();
    assert!(
        !json.contains("go build"),
        "--target deps lowers the compile step"
    );
}

#[test]
fn no_cache_marks_the_chosen_stages_ops() {
    let plan = plan_of("go-web");
    let definition = lower_without_cache(&plan, StageName::Runtime, None, &[StageName::Build]);
    let ignored: Vec<&String> = definition
        .metadata
        .values()
        .filter(|m| m.ignore_cache)
        .filter_map(|m| m.description.get("llb.customname"))
        .collect();
    assert!(
        ignored
            .iter()
            .any(|n| n.starts_with("[strata build] go build")),
        "{ignored:?}"
    );
    assert!(
        ignored.iter().all(|n| n.starts_with("[strata build]")),
        "{ignored:?}"
    );
}

#[test]
fn build_time_proxy_reaches_only_steps_with_a_network() {
    let mut plan = plan_of("go-web");
    plan.apply_build_proxy(&strata::plan::ProxyEnv {
        https: Some("http://proxy.corp:3128".into()),
        ..Default::default()
    });
    let runs: Vec<&strata::plan::RunStep> = plan
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .filter_map(|s| match s {
            Step::Run(run) => Some(run),
            _ => None,
        })
        .collect();
    let download = runs
        .iter()
        .find(|r| r.name.contains("go mod download"))
        .unwrap();
    let compile = runs.iter().find(|r| r.name.contains("go build")).unwrap();
    assert_eq!(
        download.proxy.as_ref().and_then(|p| p.https.as_deref()),
        Some("http://proxy.corp:3128")
    );
    assert_eq!(compile.proxy, None, "the offline compile step got a proxy");
    assert!(
        download.env.values().all(|v| !v.contains("proxy.corp")),
        "proxy leaked into env"
    );
}

/// BuildKit rejects a definition whose inputs name ops it does not contain; ours also keep
/// every input before its user and end with the single terminal op.
#[test]
fn every_input_refers_to_an_earlier_op() {
    use sha2::{Digest, Sha256};
    for example in EXAMPLES {
        for target in StageName::ALL {
            let definition = lower(&plan_of(example), target, Some("s"));
            let mut seen = std::collections::BTreeSet::new();
            for (i, bytes) in definition.def.iter().enumerate() {
                let op = bollard_buildkit_proto::pb::Op::decode(bytes.as_slice()).unwrap();
                for input in &op.inputs {
                    assert!(
                        seen.contains(&input.digest),
                        "{example}/{target:?}: op {i} uses an unknown input"
                    );
                }
                let is_terminal = op.op.is_none();
                assert_eq!(
                    is_terminal,
                    i + 1 == definition.def.len(),
                    "{example}: terminal op not last"
                );
                seen.insert(format!("sha256:{}", hex::encode(Sha256::digest(bytes))));
            }
        }
    }
}

/// The Python dependency step sees the lockfiles only; the project install and the runtime see
/// the app's files but never its docs, tests or spec.
#[test]
fn python_dependency_inputs_are_lockfiles_only_and_sources_exclude_tests() {
    for (example, lockfiles, sources) in [
        (
            "python-uv",
            vec!["pyproject.toml", "uv.lock"],
            vec![
                "pyproject.toml",
                "src/greet/__init__.py",
                "src/greet/cli.py",
                "uv.lock",
            ],
        ),
        (
            "python-pip",
            vec!["requirements.txt"],
            vec!["app.py", "requirements.txt"],
        ),
        (
            "python-poetry",
            vec!["pyproject.toml", "poetry.lock"],
            vec![
                "poetry.lock",
                "pyproject.toml",
                "src/stamp/__init__.py",
                "src/stamp/cli.py",
            ],
        ),
    ] {
        let plan = plan_of(example);
        assert_eq!(dependency_inputs(&plan), lockfiles, "{example}");
        let files = plan.sources().expect("the build stage copies the app");
        assert_eq!(
            support::seen_by(&plan, files, &context_and_spec(example).0),
            sources,
            "{example}"
        );
    }
}

/// Every step that can download mounts the CA bundle as an optional secret; no step copies it.
#[test]
fn every_download_step_mounts_the_ca_as_an_optional_secret() {
    for example in EXAMPLES {
        let plan = plan_of(example);
        for run in plan
            .stages
            .iter()
            .flat_map(|s| &s.steps)
            .filter_map(|s| match s {
                Step::Run(run) if run.network != strata::plan::Network::None => Some(run),
                _ => None,
            })
        {
            assert!(
                run.mounts.iter().any(|m| matches!(
                    m,
                    Mount::Secret { id, required: false, .. } if id == "ca"
                )),
                "{example}: `{}` has no optional CA secret",
                run.name
            );
            assert!(
                run.env
                    .keys()
                    .all(|k| k != "SSL_CERT_FILE" && k != "PIP_CERT"),
                "{example}: `{}` points at the CA even when it is absent",
                run.name
            );
        }
    }
}

#[test]
fn python_runtime_runs_the_venv_as_non_root() {
    let uv = plan_of("python-uv");
    assert_eq!(uv.image.entrypoint, ["/app/.venv/bin/greet"]);
    let pip = plan_of("python-pip");
    assert_eq!(
        pip.image.entrypoint,
        ["/app/.venv/bin/python", "/app/app.py"]
    );
    for plan in [uv, pip] {
        assert_eq!(plan.image.user, "65532:65532");
        assert!(plan.image.env["PATH"].starts_with("/app/.venv/bin:"));
    }
}

/// `secrets:` go into exactly the steps that download (where the CA goes), never into a
/// compile step, which must not see credentials.
#[test]
fn declared_secrets_mount_only_into_download_steps() {
    let mut mounted = 0;
    for example in EXAMPLES {
        let (dir, spec_path) = context_and_spec(example);
        let spec = std::fs::read_to_string(spec_path).unwrap()
            + "secrets:\n  - id: netrc\n    target: /root/.netrc\n";
        let spec_path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{}.yaml", example.replace('/', "-")));
        std::fs::write(&spec_path, spec).unwrap();
        let plan = strata::pipeline::plan_directory(&dir, &spec_path, &Default::default())
            .unwrap_or_else(|e| panic!("{example}: {e}"));
        for run in plan
            .stages
            .iter()
            .flat_map(|s| &s.steps)
            .filter_map(|s| match s {
                Step::Run(run) => Some(run),
                _ => None,
            })
        {
            let has = |id: &str| {
                run.mounts
                    .iter()
                    .any(|m| matches!(m, Mount::Secret { id: i, .. } if i == id))
            };
            mounted += usize::from(has("netrc"));
            assert_eq!(
                has("netrc"),
                has("ca"),
                "{example}: `{}` mounts the netrc without downloading, or the other way round",
                run.name
            );
        }
    }
    assert!(
        mounted >= EXAMPLES.len() - 1,
        "the secret was mounted {mounted} times"
    );
}

/// A runtime pinned by digest in the spec stays pinned to that digest, whatever the engine
/// resolves the name to; other images are pinned to the resolved digest.
#[test]
fn an_image_pinned_by_digest_in_the_spec_keeps_its_digest() {
    let pinned = format!(
        "gcr.io/distroless/static-debian13:nonroot@sha256:{}",
        "ab".repeat(32)
    );
    let mut plan = plan_of("go-web");
    let runtime = plan
        .stages
        .iter_mut()
        .find(|s| s.name == StageName::Runtime)
        .unwrap();
    runtime.base = strata::plan::Base::Image {
        reference: pinned.clone(),
    };
    let elsewhere = format!("sha256:{}", "cd".repeat(32));
    let images: BTreeMap<String, llb::ResolvedImage> = plan
        .images()
        .into_iter()
        .map(|(r, _)| {
            let resolved = llb::ResolvedImage {
                digest: elsewhere.clone(),
                env: Vec::new(),
            };
            (r.to_string(), resolved)
        })
        .collect();
    let definition = llb::lower(
        &plan,
        &LowerOptions {
            session_id: None,
            context_directory: "context",
            platform: None,
            build_platform: None,
            image_resolve_mode: None,
            target: StageName::Runtime,
            images: &images,
            no_cache: &[],
            spec_source: None,
        },
    );
    let json = llb::definition_to_json(&definition).to_string();
    assert!(
        json.contains(&format!("docker-image://{pinned}\"")),
        "{json}"
    );
    assert!(
        json.contains(&format!(
            "{}@{elsewhere}",
            strata::plan::default_image(strata::plan::ImageRole::GoBuilder)
        )),
        "the builder was not pinned to the resolved digest: {json}"
    );
}

/// A copy of an example in a scratch directory, edited by `edit`, then planned.
fn plan_of_edited(example: &str, edit: impl Fn(&Path)) -> Plan {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example);
    let dir = std::env::temp_dir().join(format!("strata-plans-{example}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_tree(&source, &dir);
    edit(&dir);
    let plan =
        strata::pipeline::plan_directory(&dir, &dir.join("strata.yaml"), &Default::default())
            .unwrap_or_else(|e| panic!("{example}: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    plan
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The Rust dependency stage reads nothing from the context: its inputs are the generated
/// skeleton, so a version bump (in Cargo.toml and Cargo.lock, as cargo writes it) or a source
/// edit lowers to the same bytes, and an added dependency does not.
#[test]
fn rust_dependency_stage_depends_on_the_dependency_graph_only() {
    let deps = |plan: &Plan| definition_bytes(plan, StageName::Deps);
    let plan = plan_of("rust-workspace");
    assert!(dependency_inputs(&plan).is_empty());
    let original = deps(&plan);
    let bumped = plan_of_edited("rust-workspace", |dir| {
        let cli = dir.join("crates/cli/Cargo.toml");
        replace_in(&cli, "version = \"0.1.0\"", "version = \"0.2.0\"");
        replace_in(
            &dir.join("Cargo.lock"),
            "name = \"greet-cli\"\nversion = \"0.1.0\"",
            "name = \"greet-cli\"\nversion = \"0.2.0\"",
        );
        replace_in(
            &dir.join("Cargo.toml"),
            "version = \"0.1.0\"",
            "version = \"0.4.0\"",
        );
        replace_in(&dir.join("crates/cli/src/main.rs"), "workspace", "edited");
    });
    assert_eq!(
        deps(&bumped),
        original,
        "a version bump changed the dependency stage"
    );
    let added = plan_of_edited("rust-workspace", |dir| {
        replace_in(
            &dir.join("crates/greeting/Cargo.toml"),
            "itoa = \"1\"",
            "itoa = \"1\"\nryu = \"1\"",
        );
    });
    assert_ne!(
        deps(&added),
        original,
        "a new dependency left the dependency stage as it was"
    );
}

/// The Rust compile step sees manifests, the lockfile and sources, never docs; it is offline.
#[test]
fn rust_compile_inputs_exclude_docs_and_have_no_network() {
    for (example, sources) in [
        ("rust-axum", vec!["Cargo.lock", "Cargo.toml", "src/main.rs"]),
        (
            "rust-workspace",
            vec![
                "Cargo.lock",
                "Cargo.toml",
                "crates/cli/Cargo.toml",
                "crates/cli/build.rs",
                "crates/cli/src/main.rs",
                "crates/greeting/Cargo.toml",
                "crates/greeting/src/lib.rs",
            ],
        ),
    ] {
        let plan = plan_of(example);
        let (compile, files) = compile_step(&plan);
        assert_eq!(compile.network, strata::plan::Network::None, "{example}");
        assert_eq!(
            support::seen_by(&plan, files, &context_and_spec(example).0),
            sources,
            "{example}"
        );
    }
}

/// The Node dependency steps see the lockfile and the manifests only; the sources never
/// include docs, tests or installed packages.
#[test]
fn node_dependency_inputs_are_lockfiles_only_and_sources_exclude_tests() {
    for (example, lockfiles) in [
        ("node-npm", vec!["package-lock.json", "package.json"]),
        ("node-pnpm", vec!["pnpm-lock.yaml", "package.json"]),
        ("node-yarn", vec!["yarn.lock", "package.json"]),
    ] {
        let plan = plan_of(example);
        // The production install copies the same files again, into /prod.
        let mut distinct: Vec<String> = Vec::new();
        for input in dependency_inputs(&plan) {
            if !distinct.contains(&input) {
                distinct.push(input);
            }
        }
        assert_eq!(distinct, lockfiles, "{example}");

        let files = plan.sources().expect("the build stage copies the app");
        let seen = support::seen_by(&plan, files, &context_and_spec(example).0);
        assert!(
            seen.iter()
                .all(|p| !p.ends_with(".md") && !p.starts_with("test/")),
            "{example}: {seen:?}"
        );
        assert!(
            seen.contains(&"package.json".to_string()),
            "{example}: {seen:?}"
        );
    }
}

/// The runtime runs node as the image's `node` user, with production dependencies from the
/// lockfile-only install: an npm server without a build script installs them in /app, and the
/// runtime takes that stage's layers as they are; pnpm and yarn (whose stage also holds the
/// package manager) and apps with a build copy node_modules from /prod.
#[test]
fn node_runtime_runs_node_as_1000_from_the_production_install() {
    for (example, entrypoint, as_built) in [
        ("node-npm", vec!["node", "server.js"], true),
        ("node-pnpm", vec!["node", "dist/server.js"], false),
        ("node-yarn", vec!["node", "/app/index.js"], false),
    ] {
        let plan = plan_of(example);
        assert_eq!(plan.image.entrypoint, entrypoint, "{example}");
        assert_eq!(plan.image.user, "1000:1000", "{example}");
        let runtime = plan.stage(StageName::Runtime).unwrap();
        let first = &runtime.steps[0];
        let copied = matches!(first,
            Step::CopyFromStage { stage: StageName::Deps, src, .. } if src == "/prod/node_modules");
        let layers = matches!(
            first,
            Step::LayersOfStage {
                stage: StageName::Deps,
                ..
            }
        );
        assert_eq!(
            (layers, copied),
            (as_built, !as_built),
            "{example}: {first:?}"
        );
        let deps = plan.stage(StageName::Deps).unwrap();
        let installed_in = deps.steps.iter().rev().find_map(|step| match step {
            Step::Run(run) => Some(run.cwd.clone()),
            _ => None,
        });
        let expected = if as_built { "/app" } else { "/prod" };
        assert_eq!(installed_in.as_deref(), Some(expected), "{example}");
    }
}

/// Specs that work but cost the user later get a warning: an image following `latest`, an
/// include that puts the whole context into the compile step.
#[test]
fn latest_images_and_include_everything_are_warned_about() {
    let plan = plan_of_edited("go-web", |dir| {
        let spec = std::fs::read_to_string(dir.join("strata.yaml")).unwrap()
            + "images:\n  builder: acme/golang\ntarget:\n  runtime: acme/base:latest\nbuild:\n  include: [\"**\"]\n";
        std::fs::write(dir.join("strata.yaml"), spec).unwrap();
    });
    let warnings = plan.warnings.join("\n");
    assert!(
        warnings.contains("images.builder: `acme/golang` follows `latest`"),
        "{warnings}"
    );
    assert!(
        warnings.contains("target.runtime: `acme/base:latest` follows `latest`"),
        "{warnings}"
    );
    assert!(
        warnings.contains("build.include: `**` puts the whole context"),
        "{warnings}"
    );
    assert!(
        plan_of("go-web").warnings.is_empty(),
        "the example itself is clean"
    );
}

/// An engine that lacks a capability the plan uses is refused by name (by the build and by
/// `strata doctor`), not left to fail somewhere inside the solve.
#[test]
fn an_engine_without_a_capability_the_plan_uses_is_named() {
    let plan = plan_of("python-uv");
    let every: Vec<String> = strata::llb::required_caps(&plan)
        .keys()
        .map(|id| id.to_string())
        .collect();
    assert!(strata::llb::missing_caps(&plan, &every).is_empty());
    let without_cache: Vec<String> = every
        .iter()
        .filter(|id| *id != "exec.mount.cache.sharing")
        .cloned()
        .collect();
    assert_eq!(
        strata::llb::missing_caps(&plan, &without_cache),
        ["cache mounts (exec.mount.cache.sharing)"]
    );
}

#[test]
fn every_op_is_attributed_to_its_stage_line_without_changing_any_op() {
    let plan = plan_of("python-uv");
    let spec_source = llb::SpecSource {
        filename: "strata.yaml",
        contents: b"version: 1\nlanguage: python\n",
        stage_lines: BTreeMap::from([
            (StageName::Deps, 2),
            (StageName::Build, 3),
            (StageName::Runtime, 4),
        ]),
    };
    let plain = lower(&plan, StageName::Runtime, Some("session"));
    let mapped = lower_attributed(
        &plan,
        StageName::Runtime,
        Some("session"),
        &[],
        Some(&spec_source),
    );
    assert_eq!(
        plain.def, mapped.def,
        "the ops, so every cache key, are the same"
    );
    assert!(plain.source.is_none());
    let source = mapped.source.expect("the spec goes with the definition");
    assert_eq!(source.infos.len(), 1);
    assert_eq!(source.infos[0].filename, "strata.yaml");
    assert_eq!(source.infos[0].data, spec_source.contents);
    let line_of = |name: &str| {
        let (digest, _) = mapped
            .metadata
            .iter()
            .find(|(_, meta)| {
                meta.description
                    .get("llb.customname")
                    .is_some_and(|n| n.contains(name))
            })
            .unwrap_or_else(|| panic!("a step named like {name}"));
        source.locations[digest].locations[0].ranges[0]
            .start
            .expect("a start")
            .line
    };
    assert_eq!(line_of("[strata deps] uv sync"), 2);
    assert_eq!(line_of("[strata runtime]"), 4);
    // Every op but the terminal one has a place.
    assert_eq!(source.locations.len(), mapped.def.len() - 1);
}

fn plan_with_build_args(example: &str, args: &[(&str, &str)]) -> Plan {
    let (context, spec) = context_and_spec(example);
    let args: BTreeMap<String, String> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    strata::pipeline::plan_directory(&context, &spec, &args)
        .unwrap_or_else(|e| panic!("{example}: {e}"))
}

/// The variables each download step of `plan` gets from build settings (build args), and
/// whether any step still carries one of `names` set to `value` in its own env.
fn build_settings(plan: &Plan, names: &[&str], value: &str) -> (BTreeMap<String, String>, bool) {
    let mut settings = BTreeMap::new();
    let mut in_env = false;
    for step in plan.stages.iter().flat_map(|s| &s.steps) {
        let Step::Run(run) = step else { continue };
        for mount in &run.mounts {
            if let Mount::BuildSettings { env, .. } = mount {
                settings.extend(env.clone());
            }
        }
        in_env |= names
            .iter()
            .any(|n| run.env.get(*n).is_some_and(|v| v == value));
    }
    (settings, in_env)
}

/// A mirror from a build arg wins over the spec's, reaches every download step through build
/// settings rather than its env (so not its cache key), and the plan says where it came from.
#[test]
fn each_ecosystems_mirror_build_args_reach_its_download_steps_outside_their_env() {
    for (example, arg, url, variables) in [
        (
            "go-web",
            "GOPROXY",
            "https://goproxy.cn,direct",
            &["GOPROXY"][..],
        ),
        (
            "python-pip",
            "PIP_INDEX_URL",
            "https://pypi.corp.example/simple",
            &["PIP_INDEX_URL"],
        ),
        (
            "python-uv",
            "UV_DEFAULT_INDEX",
            "https://pypi.corp.example/simple",
            &["UV_DEFAULT_INDEX"],
        ),
        (
            "node-npm",
            "NPM_CONFIG_REGISTRY",
            "https://npm.corp.example/",
            &["npm_config_registry", "COREPACK_NPM_REGISTRY"],
        ),
        (
            "rust-axum",
            "STRATA_CARGO_MIRROR",
            "https://crates.corp.example/index/",
            &["STRATA_CARGO_MIRROR"],
        ),
    ] {
        let plan = plan_with_build_args(example, &[(arg, url)]);
        let (settings, in_env) = build_settings(&plan, variables, url);
        for variable in variables {
            assert_eq!(
                settings.get(*variable).map(String::as_str),
                Some(url),
                "{example}: {variable}"
            );
        }
        assert!(!in_env, "{example}: the mirror is still in a step's env");
        let mirror = plan
            .mirrors
            .iter()
            .find(|m| m.value == url)
            .unwrap_or_else(|| panic!("{example}: no mirror listed: {:?}", plan.mirrors));
        assert_eq!(mirror.from, format!("build arg {arg}"), "{example}");
        assert!(
            plan.contacts
                .iter()
                .any(|c| url.contains(c.trim_end_matches('/'))),
            "{example}: doctor would not probe the mirror: {:?}",
            plan.contacts
        );
    }
    // Without build args nothing moves, and a spec's go.proxy stays in the step's env.
    let (settings, _) = build_settings(&plan_of("go-web"), &["GOPROXY"], "");
    assert!(settings.is_empty());
    let from_spec = plan_of_edited("go-web", |dir| {
        let spec = dir.join("strata.yaml");
        let text = std::fs::read_to_string(&spec).unwrap();
        std::fs::write(&spec, text + "go:\n  proxy: https://goproxy.corp.example\n").unwrap();
    });
    let (settings, in_env) =
        build_settings(&from_spec, &["GOPROXY"], "https://goproxy.corp.example");
    assert!(settings.is_empty() && in_env);
}

#[test]
fn a_mirror_build_arg_with_credentials_is_refused_without_echoing_them() {
    let (context, spec) = context_and_spec("node-npm");
    let args = BTreeMap::from([(
        "NPM_CONFIG_REGISTRY".to_string(),
        "https://ci:hunter2@npm.corp.example/".to_string(),
    )]);
    let error = match strata::pipeline::plan_directory(&context, &spec, &args) {
        Ok(_) => panic!("a registry URL with credentials was planned"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("build arg NPM_CONFIG_REGISTRY carries credentials in its URL"),
        "{error}"
    );
    assert!(!error.contains("hunter2"), "{error}");
}

/// Changing a mirror build arg changes no op a step's cache key is made of but the writer of
/// the build settings, which runs every build anyway: the lowered definitions differ only
/// there and in the settings cache directory's id, which the engine leaves out of cache keys.
#[test]
fn another_mirror_value_changes_only_the_settings_writer() {
    let json = |url: &str| {
        let plan = plan_with_build_args("go-web", &[("GOPROXY", url)]);
        llb::definition_to_json(&lower(&plan, StageName::Runtime, None)).to_string()
    };
    let (a, b) = (json("https://a.example"), json("https://b.example"));
    assert_ne!(a, b);
    let writer = |text: &str| text.matches("settings from build args").count();
    assert_eq!(writer(&a), 1, "one writer of build settings");
    assert!(!a.contains("https://b.example") && b.contains("https://b.example"));
}
