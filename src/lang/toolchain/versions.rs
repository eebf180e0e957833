//! Version requirements as projects write them — PEP 440 specifiers (`>=3.11,<4`), npm ranges
//! (`^20.11 || >=22`), plain minimums (`go 1.25.0`, `rust-version = "1.88"`) — and which release
//! line (Python 3.13, Node 24, Go 1.26) they allow. A line is allowed when some release in it
//! satisfies the requirement: `>=3.11.4` allows the 3.11 line, whose latest patch is newer.

use std::fmt;

/// A release, `major.minor.patch`; a missing part is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release(pub u32, pub u32, pub u32);

/// A release line: every release that shares its major (Node) or major.minor (Go, Python, Rust).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub major: u32,
    /// `None` for a toolchain whose lines are its majors (Node).
    pub minor: Option<u32>,
}

impl Line {
    /// The first release of the line, and the first release after it.
    fn span(self) -> (Release, Release) {
        match self.minor {
            Some(minor) => (
                Release(self.major, minor, 0),
                Release(self.major, minor + 1, 0),
            ),
            None => (Release(self.major, 0, 0), Release(self.major + 1, 0, 0)),
        }
    }

    /// The line `steps` lines later (earlier when negative), if there is one.
    pub fn offset(self, steps: i64) -> Option<Line> {
        let moved = |n: u32| u32::try_from(i64::from(n) + steps).ok();
        Some(match self.minor {
            Some(minor) => Line {
                major: self.major,
                minor: Some(moved(minor)?),
            },
            None => Line {
                major: moved(self.major)?,
                minor: None,
            },
        })
    }

    /// The line of a release, at this line's granularity.
    pub fn of(self, release: Release) -> Line {
        Line {
            major: release.0,
            minor: self.minor.map(|_| release.1),
        }
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minor {
            Some(minor) => write!(f, "{}.{minor}", self.major),
            None => write!(f, "{}", self.major),
        }
    }
}

/// One bound of an interval of releases: the release, and whether it is included.
type Bound = Option<(Release, bool)>;

/// A set of releases: the union of intervals (`||` in npm ranges), each from a lower to an upper
/// bound (`None`: unbounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    intervals: Vec<(Bound, Bound)>,
}

impl Requirement {
    /// Every release from `release` on.
    pub fn at_least(release: Release) -> Requirement {
        Requirement {
            intervals: vec![(Some((release, true)), None)],
        }
    }

    /// Whether some release of `line` is in the set.
    pub fn allows(&self, line: Line) -> bool {
        let (first, next) = line.span();
        self.intervals
            .iter()
            .any(|&(low, high)| overlaps(low, high, (first, next)))
    }

    /// A PEP 440 version specifier set, as `requires-python` writes it: comma-separated
    /// clauses that must all hold (`>=3.11`, `<4`, `~=3.12`, `==3.13.*`, `!=3.12.1`).
    pub fn pep440(text: &str) -> Result<Requirement, String> {
        let mut interval = (None, None);
        for clause in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let op_end = clause
                .find(|c: char| c.is_ascii_digit())
                .ok_or_else(|| format!("`{clause}` names no version"))?;
            let (op, version) = clause.split_at(op_end);
            let version = version.trim();
            let wildcard = version.ends_with(".*");
            let release = parse_release(version.trim_end_matches(".*"))?;
            let parts = version.trim_end_matches(".*").split('.').count();
            let bounds = match (op.trim(), wildcard) {
                (">=", _) => (Some((release, true)), None),
                (">", _) => (Some((release, false)), None),
                ("<=", _) => (None, Some((release, true))),
                ("<", _) => (None, Some((release, false))),
                ("==" | "===", false) => (Some((release, true)), Some((release, true))),
                ("==", true) => (Some((release, true)), Some((bump(release, parts), false))),
                ("~=", _) if parts >= 2 => (
                    Some((release, true)),
                    Some((bump(release, parts - 1), false)),
                ),
                // `!=` excludes one release (or one line with `.*`): never a whole line that
                // another release of could not stand in for, so it narrows nothing here.
                ("!=", _) => (None, None),
                (op, _) => return Err(format!("`{op}{version}` is not a version specifier")),
            };
            interval = intersect(interval, bounds);
        }
        Ok(Requirement {
            intervals: vec![interval],
        })
    }

    /// An npm semver range, as `engines.node` writes it: `||`-separated alternatives of
    /// space-separated comparators (`>=18 <21`), with `^`, `~`, `x`/`*` wildcards, partial
    /// versions (`<=20` is below 21) and hyphen ranges (`18 - 20`).
    pub fn npm(text: &str) -> Result<Requirement, String> {
        let mut intervals = Vec::new();
        for alternative in text.split("||").map(str::trim) {
            let mut interval = (None, None);
            let owned = npm_words(alternative);
            let words: Vec<&str> = owned.iter().map(String::as_str).collect();
            let bounds: Vec<(Bound, Bound)> = match words.as_slice() {
                [low, "-", high] => vec![(
                    lower(npm_partial(low)?),
                    upper_inclusive(npm_partial(high)?),
                )],
                _ => words
                    .iter()
                    .map(|word| npm_comparator(word))
                    .collect::<Result<_, _>>()?,
            };
            for bound in bounds {
                interval = intersect(interval, bound);
            }
            intervals.push(interval);
        }
        Ok(Requirement { intervals })
    }
}

