//! The `strata` binary as a user runs it, with no engine.

use std::path::Path;
use std::process::Command;

use prost::Message;

fn strata(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the strata binary runs")
}

#[test]
fn check_passes_every_example() {
    for example in ["examples/go-web", "examples/go-vendored"] {
        let out = strata(&["check", example]);
        assert!(
            out.status.success(),
            "{example}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok (go app"));
    }
}

#[test]
fn check_reports_a_bad_spec_with_exit_code_1_and_as_json() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_specs/unknown_build_key.yaml");
    let bad = bad.to_str().unwrap();
    let out = strata(&["check", "examples/go-web", "-f", bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown_build_key.yaml:3:3: error: unknown key `mian` in `build`"),
        "{stderr}"
    );

    let out = strata(&["check", "examples/go-web", "-f", bad, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(report["ok"], false);
    assert_eq!(report["problems"][0]["location"]["line"], 3);
    assert_eq!(report["problems"][0]["hint"], "did you mean `main`?");
}

#[test]
fn plan_json_and_raw_llb_are_machine_readable() {
    let out = strata(&["plan", "examples/go-web", "--json"]);
    assert!(out.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["app"], "go-web");

    let out = strata(&["llb", "examples/go-web"]);
    assert!(out.status.success());
    let definition = bollard_buildkit_proto::pb::Definition::decode(out.stdout.as_slice())
        .expect("strata llb prints a Definition");
    assert!(definition.def.len() >= 8, "{} ops", definition.def.len());
}

#[test]
fn unknown_commands_and_options_are_usage_errors() {
    let out = strata(&["plna"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown command `plna`"));
    let out = strata(&["plan", "--jsn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option `--jsn`"));
}

#[test]
fn init_writes_a_spec_that_checks_and_never_overwrites() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/cli-tests/init-go");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("cmd/server")).unwrap();
    std::fs::write(dir.join("go.mod"), "module example.com/svc\n\ngo 1.24\n").unwrap();
    std::fs::write(
        dir.join("cmd/server/main.go"),
        "package main\n\nfunc main() {}\n",
    )
    .unwrap();
    let dir_arg = dir.to_str().unwrap();

    let out = strata(&["init", dir_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.join("strata.yaml")).unwrap();
    assert!(
        written.starts_with(&format!(
            "# syntax={}\n# yaml-language-server: $schema=strata.schema.json\n",
            strata::spec::default_frontend_image()
        )),
        "{written}"
    );
    // The modeline's schema is written beside the spec and is what `strata schema` prints.
    let schema = std::fs::read_to_string(dir.join("strata.schema.json")).unwrap();
    assert_eq!(
        schema,
        String::from_utf8(strata(&["schema"]).stdout).unwrap()
    );
    let out = strata(&["check", dir_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("go app `server`"));

    std::fs::write(dir.join("strata.yaml"), "# mine\n").unwrap();
    let out = strata(&["init", dir_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.join("strata.yaml")).unwrap(),
        "# mine\n"
    );
    // A schema the user changed is left alone unless --force.
    std::fs::write(dir.join("strata.schema.json"), "{}\n").unwrap();
    std::fs::remove_file(dir.join("strata.yaml")).unwrap();
    assert!(strata(&["init", dir_arg]).status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("strata.schema.json")).unwrap(),
        "{}\n"
    );
    assert!(strata(&["init", dir_arg, "--force"]).status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("strata.schema.json")).unwrap(),
        schema
    );
}

/// On every example (its own spec set aside), init writes a spec that plans to the same app and
/// entrypoint as the example's hand-written one, with the port the sources listen on.
#[test]
fn init_on_every_example_finds_the_app_its_entrypoint_and_port() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let example = entry.unwrap().path();
        let name = example.file_name().unwrap().to_string_lossy().to_string();
        // A repository of several services (examples/monorepo) has a spec per service, made by
        // hand for bake: init writes one spec for one app.
        if !example.join("strata.yaml").exists() {
            continue;
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/cli-tests/init-examples")
            .join(&name);
        let _ = std::fs::remove_dir_all(&dir);
        copy_tree(&example, &dir);
        std::fs::remove_file(dir.join("strata.yaml")).unwrap();
        let out = strata(&["init", dir.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written = std::fs::read_to_string(dir.join("strata.yaml")).unwrap();
        let theirs = strata(&["plan", example.to_str().unwrap()]);
        let app_line = String::from_utf8_lossy(&theirs.stdout)
            .lines()
            .next()
            .unwrap()
            .to_string();
        let app = app_line.split('`').nth(1).unwrap();
        assert!(
            written.contains(&format!("app `{app}`")),
            "{name}: init found another app than `{app}`:\n{written}"
        );
        let serves = std::fs::read_to_string(example.join("strata.yaml"))
            .unwrap()
            .contains("ports: [8080]");
        assert_eq!(
            written.contains("  ports: [8080]"),
            serves,
            "{name}: the port was not found (or invented):\n{written}"
        );
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn init_says_what_it_looked_for_in_an_unknown_project() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/cli-tests/init-empty");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = strata(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("it looks for go.mod, pyproject.toml"));
    assert!(!dir.join("strata.yaml").exists());
}

/// A project strata can build but cannot tell how to start still gets its spec, with the command
/// left to fill in and a warning that says what strata looked for; `--print` writes nothing.
#[test]
fn init_writes_a_spec_with_the_command_to_fill_in_when_it_cannot_tell() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/cli-tests/init-no-command");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(dir.join("requirements.txt"), "humanize==4.12.3\n").unwrap();
    std::fs::write(dir.join("lib/util.py"), "def helper():\n    pass\n").unwrap();
    let printed = strata(&["init", dir.to_str().unwrap(), "--print"]);
    assert!(printed.status.success());
    assert!(String::from_utf8_lossy(&printed.stdout).contains("FILL IN"));
    assert!(!dir.join("strata.yaml").exists(), "--print wrote the spec");
    let out = strata(&["init", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(
        warning.contains("cannot tell how to start the app"),
        "{warning}"
    );
    assert!(warning.contains("app.py or main.py"), "{warning}");
    let check = strata(&["check", dir.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stderr).contains("set `run.command`"));

    // A Django project without a production server: the spec, and what to add.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(dir.join("requirements.txt"), "Django==5.2.8\n").unwrap();
    std::fs::write(
        dir.join("manage.py"),
        "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"site.settings\")\n",
    )
    .unwrap();
    std::fs::write(dir.join("site/settings.py"), "DEBUG = False\n").unwrap();
    let out = strata(&["init", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec = std::fs::read_to_string(dir.join("strata.yaml")).unwrap();
    assert!(
        spec.contains("FILL IN: this Django project has no production server"),
        "{spec}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("add gunicorn"));
}

/// A project strata cannot build is described by its own files, not by a spec the user never
/// had.
#[test]
fn init_names_the_project_when_it_cannot_build_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/cli-tests/init-unlocked");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"packageManager": "pnpm@9.15.9", "dependencies": {"express": "5"}}"#,
    )
    .unwrap();
    let out = strata(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.starts_with(&format!("{}: error: ", dir.display())),
        "{error}"
    );
    assert!(error.contains("has no pnpm-lock.yaml"), "{error}");
    assert!(!error.contains("generated"), "{error}");
    assert!(!dir.join("strata.yaml").exists());
}

/// The committed schema (schema/strata.schema.json, what editors load) is what `strata schema`
/// prints: regenerate it with `strata schema > schema/strata.schema.json` when keys change.
#[test]
fn committed_schema_matches_strata_schema() {
    let out = strata(&["schema"]);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/strata.schema.json"),
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    for key in ["version", "language", "run", "secrets", "python", "rust"] {
        assert!(schema["properties"][key].is_object(), "{key} is missing");
    }
    assert_eq!(
        schema["properties"]["secrets"]["items"]["required"][0],
        "id"
    );
}

/// `strata --version`, the `# syntax=` line `strata init` writes and every example's first line
/// agree: the published image at the tag that follows this version (`:0.<minor>` before 1.0).
#[test]
fn version_init_and_examples_name_the_same_release() {
    let out = strata(&["--version"]);
    let version = String::from_utf8(out.stdout).unwrap();
    let version = version
        .trim()
        .strip_prefix("strata ")
        .expect("`strata x.y.z`");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let mut parts = version.split('.');
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    let tag = if major == "0" {
        format!("0.{minor}")
    } else {
        major.to_string()
    };
    let expected = format!("# syntax={}:{tag}", strata::spec::PUBLISHED_IMAGE);

    let dir = std::env::temp_dir().join(format!("strata-cli-version-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("go.mod"), "module example.com/v\n\ngo 1.24\n").unwrap();
    std::fs::write(dir.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    let printed = strata(&["init", dir.to_str().unwrap(), "--print"]);
    let text = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(text.lines().next(), Some(expected.as_str()), "{text}");
    // --frontend names another image, for a mirror or a pinned digest.
    let pinned = strata(&[
        "init",
        dir.to_str().unwrap(),
        "--print",
        "--frontend",
        "mirror.corp/strata@sha256:0123",
    ]);
    let text = String::from_utf8(pinned.stdout).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("# syntax=mirror.corp/strata@sha256:0123")
    );
    let _ = std::fs::remove_dir_all(&dir);

    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut specs = Vec::new();
    collect_specs(&examples, &mut specs);
    assert!(specs.len() >= 10, "{specs:?}");
    for spec in specs {
        let text = std::fs::read_to_string(&spec).unwrap();
        assert_eq!(
            text.lines().next(),
            Some(expected.as_str()),
            "{}",
            spec.display()
        );
    }
}

fn collect_specs(dir: &std::path::Path, specs: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_specs(&path, specs);
        } else if path.file_name().is_some_and(|n| n == "strata.yaml") {
            specs.push(path);
        }
    }
}

#[test]
fn help_is_printed_for_every_command_with_exit_code_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["check", "--help"],
        &["plan", "-h"],
        &["init", "--help"],
        &["doctor", "--help"],
        &["cache", "ls", "--help"],
    ] {
        let out = strata(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let expected = match args {
            [command, ..] if !command.starts_with('-') => format!("usage: strata {command}"),
            _ => "strata check [DIR|FILE]".to_string(),
        };
        assert!(stdout.contains(&expected), "{args:?}: {stdout}");
    }
    let out = strata(&["check", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2), "a usage error exits 2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown option `--no-such-flag`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("usage: strata check"),
        "the command's own usage: {stderr}"
    );
}

/// The README's command-line section and the parser's table agree: every command and every
/// option the parser takes is documented there.
#[test]
fn the_readme_documents_every_command_and_option() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let section = readme
        .split("## Command line")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Command line section");
    let help = String::from_utf8_lossy(&strata(&["--help"]).stdout).into_owned();
    for line in help
        .lines()
        .filter(|l| l.trim_start().starts_with("strata "))
    {
        let command = line.split_whitespace().nth(1).expect("a command word");
        assert!(
            section.contains(&format!("strata {command}")),
            "README lacks `strata {command}`"
        );
        if command.starts_with('-') {
            continue;
        }
        let own = String::from_utf8_lossy(&strata(&[command, "--help"]).stdout).into_owned();
        for option in own.split_whitespace().filter(|w| w.starts_with("--")) {
            let option = option.trim_end_matches(',');
            assert!(
                section.contains(option) || option == "--help",
                "README's command-line section lacks `strata {command} {option}`"
            );
        }
    }
}

#[test]
fn completions_name_every_command_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = strata(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for command in ["plan", "check", "init", "doctor", "cache", "serve"] {
            assert!(
                script.contains(command),
                "{shell} completions lack {command}"
            );
        }
        assert!(
            script.contains("--language") || script.contains("-l language"),
            "{shell}: options too"
        );
    }
    let out = strata(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(1));
    let bash = String::from_utf8_lossy(&strata(&["completions", "bash"]).stdout).into_owned();
    let checked = std::process::Command::new("bash")
        .args(["-n", "-c", &bash])
        .status()
        .expect("bash runs");
    assert!(checked.success(), "the bash script does not parse:\n{bash}");
    // What a user gets at the prompt: `strata cache p<TAB>`, `strata init --language p<TAB>`.
    let complete = |words: &str, at: usize| {
        let script = format!(
            "{bash}\nCOMP_WORDS=({words}); COMP_CWORD={at}; _strata; echo \"${{COMPREPLY[@]}}\""
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .expect("bash runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(complete("strata cache p", 2), "prune");
    assert_eq!(complete("strata init --language p", 3), "python");
    assert_eq!(complete("strata do", 1), "doctor");
}

#[test]
fn check_takes_the_spec_file_itself() {
    let out = strata(&["check", "examples/go-web/strata.yaml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("examples/go-web/strata.yaml: ok (go app `go-web`)"),
        "{stdout}"
    );
}

#[test]
fn a_broken_project_manifest_is_reported_in_that_file() {
    let dir = std::env::temp_dir().join(format!("strata-cli-manifest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("web")).unwrap();
    std::fs::write(
        dir.join("strata.yaml"),
        "version: 1\nlanguage: node\npath: web\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("web/package.json"),
        "{\n  \"name\": \"web\",\n  \"version\": }\n",
    )
    .unwrap();
    let out = strata(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("web/package.json:3:14: error: not valid JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 |   \"version\": }"),
        "the line itself is shown: {stderr}"
    );
    assert!(
        !stderr.contains("strata.yaml:"),
        "not a spec line: {stderr}"
    );

    std::fs::remove_dir_all(dir.join("web")).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("strata.yaml"), "version: 1\nlanguage: rust\n").unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(dir.join("Cargo.lock"), "version = 4\n").unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"app\"\nedition = \"2021\n",
    )
    .unwrap();
    let out = strata(&["check", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Cargo.toml:3:"), "{stderr}");
    assert!(stderr.contains("error: not valid TOML"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_lockfile_that_is_a_directory_is_refused_by_check() {
    let dir = std::env::temp_dir().join(format!("strata-cli-lockdir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("uv.lock")).unwrap();
    std::fs::write(dir.join("uv.lock/stray"), "").unwrap();
    std::fs::write(dir.join("strata.yaml"), "version: 1\nlanguage: python\n").unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        "[project]\nname = \"x\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("main.py"), "print(1)\n").unwrap();
    let out = strata(&["check", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`uv.lock` in `.` is a directory, and the build reads it as a file"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
