//! Projects of the real-world corpus (tests/fixtures/real-world) on the engine, as a new user
//! meets strata: `strata init` in the project, the spec exactly as it was written, one
//! `docker buildx build` with the egress CA, then the image run and asked what it serves.
//! Also: a file the project's .dockerignore leaves out reaches no layer and no step, and a README
//! that the sources embed rebuilds the binary when it changes.

mod support;

use support::*;

const CA_SECRET: [&str; 2] = ["--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt"];

/// A copy of a corpus project with the spec `strata init` wrote for it.
fn initialised(project: &str) -> Workspace {
    let ws = Workspace::copy_of_fixture(&format!("real-world/{project}"));
    let dir = ws.dir.to_string_lossy().into_owned();
    let (ok, output) = strata(&["init", &dir]);
    assert!(ok, "{project}: strata init failed:\n{output}");
    ws
}

fn build_with_ca(ws: &Workspace, extra: &[&str]) -> Build {
    let mut args = CA_SECRET.to_vec();
    args.extend_from_slice(extra);
    buildx(ws, &args)
}

/// Builds the project from its init-written spec and returns the image's tag.
fn build_image(ws: &Workspace, project: &str) -> String {
    let tag = format!("strata-test/corpus-{}:init", project.replace('/', "-"));
    let build = build_with_ca(ws, &["--load", "-t", &tag]);
    assert!(
        build.success,
        "{project}: the init-written spec did not build:\n{}\n{}",
        build.errors(),
        build.summary()
    );
    tag
}

/// The image's first exposed port, as init wrote it into the spec.
fn exposed_port(tag: &str) -> u16 {
    let ports = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}",
        tag,
    ]);
    ports
        .split_whitespace()
        .next()
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{tag} exposes no port: {ports:?}"))
}

fn answer(tag: &str, path: &str) -> String {
    let port = exposed_port(tag);
    let container = Container::run_published(tag, port);
    http_get(&container.address(port), path)
}

#[test]
fn a_hatchling_project_installs_with_its_readme_license_and_forced_files() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/hatch-src-readme");
    let tag = build_image(&ws, "python/hatch-src-readme");
    let body = answer(&tag, "/");
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {body}");
    });
    assert_eq!(summary["version"], "1.4.2", "{body}");
    assert_eq!(summary["readme"], "# Notes API", "{body}");
    assert_eq!(summary["tables"], 2, "{body}");
}

/// Django as a PaaS runs it: the Procfile's gunicorn on the port strata sets, the secret key
/// given when the container starts (collectstatic ran at build time with a placeholder, which is
/// in no layer), and a collected, hashed static file served by whitenoise.
#[test]
fn a_django_project_runs_its_procfile_and_serves_collected_static_files() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/django-procfile");
    let tag = build_image(&ws, "python/django-procfile");
    let port = exposed_port(&tag);
    let container =
        Container::run_published_with(&tag, port, &["DJANGO_SECRET_KEY=given-at-run-time"]);
    let address = container.address(port);
    let page = http_get(&address, "/");
    assert!(
        page.contains("<h1>Shop</h1>") && page.contains("<p>tea</p>"),
        "{page}"
    );
    let stylesheet = page
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no stylesheet link in {page}"));
    assert!(stylesheet.starts_with("/static/css/site.") && stylesheet != "/static/css/site.css");
    assert!(http_get(&address, stylesheet).contains("darkgreen"));
    let patterns = leak_patterns(&ws.dir, &["STRATA-CANARY-django-secret"]);
    if let Some(hit) = scan_image(&tag, &patterns) {
        panic!("a secret reached the image: {hit}");
    }
}

/// A FastAPI app with a console script that only greets: the image runs uvicorn on the app.
#[test]
fn a_fastapi_app_runs_its_server_not_its_greeting_script() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/fastapi-decoy");
    let tag = build_image(&ws, "python/fastapi-decoy");
    assert_eq!(answer(&tag, "/"), "{\"service\":\"inventory\",\"items\":3}");
}

/// requirements.txt that installs the app itself (`-e .[server]`) beside its pins, as many
/// deployed Flask apps do: the pins install first, then the package with its extra from the
/// sources, so its metadata (its version) is there and gunicorn, from the extra, serves it.
#[test]
fn requirements_that_install_the_app_itself_build_and_serve() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/requirements-editable");
    let tag = build_image(&ws, "python/requirements-editable");
    assert_eq!(answer(&tag, "/"), "shortlinks 0.3.0, 1 link(s)\n");
}

/// A package whose version comes from git tags (hatch-vcs and its version-file hook): the build
/// sees no `.git`, so it installs as 0.0.0 unless `build.env` names the version, which then
/// reaches both the metadata and the file the hook writes.
#[test]
fn a_git_versioned_package_installs_without_git_and_takes_the_version_build_env_names() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/vcs-versioned");
    let tag = build_image(&ws, "python/vcs-versioned");
    assert_eq!(
        answer(&tag, "/"),
        r#"{"installed": "0.0.0", "hook": "0.0.0"}"#
    );
    let spec = std::fs::read_to_string(ws.path("strata.yaml")).unwrap();
    let named = spec.replace(
        "language: python\n",
        "language: python\nbuild:\n  env: {SETUPTOOLS_SCM_PRETEND_VERSION: \"2.5.0\"}\n",
    );
    assert_ne!(named, spec);
    std::fs::write(ws.path("strata.yaml"), named).unwrap();
    let tag = build_image(&ws, "python/vcs-versioned");
    assert_eq!(
        answer(&tag, "/"),
        r#"{"installed": "2.5.0", "hook": "2.5.0"}"#
    );
}

