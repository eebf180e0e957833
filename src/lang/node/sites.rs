//! Front-end apps: which directory of a Node project's build is a site to serve, and how its
//! framework says so. Such an app has no server of its own in production; its `start` script,
//! when it has one, runs a development server.

use serde_json::Value as Json;

use super::PackageJson;
use crate::lang::ContextFiles;
use crate::plan::PatternList;
use crate::spec::{Spec, normalise_relative};

/// Bundlers by package, and where their build writes the site by default.
const BUNDLERS: &[(&str, &str)] = &[
    ("vite", "dist"),
    ("react-scripts", "build"),
    ("@vue/cli-service", "dist"),
    ("parcel", "dist"),
    ("astro", "dist"),
];
/// The Angular CLI's build packages (the CLI itself, the application builder of Angular 17+,
/// and the older webpack-based one).
const ANGULAR: &[&str] = &[
    "@angular/cli",
    "@angular/build",
    "@angular-devkit/build-angular",
];
/// Start scripts that run a bundler's development server: not how a built app is served.
const DEV_SERVERS: &[&str] = &[
    "react-scripts start",
    "vite",
    "vite dev",
    "vue-cli-service serve",
    "parcel",
    "astro dev",
    "ng serve",
    "webpack serve",
    "webpack-dev-server",
];
/// Next.js reads its settings from the first of these.
pub(super) const NEXT_CONFIGS: &[&str] = &[
    "next.config.js",
    "next.config.mjs",
    "next.config.cjs",
    "next.config.ts",
];

/// Where Next.js apps load their fonts: the root layout, a pages app's `_app`, a fonts module.
pub(super) const NEXT_FONT_FILES: &[&str] = &[
    "**/layout.js",
    "**/layout.jsx",
    "**/layout.ts",
    "**/layout.tsx",
    "**/_app.js",
    "**/_app.jsx",
    "**/_app.ts",
    "**/_app.tsx",
    "**/*font*.js",
    "**/*font*.jsx",
    "**/*font*.ts",
    "**/*font*.tsx",
];

/// A site the build writes: its directory (relative to the app) and what says it is there.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct BuiltSite {
    pub dir: String,
    pub why: String,
}

impl BuiltSite {
    fn new(dir: impl Into<String>, why: impl Into<String>) -> BuiltSite {
        BuiltSite {
            dir: dir.into(),
            why: why.into(),
        }
    }
}

/// What a Node project's image runs.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum AppKind {
    /// A front-end app: its built site, served by strata's web server.
    Site(BuiltSite),
    /// Next.js with `output: "standalone"`: the traced server its build writes.
    NextStandalone,
    /// A server of its own (its start script or `main`), on the app's production dependencies.
    Server,
}

pub(super) fn kind(spec: &Spec, files: &ContextFiles, package: &PackageJson) -> AppKind {
    if let Some(site) = built_site(spec, files, package) {
        AppKind::Site(site)
    } else if package.dependencies.iter().any(|d| d == "next")
        && next_output(spec, files, "standalone")
    {
        AppKind::NextStandalone
    } else {
        AppKind::Server
    }
}

/// The site the app's build writes, when the app is a front-end one: the spec's `run.static`;
/// Next.js exporting a static site; else, for an app with a build script and no server of its
/// own (no `main`, no `start` or a development server), the output of the Angular CLI or of a
/// known bundler.
fn built_site(spec: &Spec, files: &ContextFiles, package: &PackageJson) -> Option<BuiltSite> {
    if let Some(site) = &spec.run.site {
        return Some(BuiltSite::new(&site.value, "run.static"));
    }
    let uses = |name: &str| package.dependencies.iter().any(|d| d == name);
    if !package.has_build || package.main.is_some() {
        return None;
    }
    if uses("next") {
        // `next start` cannot serve an export, so the start script says nothing here.
        return next_output(spec, files, "export")
            .then(|| BuiltSite::new("out", "Next.js with `output: \"export\"` writes out/"));
    }
    if let Some(start) = package.scripts.get("start") {
        if !DEV_SERVERS.contains(&start.trim()) {
            return None;
        }
    }
    if ANGULAR.iter().any(|name| uses(name)) {
        return angular_output(spec, files).map(|dir| {
            let why = format!("angular.json: the Angular CLI builds to {dir}/");
            BuiltSite::new(dir, why)
        });
    }
    BUNDLERS
        .iter()
        .find(|(bundler, _)| uses(bundler))
        .map(|(bundler, dir)| BuiltSite::new(*dir, format!("{bundler} builds to {dir}/")))
}