/// The comparators of one alternative. npm allows space after an operator (`>= 18`, common in
/// real package.json files): an operator standing alone joins the version after it.
fn npm_words(alternative: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut operator = String::new();
    for word in alternative.split_whitespace() {
        if word != "-"
            && word
                .chars()
                .all(|c| matches!(c, '<' | '>' | '=' | '~' | '^'))
        {
            operator.push_str(word);
        } else {
            words.push(std::mem::take(&mut operator) + word);
        }
    }
    words
}

/// A version with its missing parts: `20` is `(20, None, None)`.
type Partial = (u32, Option<u32>, Option<u32>);

fn npm_partial(text: &str) -> Result<Option<Partial>, String> {
    let text = text.trim_start_matches(['v', '=']);
    if matches!(text, "" | "*" | "x" | "X") {
        return Ok(None);
    }
    let mut parts = text.split(['.', '-', '+']).map(|p| match p {
        "x" | "X" | "*" => Ok(None),
        p => p
            .parse::<u32>()
            .map(Some)
            .map_err(|_| format!("`{text}` is not a version")),
    });
    let major = parts.next().transpose()?.flatten();
    let minor = parts.next().transpose()?.flatten();
    let patch = parts.next().transpose()?.flatten();
    Ok(major.map(|major| (major, minor, patch)))
}

/// The first release a partial version names (`20` → 20.0.0).
fn lower(partial: Option<Partial>) -> Bound {
    partial.map(|(a, b, c)| (Release(a, b.unwrap_or(0), c.unwrap_or(0)), true))
}

/// Up to and including every release a partial version names (`20` → below 21.0.0).
fn upper_inclusive(partial: Option<Partial>) -> Bound {
    partial.map(|(a, b, c)| match (b, c) {
        (None, _) => (Release(a + 1, 0, 0), false),
        (Some(b), None) => (Release(a, b + 1, 0), false),
        (Some(b), Some(c)) => (Release(a, b, c), true),
    })
}

fn npm_comparator(word: &str) -> Result<(Bound, Bound), String> {
    let op_end = word
        .find(|c: char| c.is_ascii_alphanumeric() || c == '*')
        .unwrap_or(word.len());
    let (op, version) = word.split_at(op_end);
    let partial = npm_partial(version)?;
    let Some((a, b, c)) = partial else {
        return Ok((None, None));
    };
    let first = Release(a, b.unwrap_or(0), c.unwrap_or(0));
    Ok(match op {
        ">=" => (lower(partial), None),
        // Above every release the partial version names: `>20` starts at 21.0.0.
        ">" => match upper_inclusive(partial) {
            Some((release, false)) => (Some((release, true)), None),
            other => (other.map(|(release, _)| (release, false)), None),
        },
        "<=" => (None, upper_inclusive(partial)),
        "<" => (None, Some((first, false))),
        "^" => {
            let next = match (a, b, c) {
                (0, Some(0), Some(patch)) => Release(0, 0, patch + 1),
                (0, Some(minor), _) => Release(0, minor + 1, 0),
                _ => Release(a + 1, 0, 0),
            };
            (Some((first, true)), Some((next, false)))
        }
        "~" => {
            let next = match b {
                Some(minor) => Release(a, minor + 1, 0),
                None => Release(a + 1, 0, 0),
            };
            (Some((first, true)), Some((next, false)))
        }
        "" | "=" => (lower(partial), upper_inclusive(partial)),
        op => return Err(format!("`{op}` is not a range operator")),
    })
}

/// `major.minor.patch` with missing parts as 0; pre-release and build suffixes are dropped.
pub fn parse_release(text: &str) -> Result<Release, String> {
    let core = text
        .trim()
        .trim_start_matches('v')
        .split(['-', '+'])
        .next()
        .unwrap_or_default();
    let mut parts = core.split('.');
    let mut next = |required: bool| -> Result<u32, String> {
        match parts.next() {
            Some(p) => {
                // PEP 440 allows `3.12rc1`: the digits before the suffix are the part.
                let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                digits
                    .parse()
                    .map_err(|_| format!("`{text}` is not a version"))
            }
            None if required => Err(format!("`{text}` is not a version")),
            None => Ok(0),
        }
    };
    Ok(Release(next(true)?, next(false)?, next(false)?))
}

