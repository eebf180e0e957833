//! What the compile and runtime steps see, built one way for every language (issue #14): the app
//! directory (or a narrower base a provider proves from the sources, such as Go's import
//! closure), minus what no build of its kind reads, plus every file a manifest or source names,
//! plus `build.include`, minus `build.exclude`. The build's ignore file and the never-inputs
//! apply on top of all of it (`Plan::excluded`): nothing here can bring back a file they leave
//! out.

use super::context::root_pattern;
use std::collections::BTreeSet;

use crate::plan::{ContextExclusions, ContextSelection, PatternList, SelectionRule, literal};
use crate::spec::Spec;

/// Patterns (relative to the app directory) that a kind of build does not read, and why.
struct LeftOut {
    patterns: &'static [&'static str],
    why: &'static str,
}

/// Documentation by name, anywhere: what no compiler, bundler or interpreter reads unless a
/// manifest or source names it (and then it is a [`Reference`]).
const NAMED_DOCUMENTATION: LeftOut = LeftOut {
    patterns: &[
        "**/README*",
        "**/CHANGELOG*",
        "**/CHANGES*",
        "**/HISTORY*",
        "**/LICENSE*",
        "**/LICENCE*",
        "**/COPYING*",
        "**/NOTICE*",
        "**/AUTHORS*",
        "**/CONTRIBUTING*",
        "**/CODE_OF_CONDUCT*",
        "**/SECURITY*",
    ],
    why: "documentation",
};

/// Documentation trees: the top level's markdown and the docs directory. Not for front-end
/// builds, whose site generators read markdown as content.
const DOCUMENTATION_TREES: LeftOut = LeftOut {
    patterns: &["*.md", "*.rst", "*.adoc", "docs"],
    why: "documentation",
};

/// Files for the repository's tools, CI and the container build itself. Not `.gitignore`:
/// hatchling reads it to leave git-ignored files out of a wheel.
const REPOSITORY_TOOLING: LeftOut = LeftOut {
    patterns: &[
        ".github",
        ".gitlab",
        ".gitlab-ci.yml",
        ".circleci",
        ".travis.yml",
        ".gitattributes",
        ".gitmodules",
        ".editorconfig",
        ".pre-commit-config.yaml",
        "**/.dockerignore",
        "**/*.dockerignore",
        "**/Dockerfile",
        "**/Dockerfile.*",
        "**/*.Dockerfile",
        "docker-compose*.yml",
        "docker-compose*.yaml",
        "compose.yml",
        "compose.yaml",
        "docker-bake.hcl",
        "**/strata.yaml",
        "**/strata.schema.json",
    ],
    why: "repository and CI tooling",
};

/// Local settings that by convention hold credentials and are never committed: dotenv files
/// (not the `.env.production` that front-end builds read; the other environments' files no
/// production build reads, and `.env.prod` is often the real secrets) and package-manager
/// credentials.
const LOCAL_SECRETS: LeftOut = LeftOut {
    patterns: &[
        "**/.env",
        "**/.env.local",
        "**/.env.*.local",
        "**/.env.prod",
        "**/.env.dev",
        "**/.env.development",
        "**/.env.staging",
        "**/.env.test",
        "**/.npmrc",
        "**/.pypirc",
        "**/.netrc",
    ],
    why: "local settings that may hold credentials",
};

/// Which documentation a kind of build leaves out.
pub(crate) enum Documentation {
    /// Documentation by name and the documentation trees.
    All,
    /// Only documentation by name: the build may read other markdown as content.
    ByName,
}

/// A file, directory or glob (relative to the app directory) that a manifest or a source names,
/// which the build reads: it is in, whatever the defaults say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    pub path: String,
    /// Whether `path` is a pattern (`static/*`) rather than one path.
    pub glob: bool,
    /// "named by pyproject.toml `readme`", "//go:embed in main.go".
    pub why: String,
}

impl Reference {
    pub fn path(path: impl Into<String>, why: impl Into<String>) -> Reference {
        Reference {
            path: path.into(),
            glob: false,
            why: why.into(),
        }
    }

    pub fn glob(pattern: impl Into<String>, why: impl Into<String>) -> Reference {
        Reference {
            path: pattern.into(),
            glob: true,
            why: why.into(),
        }
    }
}

/// A view of the context under construction, in rule order.
pub(crate) struct Sources {
    dir: String,
    rules: Vec<SelectionRule>,
}

