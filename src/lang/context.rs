//! What a provider knows of the build context: file paths and a few small manifests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Patterns (relative to the app directory) of files a provider needs listed, and of the few
/// listed files whose contents it reads (manifests: `go.mod`, every `**/Cargo.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    pub list: Vec<String>,
    pub exclude: Vec<String>,
    pub read: Vec<String>,
}

impl Probe {
    pub fn extend(&mut self, other: Probe) {
        for (mine, theirs) in [
            (&mut self.list, other.list),
            (&mut self.exclude, other.exclude),
            (&mut self.read, other.read),
        ] {
            for item in theirs {
                if !mine.contains(&item) {
                    mine.push(item);
                }
            }
        }
    }

    /// The probe's patterns as seen from the context root.
    pub fn rooted(&self, app_dir: &str) -> Probe {
        let root = |items: &[String]| items.iter().map(|p| join(app_dir, p)).collect();
        Probe {
            list: root(&self.list),
            exclude: root(&self.exclude),
            read: root(&self.read),
        }
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

/// Paths are relative to the context root, `/`-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextFiles {
    pub paths: BTreeSet<String>,
    pub contents: BTreeMap<String, String>,
}

impl ContextFiles {
    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
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

    /// Lists a directory on disk the way BuildKit's local source would transfer it with the
    /// probe's (rooted) patterns, and reads the probe's manifests.
    pub fn from_dir(root: &Path, probe: &Probe) -> std::io::Result<ContextFiles> {
        let include = glob_set(&probe.list)?;
        let exclude = glob_set(&probe.exclude)?;
        let mut files = ContextFiles::default();
        let mut pending = vec![root.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                let path = entry.path();
                let Ok(relative) = path.strip_prefix(root) else {
                    continue;
                };
                let relative = relative.to_string_lossy().replace('\\', "/");
                if kind.is_dir() {
                    if relative != ".git" {
                        pending.push(path);
                    }
                } else if include.is_match(&relative) && !exclude.is_match(&relative) {
                    files.paths.insert(relative);
                }
            }
        }
        for wanted in files.to_read(probe)? {
            let text = std::fs::read_to_string(root.join(&wanted))?;
            files.contents.insert(wanted, text);
        }
        Ok(files)
    }

    /// The listed files whose contents the probe asks for.
    pub fn to_read(&self, probe: &Probe) -> std::io::Result<Vec<String>> {
        let read = glob_set(&probe.read)?;
        Ok(self
            .paths
            .iter()
            .filter(|p| read.is_match(p.as_str()))
            .cloned()
            .collect())
    }
}

fn glob_set(patterns: &[String]) -> std::io::Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}