/// The file of a Next.js app that loads Google Fonts (`next/font/google`), which `next build`
/// downloads: its build needs the network.
pub(super) fn google_fonts(
    spec: &Spec,
    files: &ContextFiles,
    package: &PackageJson,
) -> Option<String> {
    if !package.dependencies.iter().any(|d| d == "next") {
        return None;
    }
    let dir = spec.path.value.as_str();
    let fonts = PatternList::new(NEXT_FONT_FILES).ok()?;
    files
        .under(dir)
        .filter(|path| fonts.matches(path))
        .find(|path| {
            files
                .text(dir, path)
                .is_some_and(|text| text.contains("next/font/google"))
        })
        .map(str::to_string)
}

/// Whether a Next.js config sets `output` to `mode` (`"standalone"` or `"export"`), on a line
/// that is not commented out.
fn next_output(spec: &Spec, files: &ContextFiles, mode: &str) -> bool {
    let quoted = [format!("\"{mode}\""), format!("'{mode}'")];
    NEXT_CONFIGS
        .iter()
        .filter_map(|config| files.text(&spec.path.value, config))
        .any(|text| {
            text.lines().any(|line| {
                let line = line.split("//").next().unwrap_or_default();
                line.contains("output") && quoted.iter().any(|q| line.contains(q.as_str()))
            })
        })
}