impl Sources {
    /// The whole app directory, without what no build reads unless something names it:
    /// documentation, repository and CI tooling, local settings that may hold credentials.
    pub fn app_directory(spec: &Spec, documentation: Documentation) -> Sources {
        let dir = spec.path.value.clone();
        let everything = if dir == "." {
            "**".to_string()
        } else {
            literal(&dir)
        };
        let mut sources = Sources {
            rules: vec![SelectionRule {
                pattern: everything,
                selects: true,
                why: "the app directory".to_string(),
            }],
            dir,
        };
        sources.leave_out(NAMED_DOCUMENTATION.patterns, NAMED_DOCUMENTATION.why);
        if let Documentation::All = documentation {
            sources.leave_out(DOCUMENTATION_TREES.patterns, DOCUMENTATION_TREES.why);
        }
        for group in [&REPOSITORY_TOOLING, &LOCAL_SECRETS] {
            sources.leave_out(group.patterns, group.why);
        }
        sources
    }

    /// Nothing yet: a provider adds the base it proves from the sources.
    pub fn empty(spec: &Spec) -> Sources {
        Sources {
            dir: spec.path.value.clone(),
            rules: Vec::new(),
        }
    }

    /// Adds patterns (relative to the app directory) to the view.
    pub fn take(&mut self, patterns: impl IntoIterator<Item = impl AsRef<str>>, why: &str) {
        self.push(patterns, true, why);
    }

    /// Leaves out what the patterns match, unless a later rule brings it back.
    pub fn leave_out(&mut self, patterns: impl IntoIterator<Item = impl AsRef<str>>, why: &str) {
        self.push(patterns, false, why);
    }

    /// Brings in what manifests and sources name, as found in the app directory's listing
    /// (`listed`, relative to it): a file as itself, a directory with everything in it, a glob
    /// as written. A directory's `dir/**` rule is needed besides `dir`, because the engine
    /// decides a file in a directory from what it decided for the directory, and an earlier
    /// rule may have left the file out. Returns the references that name nothing listed.
    pub fn name(&mut self, listed: &[&str], references: Vec<Reference>) -> Vec<Reference> {
        let mut missing = Vec::new();
        for reference in references {
            let pattern = if reference.glob {
                reference.path.clone()
            } else {
                literal(&reference.path)
            };
            let matches = PatternList::new(&[pattern.as_str()]).ok();
            let found = listed
                .iter()
                .filter(|p| matches.as_ref().is_some_and(|m| m.matches(p)));
            match found.map(|p| *p == reference.path).reduce(|a, b| a && b) {
                None => missing.push(reference),
                // Exactly the one file.
                Some(true) => self.take([pattern], &reference.why),
                Some(false) => {
                    self.take([pattern.clone(), format!("{pattern}/**")], &reference.why)
                }
            }
        }
        missing
    }

    /// The view, with the spec's `build.include` and then its `build.exclude` last, so the
    /// user's word wins.
    pub fn finish(mut self, spec: &Spec) -> ContextSelection {
        for pattern in &spec.build.include {
            self.take([&pattern.value], "build.include");
        }
        for pattern in &spec.build.exclude {
            self.leave_out([&pattern.value], "build.exclude");
        }
        ContextSelection { rules: self.rules }
    }

    fn push(
        &mut self,
        patterns: impl IntoIterator<Item = impl AsRef<str>>,
        selects: bool,
        why: &str,
    ) {
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let rooted = root_pattern(&self.dir, pattern);
            let rule = SelectionRule {
                pattern: rooted,
                selects,
                why: why.to_string(),
            };
            if !self.rules.contains(&rule) {
                self.rules.push(rule);
            }
        }
    }
}