/// The first release after every one that shares its first `keep` parts with `release`:
/// `bump(3.12.0, 1)` is 4.0.0 (the `~=3.12` ceiling), `bump(3.12.1, 2)` is 3.13.0.
fn bump(release: Release, keep: usize) -> Release {
    match keep {
        0 | 1 => Release(release.0 + 1, 0, 0),
        _ => Release(release.0, release.1 + 1, 0),
    }
}

fn intersect(a: (Bound, Bound), b: (Bound, Bound)) -> (Bound, Bound) {
    let low = match (a.0, b.0) {
        (Some(x), Some(y)) => Some(if (x.0, !x.1) >= (y.0, !y.1) { x } else { y }),
        (x, y) => x.or(y),
    };
    let high = match (a.1, b.1) {
        (Some(x), Some(y)) => Some(if (x.0, x.1) <= (y.0, y.1) { x } else { y }),
        (x, y) => x.or(y),
    };
    (low, high)
}

/// Whether `[low, high]` (with its inclusiveness) meets the half-open span `[first, next)`.
fn overlaps(low: Bound, high: Bound, (first, next): (Release, Release)) -> bool {
    let (low, high) = intersect((low, high), (Some((first, true)), Some((next, false))));
    match (low, high) {
        (Some((l, l_in)), Some((h, h_in))) => l < h || (l == h && l_in && h_in),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python(minor: u32) -> Line {
        Line {
            major: 3,
            minor: Some(minor),
        }
    }

    fn node(major: u32) -> Line {
        Line { major, minor: None }
    }

    fn allowed(requirement: &Requirement, lines: impl IntoIterator<Item = Line>) -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| requirement.allows(*l))
            .map(|l| l.to_string())
            .collect()
    }

    #[test]
    fn python_specifiers_allow_the_lines_some_release_of_which_satisfies_them() {
        let minors = || (8..=15).map(python);
        for (specifier, lines) in [
            (">=3.11", vec!["3.11", "3.12", "3.13", "3.14", "3.15"]),
            (">=3.14,<4.0", vec!["3.14", "3.15"]),
            (">=3.11.4, <3.13", vec!["3.11", "3.12"]),
            ("~=3.12", vec!["3.12", "3.13", "3.14", "3.15"]),
            ("~=3.12.1", vec!["3.12"]),
            ("==3.13.*", vec!["3.13"]),
            ("==3.10", vec!["3.10"]),
            (">3.12", vec!["3.12", "3.13", "3.14", "3.15"]),
            ("<=3.9", vec!["3.8", "3.9"]),
            (
                ">=3.9,!=3.12.1",
                vec!["3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"],
            ),
            ("<3.10", vec!["3.8", "3.9"]),
        ] {
            let requirement = Requirement::pep440(specifier).unwrap();
            assert_eq!(allowed(&requirement, minors()), lines, "{specifier}");
        }
        for bad in [">=three", "=>3.11", "3.11"] {
            assert!(Requirement::pep440(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn npm_ranges_allow_the_majors_some_release_of_which_satisfies_them() {
        let majors = || (16..=26).map(node);
        for (range, lines) in [
            (">=20", vec!["20", "21", "22", "23", "24", "25", "26"]),
            ("^20.11.0", vec!["20"]),
            ("^20.11 || >=22", vec!["20", "22", "23", "24", "25", "26"]),
            (">=18 <21", vec!["18", "19", "20"]),
            ("20.x", vec!["20"]),
            ("22", vec!["22"]),
            ("~22.3", vec!["22"]),
            ("18 - 20", vec!["18", "19", "20"]),
            (">20", vec!["21", "22", "23", "24", "25", "26"]),
            (">20.5", vec!["20", "21", "22", "23", "24", "25", "26"]),
            ("<=22", vec!["16", "17", "18", "19", "20", "21", "22"]),
            ("<22", vec!["16", "17", "18", "19", "20", "21"]),
            (
                "*",
                vec![
                    "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26",
                ],
            ),
            ("v24.1.0", vec!["24"]),
            // Space after the operator, as real manifests write it (express: `>= 18`).
            (
                ">= 18",
                vec!["18", "19", "20", "21", "22", "23", "24", "25", "26"],
            ),
            (">= 20.0.0 < 23", vec!["20", "21", "22"]),
            ("^ 22 || >= 24", vec!["22", "24", "25", "26"]),
        ] {
            let requirement = Requirement::npm(range).unwrap();
            assert_eq!(allowed(&requirement, majors()), lines, "{range}");
        }
        assert!(Requirement::npm(">=twenty").is_err());
    }

    #[test]
    fn a_minimum_allows_its_own_line_and_every_later_one() {
        let go = |minor| Line {
            major: 1,
            minor: Some(minor),
        };
        let requirement = Requirement::at_least(parse_release("1.25.3").unwrap());
        assert_eq!(
            allowed(&requirement, (23..=27).map(go)),
            ["1.25", "1.26", "1.27"]
        );
        assert_eq!(go(25).offset(-2), Some(go(23)));
        assert_eq!(node(0).offset(-1), None);
    }
}
