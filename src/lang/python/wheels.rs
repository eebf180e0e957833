//! Which Python lines a lockfile's wheels cover (uv.lock's, poetry.lock's). A locked package whose wheels all target older
//! interpreters builds from its sdist on a newer one, and the builder image has no C compiler:
//! an old lock (httptools 0.6.4, wheels up to cp313) fails on Python 3.14 where it built on 3.13.
//! So the lock limits the line strata picks by default, as a range, never against a pin.

use crate::lang::toolchain::{Demand, Line, Requirement};

/// The newest line, at most `default`, on which every locked package that ships Linux wheels
/// has one: a demand for `<` the line after it, when that is below `default`. `name` is the
/// lockfile's: uv.lock lists a package's `wheels` by URL, poetry.lock its `files` by name.
pub(super) fn wheel_demand(name: &str, lock: &str, default: Line) -> Option<Demand> {
    let doc: toml::Table = lock.parse().ok()?;
    let packages = doc.get("package")?.as_array()?;
    let lacking = |line: Line| {
        packages.iter().find(|package| {
            let listed = |key: &str| package.get(key).and_then(|w| w.as_array());
            let wheels: Vec<&str> = listed("wheels")
                .into_iter()
                .chain(listed("files"))
                .flatten()
                .filter_map(|w| {
                    w.get("url")
                        .or_else(|| w.get("path"))
                        .or_else(|| w.get("file"))?
                        .as_str()
                })
                .filter_map(|url| url.rsplit('/').next())
                .filter(|file| file.ends_with(".whl") && runs_on_linux(file))
                .collect();
            !wheels.is_empty() && !wheels.iter().any(|file| covers(file, line))
        })
    };
    let first_lacking = lacking(default)?;
    let covered = (1..=8)
        .filter_map(|step| default.offset(-step))
        .find(|line| lacking(*line).is_none())?;
    let package = first_lacking.get("name")?.as_str()?;
    let version = first_lacking.get("version")?.as_str()?;
    let above = covered.offset(1)?;
    Some(Demand::allows(
        format!("{name} (`{package}` {version} has no wheel for Python {default})"),
        Requirement::pep440(&format!("<{above}")).ok()?,
    ))
}

/// A wheel file's platform tag is Linux's or any platform's.
fn runs_on_linux(file: &str) -> bool {
    let platform = file
        .trim_end_matches(".whl")
        .rsplit('-')
        .next()
        .unwrap_or("");
    platform == "any" || platform.split('.').any(|p| p.contains("linux"))
}

/// The wheel installs on CPython `line`: a pure-Python wheel, an abi3 wheel for that line or an
/// older one, or one built for exactly that line (free-threaded builds aside).
fn covers(file: &str, line: Line) -> bool {
    let tags: Vec<&str> = file.trim_end_matches(".whl").rsplit('-').collect();
    let (Some(abi), Some(python)) = (tags.get(1), tags.get(2)) else {
        return false;
    };
    python.split('.').any(|tag| {
        if tag.starts_with("py3") {
            return true;
        }
        let Some(digits) = tag.strip_prefix("cp3") else {
            return false;
        };
        let Ok(minor) = digits.parse::<u32>() else {
            return false;
        };
        let built = Line {
            major: 3,
            minor: Some(minor),
        };
        match *abi {
            "abi3" => built <= line,
            _ => built == line && *abi == format!("cp3{minor}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY314: Line = Line {
        major: 3,
        minor: Some(14),
    };

    fn lock(wheels: &[&str]) -> String {
        let listed: Vec<String> = wheels
            .iter()
            .map(|w| format!("{{ url = \"https://files.example/{w}\" }}"))
            .collect();
        format!(
            "version = 1\n\n[[package]]\nname = \"httptools\"\nversion = \"0.6.4\"\n\
             sdist = {{ url = \"https://files.example/httptools-0.6.4.tar.gz\" }}\n\
             wheels = [{}]\n",
            listed.join(", ")
        )
    }

    #[test]
    fn a_lock_without_wheels_for_the_default_asks_for_the_newest_line_it_covers() {
        let old = lock(&[
            "httptools-0.6.4-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "httptools-0.6.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "httptools-0.6.4-cp314-cp314-win_amd64.whl",
            "httptools-0.6.4-cp314-cp314t-manylinux_2_17_x86_64.whl",
        ]);
        let demand = wheel_demand("uv.lock", &old, PY314).expect("a demand");
        assert_eq!(
            demand.source,
            "uv.lock (`httptools` 0.6.4 has no wheel for Python 3.14)"
        );
        let line = |minor| Line {
            major: 3,
            minor: Some(minor),
        };
        assert!(demand.accepts(line(13)) && !demand.accepts(line(14)));
    }

    #[test]
    fn a_poetry_lock_lists_its_wheels_by_file_name() {
        let lock = "[[package]]\nname = \"psycopg-binary\"\nversion = \"3.2.1\"\nfiles = [\n\
             {file = \"psycopg_binary-3.2.1-cp312-cp312-manylinux_2_17_x86_64.whl\", hash = \"sha256:a\"},\n\
             {file = \"psycopg_binary-3.2.1-cp310-cp310-manylinux_2_17_x86_64.whl\", hash = \"sha256:b\"},\n\
             {file = \"psycopg_binary-3.2.1-cp313-cp313-win_amd64.whl\", hash = \"sha256:c\"},\n]\n\
             [[package]]\nname = \"anyio\"\nversion = \"4.4.0\"\nfiles = [\n\
             {file = \"anyio-4.4.0-py3-none-any.whl\", hash = \"sha256:d\"},\n\
             {file = \"anyio-4.4.0.tar.gz\", hash = \"sha256:e\"},\n]\n";
        let demand = wheel_demand("poetry.lock", lock, PY314).expect("a demand");
        assert_eq!(
            demand.source,
            "poetry.lock (`psycopg-binary` 3.2.1 has no wheel for Python 3.14)"
        );
        let line = |minor| Line {
            major: 3,
            minor: Some(minor),
        };
        assert!(demand.accepts(line(12)) && !demand.accepts(line(13)));
    }

    #[test]
    fn pure_python_abi3_and_current_wheels_ask_for_nothing() {
        for wheel in [
            "six-1.17.0-py2.py3-none-any.whl",
            "cryptography-46.0.1-cp311-abi3-manylinux_2_34_x86_64.whl",
            "httptools-0.7.1-cp314-cp314-manylinux_2_17_x86_64.whl",
        ] {
            assert_eq!(
                wheel_demand("uv.lock", &lock(&[wheel]), PY314),
                None,
                "{wheel}"
            );
        }
        // An sdist alone builds the same on every line.
        assert_eq!(wheel_demand("uv.lock", &lock(&[]), PY314), None);
    }
}
