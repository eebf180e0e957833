//! What a Python web app runs in production, by its framework (#15): Django with gunicorn (or
//! uvicorn for ASGI) on the project's WSGI module, FastAPI and Starlette with uvicorn on the
//! `module:app` the sources define, Flask with gunicorn. Each binds 0.0.0.0 on port 8000. The
//! servers must be among the dependencies: strata adds none.

use std::collections::BTreeSet;

use crate::lang::context::ContextFiles;
use crate::lang::inputs::string_literals;
use crate::lang::start::Start;
use crate::spec::{Diagnostic, Diagnostics, Spec};

/// The port every Python framework server binds.
pub(super) const PORT: u16 = 8000;

/// The normalised names of the packages the project depends on, from every dependency file it
/// has (lockfiles name the transitive ones too).
pub(super) fn dependencies(files: &ContextFiles, dir: &str, local: &[&str]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let text = |path: &str| files.text(dir, path).unwrap_or_default();
    let roots: Vec<String> = local
        .iter()
        .filter(|p| super::is_requirements_file(p))
        .map(|p| p.to_string())
        .collect();
    let included = super::requirement_includes(files, dir, &roots, local);
    for path in roots.iter().chain(&included) {
        for line in text(path).lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if !line.is_empty() && !line.starts_with('-') {
                names.extend(requirement_names(line));
            }
        }
    }
    for lock in ["uv.lock", "poetry.lock"] {
        for line in text(lock).lines() {
            if let Some(name) = line.strip_prefix("name = ") {
                names.insert(normalise(name.trim_matches('"')));
            }
        }
    }
    if let Ok(doc) = toml::from_str::<toml::Table>(text("pyproject.toml")) {
        let listed = doc
            .get("project")
            .and_then(|p| p.get("dependencies"))
            .and_then(toml::Value::as_array);
        for requirement in listed.into_iter().flatten().filter_map(toml::Value::as_str) {
            names.extend(requirement_names(requirement));
        }
        let poetry = doc
            .get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.get("dependencies"))
            .and_then(toml::Value::as_table);
        names.extend(
            poetry
                .into_iter()
                .flat_map(|t| t.keys().map(|k| normalise(k))),
        );
    }
    names
}

/// A requirement's package name, and what its extras are known to bring
/// (`fastapi[standard]` brings uvicorn).
fn requirement_names(requirement: &str) -> Vec<String> {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or(requirement.len());
    let name = normalise(&requirement[..end]);
    let extras = requirement[end..]
        .strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .unwrap_or_default();
    let mut out = vec![name.clone()];
    if name == "fastapi" && extras.split(',').any(|e| e.trim() == "standard") {
        out.push("uvicorn".to_string());
    }
    out
}

fn normalise(name: &str) -> String {
    name.trim().to_lowercase().replace('_', "-")
}

