//! What a provider knows of the build context: the files of the app directory (minus what the
//! build's `.dockerignore` and strata's never-inputs leave out), and the contents of the few
//! it reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::plan::{ParentMatches, PatternList};

/// The ignore file every build context may have at its root.
pub const DOCKERIGNORE: &str = ".dockerignore";

/// What no build step reads, whatever the language: version control, installed packages,
/// virtualenvs, tool caches, editor and OS litter. Never listed and never sent to a step, so a
/// checkout's node_modules costs nothing. Relative to the app directory.
const NEVER_INPUTS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "**/node_modules",
    "**/.venv",
    "**/__pycache__",
    "**/*.pyc",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/.ruff_cache",
    "**/.tox",
    "**/.nox",
    "**/.DS_Store",
    ".idea",
    ".vscode",
];

/// What a provider needs of the context, relative to the app directory: what it never wants
/// listed besides [`NEVER_INPUTS`] (its own build outputs), and the listed files whose
/// contents it reads (manifests, sources it scans), both as patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    pub never: Vec<String>,
    pub read: Vec<String>,
}

impl Probe {
    pub fn extend(&mut self, other: Probe) {
        for (mine, theirs) in [(&mut self.never, other.never), (&mut self.read, other.read)] {
            for item in theirs {
                if !mine.contains(&item) {
                    mine.push(item);
                }
            }
        }
    }

    /// Every never-input, strata's and the provider's, relative to the app directory.
    pub fn never_inputs(&self) -> Vec<String> {
        let mut all: Vec<String> = NEVER_INPUTS.iter().map(|p| p.to_string()).collect();
        all.extend(self.never.iter().cloned());
        all
    }
}

/// `app_dir` joined with a relative path; `.` disappears.
pub fn join(app_dir: &str, path: &str) -> String {
    if app_dir == "." {
        path.to_string()
    } else {
        format!("{app_dir}/{path}")
    }
}

/// A pattern relative to `app_dir` as seen from the context root, keeping a leading `!`.
pub fn root_pattern(app_dir: &str, pattern: &str) -> String {
    match pattern.strip_prefix('!') {
        Some(rest) => format!("!{}", join(app_dir, rest)),
        None => join(app_dir, pattern),
    }
}

/// The build's ignore file: `<spec>.dockerignore` beside the spec, else `.dockerignore` at the
/// context root (the Dockerfile frontend's rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreFile {
    /// The file's name as the user knows it, for messages.
    pub name: String,
    /// Its patterns, relative to the context root, in order.
    pub patterns: Vec<String>,
}