/// Where `ng build` writes the first application in angular.json: its build target's
/// `outputPath` (a path, or `{base, browser}`), `dist/<project>` when unset. The application
/// builder (Angular 17+) puts the files a browser loads in the `browser` folder under it.
fn angular_output(spec: &Spec, files: &ContextFiles) -> Option<String> {
    let doc: Json = serde_json::from_str(files.text(&spec.path.value, "angular.json")?).ok()?;
    let (name, project) = doc
        .get("projects")?
        .as_object()?
        .iter()
        .find(|(_, p)| p.get("projectType").and_then(Json::as_str) != Some("library"))?;
    let build = project
        .get("architect")
        .or_else(|| project.get("targets"))?
        .get("build")?;
    let application = build
        .get("builder")
        .and_then(Json::as_str)
        .is_some_and(|builder| builder.ends_with(":application"));
    let (base, browser) = match build.pointer("/options/outputPath") {
        Some(Json::String(path)) => (path.clone(), None),
        Some(Json::Object(paths)) => (
            paths.get("base")?.as_str()?.to_string(),
            paths.get("browser").and_then(Json::as_str),
        ),
        _ => (format!("dist/{name}"), None),
    };
    let dir = match (application, browser) {
        (false, _) | (true, Some("")) => base,
        (true, Some(folder)) => format!("{base}/{folder}"),
        (true, None) => format!("{base}/browser"),
    };
    normalise_relative(&dir).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    fn site_in(spec: &str, manifest: &str, others: &[(&str, &str)]) -> Option<BuiltSite> {
        let mut files = ContextFiles::default();
        for (path, text) in [("package.json", manifest)].iter().chain(others) {
            files.paths.insert(path.to_string());
            files.contents.insert(path.to_string(), text.to_string());
        }
        let spec = spec::parse(spec.as_bytes()).expect("a valid test spec");
        built_site(&spec, &files, &PackageJson::parse(manifest).unwrap())
    }

    fn site_of(manifest: &str, others: &[(&str, &str)]) -> Option<BuiltSite> {
        site_in("version: 1\nlanguage: node\n", manifest, others)
    }

    const NG: &str = r#"{"scripts": {"start": "ng serve", "build": "ng build"},
        "devDependencies": {"@angular/cli": "20", "@angular/build": "20"}}"#;

    #[test]
    fn angular_applications_are_served_from_the_browser_folder_of_their_output_path() {
        for (angular_json, dir) in [
            (
                r#"{"projects": {"shop": {"projectType": "application", "architect": {"build":
                   {"builder": "@angular/build:application", "options": {"outputPath": "dist/shop"}}}}}}"#,
                "dist/shop/browser",
            ),
            (
                r#"{"projects": {"shop": {"architect": {"build":
                   {"builder": "@angular/build:application", "options": {}}}}}}"#,
                "dist/shop/browser",
            ),
            (
                r#"{"projects": {"shop": {"architect": {"build": {"builder": "@angular/build:application",
                   "options": {"outputPath": {"base": "www", "browser": ""}}}}}}}"#,
                "www",
            ),
            (
                r#"{"projects": {"ui": {"projectType": "library"}, "shop": {"architect": {"build":
                   {"builder": "@angular-devkit/build-angular:browser", "options": {"outputPath": "./dist/shop/"}}}}}}"#,
                "dist/shop",
            ),
        ] {
            let site = site_of(NG, &[("angular.json", angular_json)]).expect(angular_json);
            assert_eq!(site.dir, dir, "{angular_json}");
        }
        assert_eq!(site_of(NG, &[]), None, "no angular.json: nothing to serve");
    }

    #[test]
    fn next_serves_its_export_and_not_its_standalone_server() {
        let manifest = r#"{"scripts": {"build": "next build", "start": "next start"},
            "dependencies": {"next": "15"}}"#;
        let export = site_of(
            manifest,
            &[("next.config.mjs", "export default { output: 'export' };")],
        );
        assert_eq!(export.map(|s| s.dir), Some("out".to_string()));
        for config in [
            "module.exports = { output: \"standalone\" };",
            "// output: 'export'\nmodule.exports = {};",
        ] {
            assert_eq!(
                site_of(manifest, &[("next.config.js", config)]),
                None,
                "{config}"
            );
        }
    }

    #[test]
    fn the_spec_names_the_site_of_any_build() {
        let manifest = r#"{"scripts": {"build": "webpack --mode production", "start": "node server.js"},
            "devDependencies": {"webpack": "5"}}"#;
        let spec = "version: 1\nlanguage: node\nrun:\n  static: public/\n";
        assert_eq!(site_of(manifest, &[]), None);
        assert_eq!(
            site_in(spec, manifest, &[]),
            Some(BuiltSite::new("public", "run.static"))
        );
    }

    #[test]
    fn a_next_app_that_loads_google_fonts_is_found_by_the_file_that_does() {
        let next = r#"{"scripts": {"build": "next build", "start": "next start"},
            "dependencies": {"next": "16"}}"#;
        let fonts_in = |files: &[(&str, &str)]| {
            let mut context = ContextFiles::default();
            for (path, text) in [("package.json", next)].iter().chain(files) {
                context.paths.insert(path.to_string());
                context.contents.insert(path.to_string(), text.to_string());
            }
            let spec = spec::parse(b"version: 1\nlanguage: node\n").unwrap();
            google_fonts(&spec, &context, &PackageJson::parse(next).unwrap())
        };
        let google = "import { Geist } from 'next/font/google';\n";
        assert_eq!(
            fonts_in(&[("app/layout.tsx", google), ("app/page.tsx", "")]),
            Some("app/layout.tsx".to_string())
        );
        assert_eq!(
            fonts_in(&[("src/ui/fonts.ts", google)]),
            Some("src/ui/fonts.ts".to_string())
        );
        let local = "import localFont from 'next/font/local';\n";
        assert_eq!(fonts_in(&[("app/layout.tsx", local)]), None);
    }
}