/// The framework's production command, when the app is one strata knows.
pub(super) fn start(
    spec: &Spec,
    files: &ContextFiles,
    local: &[&str],
    dependencies: &BTreeSet<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<Start>, Diagnostics> {
    let dir = spec.path.value.as_str();
    let has = |name: &str| dependencies.contains(name);
    if let Some(django) = Django::find(files, dir, local) {
        return django.start(spec, dependencies).map(Some);
    }
    let sources = python_files(files, dir, local);
    for framework in ["FastAPI", "Starlette"] {
        if let Some(target) = app_object(&sources, framework) {
            if !has("uvicorn") {
                return Err(Diagnostic::at(
                    spec.path.location,
                    format!("the {framework} app `{target}` needs a server to run it"),
                )
                .with_hint("add uvicorn (or `fastapi[standard]`) to the dependencies, or set `run.command`")
                .needs_command()
                .into());
            }
            let command = server(&["uvicorn", &target, "--host", "0.0.0.0", "--port", "8000"]);
            return Ok(Some(
                Start::new(command, format!("{framework}: uvicorn on {target}")).on_port(PORT),
            ));
        }
    }
    let flask = app_object(&sources, "Flask").or_else(|| factory(&sources, "create_app"));
    if let Some(target) = flask {
        if has("gunicorn") {
            let command = server(&["gunicorn", "--bind", "0.0.0.0:8000", &target]);
            return Ok(Some(
                Start::new(command, format!("Flask: gunicorn on {target}")).on_port(PORT),
            ));
        }
        warnings.push(format!(
            "the Flask app `{target}` has no production server among its dependencies: add \
             gunicorn and strata runs `gunicorn {target}`"
        ));
    }
    Ok(None)
}

fn server(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// The Python files strata reads, by path relative to the app directory.
fn python_files<'a>(
    files: &'a ContextFiles,
    dir: &str,
    local: &[&'a str],
) -> Vec<(&'a str, &'a str)> {
    local
        .iter()
        .filter(|p| p.ends_with(".py") && !crate::lang::beside_the_app(p))
        .filter_map(|p| Some((*p, files.text(dir, p)?)))
        .collect()
}

/// `module:name` of a module-level `name = Framework(…)`, preferring the usual entry modules.
fn app_object(sources: &[(&str, &str)], framework: &str) -> Option<String> {
    let call = &format!("{framework}(");
    let mut found: Vec<(&str, String)> = sources
        .iter()
        .flat_map(|(path, text)| {
            text.lines().filter_map(move |line| {
                let (name, value) = line.split_once('=')?;
                let name = name.split(':').next()?.trim_end();
                let is_name = !name.is_empty()
                    && !line.starts_with(char::is_whitespace)
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                (is_name && value.trim_start().starts_with(call.as_str()))
                    .then(|| (*path, format!("{}:{name}", module_of(path))))
            })
        })
        .collect();
    found.sort_by_key(|(path, _)| entry_rank(path));
    found.into_iter().next().map(|(_, target)| target)
}

/// `module:factory()` of a module-level `def factory(`.
fn factory(sources: &[(&str, &str)], name: &str) -> Option<String> {
    let definition = format!("def {name}(");
    let mut found: Vec<&str> = sources
        .iter()
        .filter(|(_, text)| text.lines().any(|l| l.starts_with(&definition)))
        .map(|(path, _)| *path)
        .collect();
    found.sort_by_key(|path| entry_rank(path));
    found
        .first()
        .map(|path| format!("{}:{name}()", module_of(path)))
}

/// The usual entry modules first, then shallower files.
fn entry_rank(path: &str) -> (bool, usize, String) {
    let file = path.rsplit('/').next().unwrap_or(path);
    let usual = matches!(
        file,
        "main.py" | "app.py" | "api.py" | "server.py" | "__init__.py"
    );
    (!usual, path.matches('/').count(), path.to_string())
}

/// `src/pkg/api.py` → `pkg.api`, `pkg/__init__.py` → `pkg`, `main.py` → `main`.
fn module_of(path: &str) -> String {
    let path = path.strip_prefix("src/").unwrap_or(path);
    let path = path.strip_suffix(".py").unwrap_or(path);
    let path = path.strip_suffix("/__init__").unwrap_or(path);
    path.replace('/', ".")
}

/// A Django project: `manage.py` and the settings module it names.
pub(super) struct Django {
    /// `mysite.settings`, or `config.settings.production`.
    pub settings_module: String,
    settings: String,
}

impl Django {
    pub fn find(files: &ContextFiles, dir: &str, local: &[&str]) -> Option<Django> {
        let manage = files.text(dir, "manage.py")?;
        let settings_module = manage
            .lines()
            .filter(|line| line.contains("DJANGO_SETTINGS_MODULE"))
            .flat_map(|line| string_literals(line, &['"', '\''], "#"))
            .map(|(_, literal)| literal)
            .find(|literal| literal != "DJANGO_SETTINGS_MODULE")?;
        let path = settings_module.replace('.', "/");
        let settings = [format!("{path}.py"), format!("{path}/__init__.py")]
            .iter()
            .find(|p| local.contains(&p.as_str()))
            .and_then(|p| files.text(dir, p))
            .unwrap_or_default()
            .to_string();
        Some(Django {
            settings_module,
            settings,
        })
    }

    /// gunicorn on the WSGI module, or uvicorn on the ASGI one; which must be a dependency.
    fn start(&self, spec: &Spec, dependencies: &BTreeSet<String>) -> Result<Start, Diagnostics> {
        let package = self.settings_module.split('.').next().unwrap_or_default();
        let application = |key: &str, fallback: &str| {
            self.setting(key)
                .and_then(|v| v.strip_suffix(".application").map(str::to_string))
                .unwrap_or_else(|| format!("{package}.{fallback}"))
        };
        if dependencies.contains("gunicorn") {
            let wsgi = application("WSGI_APPLICATION", "wsgi");
            let command = server(&["gunicorn", &wsgi, "--bind", "0.0.0.0:8000"]);
            return Ok(Start::new(command, format!("Django: gunicorn on {wsgi}")).on_port(PORT));
        }
        if dependencies.contains("uvicorn") {
            let asgi = format!("{}:application", application("ASGI_APPLICATION", "asgi"));
            let command = server(&["uvicorn", &asgi, "--host", "0.0.0.0", "--port", "8000"]);
            return Ok(Start::new(command, format!("Django: uvicorn on {asgi}")).on_port(PORT));
        }
        Err(Diagnostic::at(
            spec.path.location,
            "this Django project has no production server among its dependencies",
        )
        .with_hint(
            "add gunicorn (or uvicorn, for ASGI) to the dependencies and strata runs it on the \
             project's WSGI module; or set `run.command`",
        )
        .needs_command()
        .into())
    }

    /// Whether `collectstatic` has somewhere to collect to.
    pub fn collects_static(&self) -> bool {
        self.settings
            .lines()
            .any(|line| line.trim_start().starts_with("STATIC_ROOT"))
    }

    /// The string a module-level `KEY = "…"` assigns.
    fn setting(&self, key: &str) -> Option<String> {
        self.settings
            .lines()
            .filter(|line| line.starts_with(key))
            .flat_map(|line| string_literals(line, &['"', '\''], "#"))
            .map(|(_, literal)| literal)
            .next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(files: &[(&str, &str)]) -> (ContextFiles, Vec<String>) {
        let mut context = ContextFiles::default();
        for (path, text) in files {
            context.paths.insert(path.to_string());
            context.contents.insert(path.to_string(), text.to_string());
        }
        let local = files.iter().map(|(p, _)| p.to_string()).collect();
        (context, local)
    }

    fn start_of(files: &[(&str, &str)]) -> Result<Option<Start>, String> {
        let spec = crate::spec::parse(b"version: 1\nlanguage: python\n").unwrap();
        let (context, local) = context(files);
        let local: Vec<&str> = local.iter().map(String::as_str).collect();
        let deps = dependencies(&context, ".", &local);
        start(&spec, &context, &local, &deps, &mut Vec::new()).map_err(|d| d.render("s", ""))
    }

    #[test]
    fn dependencies_come_from_requirements_pyproject_and_lockfiles() {
        let (files, local) = context(&[
            (
                "requirements.txt",
                "Django==5.1 # web\ngunicorn>=22\n-r base.txt\n",
            ),
            (
                "pyproject.toml",
                "[project]\ndependencies = [\"fastapi[standard]>=0.115\", \"Jinja2\"]\n",
            ),
            ("uv.lock", "[[package]]\nname = \"python-multipart\"\n"),
        ]);
        let local: Vec<&str> = local.iter().map(String::as_str).collect();
        let names: Vec<String> = dependencies(&files, ".", &local).into_iter().collect();
        assert_eq!(
            names,
            [
                "django",
                "fastapi",
                "gunicorn",
                "jinja2",
                "python-multipart",
                "uvicorn"
            ]
        );
    }

    #[test]
    fn django_runs_gunicorn_on_the_wsgi_module_its_settings_name() {
        let manage =
            "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\n";
        let settings =
            "WSGI_APPLICATION = 'shop.wsgi.application'\nSTATIC_ROOT = BASE_DIR / 'staticfiles'\n";
        let start = start_of(&[
            ("manage.py", manage),
            ("shop/settings.py", settings),
            ("requirements.txt", "django\ngunicorn\n"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            start.command,
            ["gunicorn", "shop.wsgi", "--bind", "0.0.0.0:8000"]
        );
        assert_eq!(start.why, "Django: gunicorn on shop.wsgi");
        let without =
            start_of(&[("manage.py", manage), ("requirements.txt", "django\n")]).unwrap_err();
        assert!(without.contains("add gunicorn"), "{without}");
    }

    #[test]
    fn fastapi_runs_uvicorn_on_the_app_its_sources_define_over_a_decoy_script() {
        let start = start_of(&[
            (
                "pyproject.toml",
                "[project]\ndependencies = [\"fastapi[standard]\"]\n",
            ),
            ("src/shop/__init__.py", "def hello():\n    print('hello')\n"),
            (
                "src/shop/api.py",
                "from fastapi import FastAPI\n\napp = FastAPI(title='shop')\n",
            ),
            ("src/shop/routes.py", "def make():\n    app = FastAPI()\n"),
            // Apps in tests and examples are not the app (starlette's test suite has one at
            // a shallower, more usual-looking path).
            ("tests/app.py", "app = FastAPI()\n"),
            ("examples/main.py", "app = FastAPI()\n"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            start.command,
            [
                "uvicorn",
                "shop.api:app",
                "--host",
                "0.0.0.0",
                "--port",
                "8000"
            ]
        );
        assert_eq!(start.port, Some(8000));
    }

    #[test]
    fn flask_runs_gunicorn_on_its_app_or_factory() {
        let start = start_of(&[
            ("requirements.txt", "flask\ngunicorn\n"),
            (
                "blog/__init__.py",
                "def create_app(test_config=None):\n    pass\n",
            ),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            start.command,
            ["gunicorn", "--bind", "0.0.0.0:8000", "blog:create_app()"]
        );
        assert_eq!(
            start_of(&[
                ("requirements.txt", "flask\n"),
                ("app.py", "app = Flask(__name__)\n")
            ])
            .unwrap(),
            None,
            "without gunicorn the language's rule decides"
        );
    }
}