/// A setup.py-only CLI in the old layout (setup.py imports the package for its version and
/// reads the README): installed with its dependency once the sources are there, and run as
/// `python -m` on its package.
#[test]
fn a_setup_py_project_installs_from_its_sources_and_runs() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/setup-py-cli");
    let tag = build_image(&ws, "python/setup-py-cli");
    let out = docker_ok(&["run", "--rm", &tag, "three small words"]);
    assert_eq!(out.trim(), "wordstat 2.1.0: three word(s)");
}

/// A plain site: its pages, a directory's index.html and its own 404 page.
#[test]
fn a_plain_static_site_is_served_as_it_is() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("static/plain-site");
    let tag = build_image(&ws, "static/plain-site");
    let port = exposed_port(&tag);
    let container = Container::run_published(&tag, port);
    let address = container.address(port);
    assert!(http_get(&address, "/").contains("<h1>Field notes</h1>"));
    assert!(http_get(&address, "/about/").contains("About these notes"));
    assert!(http_head(&address, "/nowhere", &[]).starts_with("http/1.1 404"));
    let css = http_head(&address, "/css/site.css", &["Accept-Encoding: gzip"]);
    assert!(css.contains("content-encoding: gzip"), "{css}");
}

/// A Go server with a package that calls libc through cgo: built with cgo on (go build would
/// leave that file out and fail), and run on a base that has the C library.
#[test]
fn a_go_server_using_cgo_builds_with_it_and_runs_on_a_base_with_libc() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("go/cgo-sysinfo");
    let tag = build_image(&ws, "go/cgo-sysinfo");
    assert_eq!(answer(&tag, "/"), "pid 1 from libc\n");
}

#[test]
fn a_go_server_serves_what_it_embeds() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("go/embed-static");
    let tag = build_image(&ws, "go/embed-static");
    let body = answer(&tag, "/");
    assert!(body.contains("<h1>Link shelf</h1>"), "{body}");
    assert!(body.contains("2 static files"), "{body}");
}

#[test]
fn a_go_server_finds_its_templates_and_config_on_disk() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("go/runtime-templates");
    let tag = build_image(&ws, "go/runtime-templates");
    let port = exposed_port(&tag);
    let container = Container::run_published(&tag, port);
    let address = container.address(port);
    assert!(http_get(&address, "/").contains("<h1>Guestbook</h1>"));
    assert!(http_get(&address, "/static/site.css").contains("teal"));
}

#[test]
fn a_rust_binary_carries_the_readme_and_asset_it_includes() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("rust/readme-doc");
    let tag = build_image(&ws, "rust/readme-doc");
    let out = docker_ok(&["run", "--rm", &tag]);
    assert_eq!(out, "# readme-doc / logo 8 bytes");
}

/// A build script that writes generated code into `src/` (as protobuf generators pointed at the
/// source tree do) compiles: the sources are a scratch copy, not a read-only mount.
#[test]
fn a_rust_build_script_may_write_beside_the_sources() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("rust/gen-into-src");
    let tag = build_image(&ws, "rust/gen-into-src");
    let out = docker_ok(&["run", "--rm", &tag]);
    assert_eq!(out, "greeter-rpc: 2 messages, first Hello");
}

#[test]
fn an_express_server_serves_its_views_and_public_files() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("node/express-views");
    let tag = build_image(&ws, "node/express-views");
    let port = exposed_port(&tag);
    let container = Container::run_published(&tag, port);
    let address = container.address(port);
    assert!(http_get(&address, "/").contains("<h1>Bookmarks (3)</h1>"));
    assert!(http_get(&address, "/public/style.css").contains("color"));
}

/// A sample app that commits package.json alone, as tutorials and hosting samples do: npm
/// resolves it in the build, and the production install follows the lockfile that wrote.
#[test]
fn an_express_app_without_a_lockfile_builds_and_answers() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("node/unlocked-express");
    let tag = build_image(&ws, "node/unlocked-express");
    assert_eq!(answer(&tag, "/healthz"), "ok\n");
    let listed = node_eval(&tag, "console.log(require('express/package.json').version)");
    let version = String::from_utf8_lossy(&listed.stdout);
    assert!(version.trim().starts_with("4."), "express {version}");
}