/// `dir/relative` normalised (`.` and `..` resolved), relative to the app directory (`.` for the
/// directory itself); `None` if it is absolute or climbs out of the app directory.
pub(crate) fn resolve(dir: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = if dir == "." || dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// [`resolve`], for a path that names something in the app directory (not the directory).
pub(crate) fn resolve_inside(dir: &str, relative: &str) -> Option<String> {
    resolve(dir, relative).filter(|path| path != ".")
}

/// The directory of a path relative to the app directory (`.` at the top).
pub(crate) fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

/// The plain string literals of a source file, with their 1-based line: text between `quotes`
/// outside comments that start with `comment`, without escapes (a literal with a backslash is
/// skipped: paths in sources have none).
pub(crate) fn string_literals(
    source: &str,
    quotes: &[char],
    comment: &str,
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let mut rest = line;
        loop {
            let quote_at = rest.find(quotes);
            let comment_at = rest.find(comment);
            let Some(start) = quote_at else { break };
            if comment_at.is_some_and(|c| c < start) {
                break;
            }
            let quote = rest[start..].chars().next().unwrap_or('"');
            let body = &rest[start + quote.len_utf8()..];
            let mut end = None;
            let mut escaped = false;
            let mut chars = body.char_indices();
            while let Some((at, c)) = chars.next() {
                if c == '\\' {
                    escaped = true;
                    chars.next();
                } else if c == quote {
                    end = Some(at);
                    break;
                }
            }
            let Some(end) = end else { break };
            if !escaped && end > 0 {
                out.push((number + 1, body[..end].to_string()));
            }
            rest = &body[end + quote.len_utf8()..];
        }
    }
    out
}

/// What a compiled program reads from its working directory at run time, by the paths its
/// sources spell out (`template.ParseGlob("templates/*.html")`, `fs::read("public/robots.txt")`):
/// the files and directories (relative to the app directory, which is the image's working
/// directory) that a string literal names, or a glob in one matches, when `readable` says what
/// they name may be read at run time. A glob must start from a named directory: `*.md` in a
/// program is a pattern it applies to other files, not a file it opens.
fn runtime_reads(
    sources: &[(&str, &str)],
    listed: &[&str],
    readable: impl Fn(&str) -> bool,
) -> Vec<Reference> {
    let mut out: Vec<Reference> = Vec::new();
    for (path, text) in sources {
        let file = path.rsplit('/').next().unwrap_or(path);
        let lines: Vec<&str> = text.lines().collect();
        for (line, written) in string_literals(text, &['"'], "//") {
            let named = written.trim_start_matches("./").trim_end_matches('/');
            let first = named.split('/').next().unwrap_or_default();
            if named.is_empty()
                || named.contains(char::is_whitespace)
                || first.contains(['*', '?', '['])
                || is_a_key(lines.get(line - 1).copied().unwrap_or_default(), &written)
            {
                continue;
            }
            let Some(target) = resolve_inside(".", named) else {
                continue;
            };
            let glob = target.contains(['*', '?', '[']);
            let pattern = if glob {
                target.clone()
            } else {
                literal(&target)
            };
            let Ok(matcher) = PatternList::new(&[pattern]) else {
                continue;
            };
            let read = listed.iter().any(|p| matcher.matches(p) && readable(p));
            if read && !out.iter().any(|r| r.path == target) {
                out.push(Reference {
                    path: target,
                    glob,
                    why: format!("read at run time (\"{written}\" in {file}:{line})"),
                });
            }
        }
    }
    out
}

/// Whether the literal is a key on its line (`"justfile": icon` in a map, `case "Makefile":`,
/// `"Cargo.toml" => …` in a match): a name the program compares with, not a file it opens.
fn is_a_key(line: &str, literal: &str) -> bool {
    let quoted = format!("\"{literal}\"");
    line.match_indices(&quoted).any(|(at, _)| {
        let after = line[at + quoted.len()..].trim_start();
        (after.starts_with(':') && !after.starts_with(":=")) || after.starts_with("=>")
    })
}

/// The app directory as a compiled program may read it at run time: without documentation,
/// tooling, local settings, what `compiled` names (sources, manifests: compiled in) and
/// `tests`.
pub(crate) fn readable_at_run_time<'a>(
    spec: &Spec,
    compiled: &[&str],
    tests: impl IntoIterator<Item = &'a str>,
) -> ContextSelection {
    let mut readable = Sources::app_directory(spec, Documentation::All);
    readable.leave_out(compiled, "compiled into the binary");
    readable.leave_out(tests, "tests");
    readable.finish(spec)
}