impl IgnoreFile {
    /// Reads an ignore file's lines the way the engine does: `#` comments and blank lines go,
    /// whitespace is trimmed, a leading `/` is dropped, `!` stays.
    pub fn parse(name: &str, text: &str) -> IgnoreFile {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let patterns = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| match line.strip_prefix('!') {
                Some(rest) => format!("!{}", rest.trim().trim_start_matches('/')),
                None => line.trim_start_matches('/').to_string(),
            })
            .collect();
        IgnoreFile {
            name: name.to_string(),
            patterns,
        }
    }

    /// The ignore file for a build of `spec_file` with `context` as the build context.
    pub fn find(context: &Path, spec_file: &Path) -> std::io::Result<Option<IgnoreFile>> {
        let beside_spec = spec_file.file_name().map(|name| {
            let mut name = name.to_os_string();
            name.push(DOCKERIGNORE);
            spec_file.with_file_name(name)
        });
        for candidate in beside_spec.into_iter().chain([context.join(DOCKERIGNORE)]) {
            match std::fs::read_to_string(&candidate) {
                Ok(text) => {
                    let name = candidate
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| DOCKERIGNORE.to_string());
                    return Ok(Some(IgnoreFile::parse(&name, &text)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

/// The patterns no view of the context may pass, relative to the context root: the ignore
/// file's, then the never-inputs of the app directory.
pub fn context_excludes(ignore: Option<&IgnoreFile>, app_dir: &str, probe: &Probe) -> Vec<String> {
    let mut all: Vec<String> = ignore.map(|i| i.patterns.clone()).unwrap_or_default();
    all.extend(
        probe
            .never_inputs()
            .iter()
            .map(|p| root_pattern(app_dir, p)),
    );
    all
}

/// Paths are relative to the context root, `/`-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextFiles {
    pub paths: BTreeSet<String>,
    pub contents: BTreeMap<String, String>,
    /// The build's ignore file, when it has one.
    pub ignore: Option<IgnoreFile>,
}

impl ContextFiles {
    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    /// For a message about a file that is not there: where to look when the build has an ignore
    /// file.
    pub fn ignore_hint(&self) -> String {
        self.ignore
            .as_ref()
            .map(|i| format!(" (check {}, which may leave it out)", i.name))
            .unwrap_or_default()
    }

    /// The text of a file read for the provider (`path` relative to `app_dir`), or `None`.
    pub fn text(&self, app_dir: &str, path: &str) -> Option<&str> {
        self.contents.get(&join(app_dir, path)).map(String::as_str)
    }

    /// Paths under `app_dir`, relative to it.
    pub fn under<'a>(&'a self, app_dir: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.paths.iter().filter_map(move |p| {
            if app_dir == "." {
                Some(p.as_str())
            } else {
                p.strip_prefix(app_dir)?.strip_prefix('/')
            }
        })
    }

    /// Lists `app_dir` of the context directory on disk the way the engine's transfer of it
    /// would (the same exclude patterns, matched the same way), and reads the probe's files.
    pub fn from_dir(
        context: &Path,
        app_dir: &str,
        probe: &Probe,
        ignore: Option<IgnoreFile>,
    ) -> std::io::Result<ContextFiles> {
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let excludes = PatternList::new(&context_excludes(ignore.as_ref(), app_dir, probe))
            .map_err(invalid)?;
        let mut files = ContextFiles {
            ignore,
            ..ContextFiles::default()
        };
        // The app directory's own ancestors first: the ignore file can leave it out entirely.
        let mut parent = ParentMatches::default();
        let mut start = String::new();
        if app_dir != "." {
            for part in app_dir.split('/') {
                start = if start.is_empty() {
                    part.to_string()
                } else {
                    format!("{start}/{part}")
                };
                let (excluded, carried) = excludes.matches_in_walk(&start, &parent);
                if excluded && !excludes.has_negations() {
                    return Ok(files);
                }
                parent = carried;
            }
        }
        let mut pending = vec![(start, parent)];
        while let Some((dir, parent)) = pending.pop() {
            let on_disk = if dir.is_empty() {
                context.to_path_buf()
            } else {
                context.join(&dir)
            };
            for entry in std::fs::read_dir(&on_disk)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                let (excluded, carried) = excludes.matches_in_walk(&path, &parent);
                if entry.file_type()?.is_dir() {
                    // An excluded directory is walked only if a `!` pattern may take some of
                    // its entries back.
                    if !excluded || excludes.has_negations() {
                        pending.push((path, carried));
                    }
                } else if !excluded {
                    files.paths.insert(path);
                }
            }
        }
        let reads = files.to_read(app_dir, probe)?;
        for wanted in reads {
            let bytes = std::fs::read(context.join(&wanted))?;
            files
                .contents
                .insert(wanted, String::from_utf8_lossy(&bytes).into_owned());
        }
        Ok(files)
    }

    /// The listed files whose contents the probe asks for.
    pub fn to_read(&self, app_dir: &str, probe: &Probe) -> std::io::Result<Vec<String>> {
        let rooted: Vec<String> = probe
            .read
            .iter()
            .map(|p| root_pattern(app_dir, p))
            .collect();
        let read = PatternList::new(&rooted)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        Ok(self
            .paths
            .iter()
            .filter(|p| read.matches(p))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_files_read_like_the_engine_reads_them() {
        let file = IgnoreFile::parse(
            ".dockerignore",
            "\u{feff}# secrets\n/local_secrets.py\n\n  *.md  \n! README.md\n!/docs/keep.md\n",
        );
        assert_eq!(
            file.patterns,
            ["local_secrets.py", "*.md", "!README.md", "!docs/keep.md"]
        );
    }

    #[test]
    fn the_ignore_file_beside_the_spec_wins_over_the_context_root() {
        let root = std::env::temp_dir().join(format!("strata-ignore-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("deploy")).unwrap();
        std::fs::write(root.join(".dockerignore"), "root-rule\n").unwrap();
        let beside = root.join("deploy/strata.yaml");
        let found = IgnoreFile::find(&root, &beside).unwrap().unwrap();
        assert_eq!(
            (found.name.as_str(), found.patterns.as_slice()),
            (".dockerignore", &["root-rule".to_string()][..])
        );
        std::fs::write(root.join("deploy/strata.yaml.dockerignore"), "spec-rule\n").unwrap();
        let found = IgnoreFile::find(&root, &beside).unwrap().unwrap();
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(found.name, "strata.yaml.dockerignore");
        assert_eq!(found.patterns, ["spec-rule"]);
    }

    #[test]
    fn listing_on_disk_leaves_out_ignored_files_and_never_inputs() {
        let root = std::env::temp_dir().join(format!("strata-context-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for file in [
            "app/main.py",
            "app/local_secrets.py",
            "app/notes.md",
            "app/README.md",
            "app/node_modules/x/index.js",
            "app/.git/HEAD",
            "other/skip.py",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let ignore = IgnoreFile::parse(
            ".dockerignore",
            "app/local_secrets.py\n**/*.md\n!**/README.md\n",
        );
        let probe = Probe {
            never: Vec::new(),
            read: vec!["*.py".to_string()],
        };
        let files = ContextFiles::from_dir(&root, "app", &probe, Some(ignore)).unwrap();
        let _ = std::fs::remove_dir_all(&root);
        let listed: Vec<&str> = files.paths.iter().map(String::as_str).collect();
        assert_eq!(listed, ["app/README.md", "app/main.py"]);
        assert_eq!(files.contents.keys().collect::<Vec<_>>(), ["app/main.py"]);
    }
}