/// A Vite app: index.html at the root, CSS and an SVG imported by the code, `public/`, and the
/// committed `.env.production` read by the bundler, served as a static site. The `.env.local`
/// a developer keeps (with what may be secrets) never reaches the bundle.
#[test]
fn a_vite_app_is_built_and_served_as_a_static_site() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("node/vite-vanilla");
    let tag = build_image(&ws, "node/vite-vanilla");
    let port = exposed_port(&tag);
    let container = Container::run_published(&tag, port);
    let address = container.address(port);
    let index = http_get(&address, "/");
    assert!(index.contains("<div id=\"app\"></div>"), "{index}");
    assert!(http_get(&address, "/favicon.svg").contains("<svg"));
    let script = index
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|src| src.ends_with(".js"))
        .unwrap_or_else(|| panic!("no built script in {index}"));
    let bundle = http_get(&address, script);
    assert!(bundle.contains("Counter from .env.production"), "{bundle}");
    assert!(!bundle.contains("STRATA-CANARY"), "{bundle}");
    // A client-side route answers with the app.
    assert!(http_get(&address, "/some/route").contains("<div id=\"app\"></div>"));
    // Hashed assets are cached for good, pages are checked again, text is gzipped on request.
    let asset = http_head(&address, script, &[]);
    assert!(
        asset.contains("cache-control: public, max-age=31536000, immutable"),
        "{asset}"
    );
    let page = http_head(&address, "/", &["Accept-Encoding: gzip"]);
    assert!(page.contains("cache-control: no-cache"), "{page}");
    let logo = index
        .split("src=\"")
        .chain(bundle.split('"'))
        .find_map(|part| {
            part.split('"')
                .next()
                .filter(|p| p.ends_with(".svg") && p.starts_with("/assets/"))
        })
        .unwrap_or_else(|| panic!("no hashed logo in {bundle}"));
    let zipped = http_head(&address, logo, &["Accept-Encoding: gzip"]);
    assert!(zipped.contains("content-encoding: gzip"), "{zipped}");
    assert!(!http_head(&address, logo, &[]).contains("content-encoding"));
    // A few megabytes: distroless, strata's web server and the site.
    let size: u64 = docker_ok(&["image", "inspect", "--format", "{{.Size}}", &tag])
        .parse()
        .unwrap();
    assert!(size < 10_000_000, "the site's image is {size} bytes");
}

/// The project's .dockerignore leaves out a secrets module, a local config (keeping the
/// defaults through a `!` line) and its notes: none of it is in any layer of the image, and no
/// step of the plan may see it.
#[test]
fn files_the_dockerignore_leaves_out_reach_no_layer() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/dockerignore-secret");
    let tag = build_image(&ws, "python/dockerignore-secret");
    let body = answer(&tag, "/");
    assert!(body.contains("hello from defaults.toml"), "{body}");
    assert!(body.contains("config files: defaults.toml\n"), "{body}");
    assert!(body.contains("secrets leaked: False"), "{body}");
    let patterns = leak_patterns(
        &ws.dir,
        &[
            "STRATA-CANARY-local-secrets-py",
            "STRATA-CANARY-local-toml",
            "STRATA-CANARY-notes-md",
        ],
    );
    if let Some(hit) = scan_image(&tag, &patterns) {
        panic!("an ignored file or the CA reached the image: {hit}");
    }
}

/// The CLI's README is its manual, embedded with //go:embed: editing it must rebuild the
/// binary (the output changes); editing the CHANGELOG, which nothing names, rebuilds nothing.
#[test]
fn a_readme_the_sources_embed_rebuilds_when_it_changes() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("go/readme-cli");
    let tag = "strata-test/corpus-readme-cli:edit";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    assert!(docker_ok(&["run", "--rm", tag]).starts_with("# readme-cli"));

    let token = unique_token();
    ws.append("README.md", &format!("\nEdited {token}.\n"));
    let build = build_with_ca(&ws, &["--load", "-t", tag]);
    build.assert_success();
    assert!(
        build.vertex("go build . ->").executed(),
        "the README edit did not recompile:\n{}",
        build.summary()
    );
    assert!(docker_ok(&["run", "--rm", tag]).contains(&token));

    ws.append("CHANGELOG.md", &format!("\n{}\n", unique_token()));
    let build = build_with_ca(&ws, &[]);
    build.assert_success();
    assert!(
        build.executed_steps().is_empty(),
        "a CHANGELOG edit ran steps:\n{}",
        build.summary()
    );
}

/// `strata.yaml.dockerignore` beside the spec wins over the context's `.dockerignore`, as
/// `Dockerfile.dockerignore` does for the Dockerfile frontend: here the root file would leave out
/// the app itself, the one beside the spec only the developer's files.
#[test]
fn the_ignore_file_beside_the_spec_is_the_one_that_counts() {
    let Some(_engine) = engine() else { return };
    let ws = initialised("python/dockerignore-secret");
    let rules = ws.read(".dockerignore");
    ws.write("strata.yaml.dockerignore", &rules);
    ws.write(".dockerignore", "main.py\nconfig\n");
    let tag = "strata-test/corpus-ignore-beside-spec:init";
    build_with_ca(&ws, &["--load", "-t", tag]).assert_success();
    let body = answer(tag, "/");
    assert!(body.contains("config files: defaults.toml\n"), "{body}");
    assert!(body.contains("secrets leaked: False"), "{body}");
}