/// The view of the files a compiled program reads at run time (see [`runtime_reads`]; `program`
/// is its sources by path, `built_in` what the compile step builds in), for its runtime image,
/// keeping out what `readable` leaves out. `None` when it reads none.
pub(crate) fn runtime_files(
    spec: &Spec,
    program: &[(&str, &str)],
    listed: &[&str],
    built_in: &[Reference],
    readable: &ContextSelection,
) -> Option<ContextSelection> {
    let eligible: BTreeSet<&str> = readable
        .pick(&ContextExclusions::default(), listed.iter().copied())
        .unwrap_or_default()
        .into_iter()
        .collect();
    let built_in = PatternList::new(
        &built_in
            .iter()
            .map(|r| {
                if r.glob {
                    r.path.clone()
                } else {
                    literal(&r.path)
                }
            })
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let reads = runtime_reads(program, listed, |path| {
        eligible.contains(path) && !built_in.matches(path)
    });
    if reads.is_empty() {
        return None;
    }
    let mut files = Sources::empty(spec);
    files.name(listed, reads);
    files
        .rules
        .extend(readable.rules.iter().filter(|r| !r.selects).cloned());
    Some(ContextSelection { rules: files.rules })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        crate::spec::parse(b"version: 1\nlanguage: go\n").expect("a valid spec")
    }

    #[test]
    fn string_literals_skip_comments_escapes_and_empty_strings() {
        let source =
            "open(\"config.json\") // \"commented.txt\"\nx := \"a\\\"b\" + \"\" + \"ok\"\n";
        assert_eq!(
            string_literals(source, &['"'], "//"),
            [(1, "config.json".to_string()), (2, "ok".to_string())]
        );
        let python = "read('README.md')  # 'not this'\n";
        assert_eq!(
            string_literals(python, &['"', '\''], "#"),
            [(1, "README.md".to_string())]
        );
    }

    #[test]
    fn references_bring_back_files_directories_and_globs_and_report_the_missing() {
        let listed = [
            "README.md",
            "static/app.css",
            "static/img/logo.svg",
            "main.go",
        ];
        let mut sources = Sources::app_directory(&spec(), Documentation::All);
        let missing = sources.name(
            &listed,
            vec![
                Reference::path("README.md", "embedded"),
                Reference::path("static", "embedded"),
                Reference::glob("static/*.css", "embedded"),
                Reference::path("gone.txt", "embedded"),
            ],
        );
        assert_eq!(missing, [Reference::path("gone.txt", "embedded")]);
        let selection = sources.finish(&spec());
        let seen = selection
            .pick(&Default::default(), listed)
            .expect("valid patterns");
        assert_eq!(seen, listed);
        let patterns = selection.include_patterns();
        assert!(patterns.contains(&"static/**".to_string()), "{patterns:?}");
        assert!(
            !patterns.contains(&"README.md/**".to_string()),
            "{patterns:?}"
        );
    }

    #[test]
    fn runtime_reads_are_listed_paths_a_literal_names_never_sources_docs_secrets_or_embeds() {
        let main = "t := template.Must(template.ParseGlob(\"templates/*.html\"))\n\
                    http.Dir(\"./static/\")\nos.ReadFile(\"config.json\")\n\
                    godotenv.Load(\".env\")\nos.ReadFile(\"main.go\")\nfmt.Println(\"hello world\")\n\
                    embedded := \"assets\"\nmatch(\"*.md\", \"README.md\")\n\
                    icons := map[string]string{\"theme.css\": \"c\"}\nswitch f { case \"theme.css\":\n}\n";
        let listed = [
            "main.go",
            "templates/index.html",
            "static/site.css",
            "config.json",
            ".env",
            "assets/logo.png",
            "README.md",
            "theme.css",
        ];
        let embedded = [Reference::path("assets", "//go:embed")];
        let readable = readable_at_run_time(&spec(), &["**/*.go"], []);
        let files = runtime_files(&spec(), &[("main.go", main)], &listed, &embedded, &readable)
            .expect("some files");
        let named: Vec<&str> = files
            .rules
            .iter()
            .filter(|r| r.selects)
            .map(|r| r.why.as_str())
            .collect();
        assert_eq!(
            named,
            [
                "read at run time (\"templates/*.html\" in main.go:1)",
                "read at run time (\"templates/*.html\" in main.go:1)",
                "read at run time (\"./static/\" in main.go:2)",
                "read at run time (\"./static/\" in main.go:2)",
                "read at run time (\"config.json\" in main.go:3)",
            ]
        );
        let seen = files.pick(&Default::default(), listed).unwrap();
        assert_eq!(
            seen,
            ["templates/index.html", "static/site.css", "config.json"]
        );
    }
}
