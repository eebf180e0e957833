//! Path patterns as `.dockerignore` and BuildKit's local sources read them (the syntax and
//! matching of moby/patternmatcher): `*` and `?` within one path segment, `**` across segments,
//! `[…]` classes, `\` escapes, a leading `!` that takes a path back out. A pattern that matches
//! a directory matches everything under it, and the last pattern that matches a path decides.
//!
//! strata evaluates selections with these rules itself (to list the context on disk, and to say
//! which files a step sees) and hands the same patterns to the engine, so both agree.

use std::collections::BTreeMap;

use regex::Regex;

/// One pattern, cleaned the way the engine cleans it.
#[derive(Debug, Clone)]
struct Pattern {
    /// Without its `!`, cleaned: no `.` segments, no trailing `/`.
    text: String,
    /// `!pattern`: a path it matches is taken back out of the match.
    negated: bool,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Exact,
    /// `dir/**`: everything under `dir/`.
    Prefix(String),
    /// `**/name`: a path ending in `/name`, or `name` itself.
    Suffix(String),
    Regex(Regex),
}

/// An ordered list of patterns.
#[derive(Debug, Clone, Default)]
pub struct PatternList {
    patterns: Vec<Pattern>,
}

/// What the patterns said of a directory, carried to its entries the way the engine's walk
/// carries it: a pattern that matched a directory matches everything in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParentMatches(Vec<bool>);

impl PatternList {
    /// Compiles the patterns; blank ones are skipped. An error names the pattern.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<PatternList, String> {
        let mut compiled = Vec::new();
        for raw in patterns {
            let raw = raw.as_ref().trim();
            if raw.is_empty() {
                continue;
            }
            let (negated, body) = match raw.strip_prefix('!') {
                Some("") => return Err("`!` alone is not a pattern".to_string()),
                Some(rest) => (true, rest),
                None => (false, raw),
            };
            let text = clean(body);
            let matcher = compile(&text).map_err(|why| format!("`{raw}`: {why}"))?;
            compiled.push(Pattern {
                text,
                negated,
                matcher,
            });
        }
        Ok(PatternList { patterns: compiled })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any pattern takes paths back out (`!…`).
    pub fn has_negations(&self) -> bool {
        self.patterns.iter().any(|p| p.negated)
    }

    /// Whether `path` (relative, `/`-separated) is matched: by the last pattern that matches it
    /// or one of its parent directories.
    pub fn matches(&self, path: &str) -> bool {
        let ancestors = ancestors(path);
        let mut matched = false;
        for pattern in &self.patterns {
            // A pattern that cannot change the verdict is not looked at (as the engine does).
            if pattern.negated != matched {
                continue;
            }
            if pattern.matches(path) || ancestors.iter().any(|a| pattern.matches(a)) {
                matched = !pattern.negated;
            }
        }
        matched
    }

    /// `matches` as the engine's walk computes it: each entry of a directory starts from what
    /// the patterns said of the directory (`parent`, empty at the top), and the result carries
    /// on to the entry's own entries.
    pub fn matches_in_walk(&self, path: &str, parent: &ParentMatches) -> (bool, ParentMatches) {
        let mut matched = false;
        let mut here = vec![false; self.patterns.len()];
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut hit = parent.0.get(i).copied().unwrap_or(false);
            if !hit {
                if pattern.negated != matched {
                    continue;
                }
                hit = pattern.matches(path)
                    || (parent.0.is_empty() && ancestors(path).iter().any(|a| pattern.matches(a)));
            }
            here[i] = hit;
            if hit {
                matched = !pattern.negated;
            }
        }
        (matched, ParentMatches(here))
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact => path == self.text,
            Matcher::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Matcher::Suffix(suffix) => {
                path.ends_with(suffix.as_str())
                    || suffix.strip_prefix('/').is_some_and(|bare| path == bare)
            }
            Matcher::Regex(regex) => regex.is_match(path),
        }
    }
}

/// `a/b/c` → `[a, a/b]`.
fn ancestors(path: &str) -> Vec<&str> {
    path.match_indices('/').map(|(at, _)| &path[..at]).collect()
}

/// Go's `filepath.Clean` for relative patterns: `.` segments and doubled or trailing slashes
/// go, `..` climbs; a leading `/` is dropped (patterns are relative to the context root).
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !pattern.starts_with('/') {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// A pattern's matcher, as patternmatcher compiles it: plain text is an exact match, `dir/**`
/// a prefix, `**/name` a suffix, anything else a regular expression over the whole path.
fn compile(text: &str) -> Result<Matcher, String> {
    check_classes(text)?;
    #[derive(PartialEq)]
    enum Kind {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut kind = Kind::Exact;
    let mut regex = String::from("^");
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    let mut token = 0;
    // Inside `[…]` characters pass as they are: a class has its own syntax (`a-z`, `^`).
    let mut in_class = false;
    while at < chars.len() {
        let c = chars[at];
        at += 1;
        match c {
            '*' if chars.get(at) == Some(&'*') => {
                at += 1;
                if chars.get(at) == Some(&'/') {
                    at += 1;
                }
                if at == chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        regex.push_str(".*");
                        kind = Kind::Regex;
                    }
                } else {
                    regex.push_str("(.*/)?");
                    kind = Kind::Regex;
                }
                if token == 0 {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                regex.push_str("[^/]*");
                kind = Kind::Regex;
            }
            '?' => {
                regex.push_str("[^/]");
                kind = Kind::Regex;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                regex.push('\\');
                regex.push(c);
            }
            '\\' => match chars.get(at) {
                Some(&next) => {
                    at += 1;
                    regex.push_str(&regex::escape(&next.to_string()));
                    kind = Kind::Regex;
                }
                None => regex.push_str("\\\\"),
            },
            '[' | ']' => {
                in_class = c == '[';
                regex.push(c);
                kind = Kind::Regex;
            }
            _ if in_class => regex.push(c),
            _ => regex.push_str(&regex::escape(&c.to_string())),
        }
        token += 1;
    }
    Ok(match kind {
        Kind::Exact => Matcher::Exact,
        // `dir/**` keeps `dir/`; `**` alone matches everything.
        Kind::Prefix => Matcher::Prefix(text[..text.len() - 2].to_string()),
        Kind::Suffix => Matcher::Suffix(text[2..].to_string()),
        Kind::Regex => {
            regex.push('$');
            Matcher::Regex(Regex::new(&regex).map_err(|_| "not a valid pattern".to_string())?)
        }
    })
}

/// The paths (files, relative to the context root) a local source with these include and
/// exclude patterns passes, decided the way the engine's walk decides: each directory's
/// verdicts carry on to its entries. An empty include list includes everything.
pub fn walk_select<'a>(
    include: &PatternList,
    exclude: &PatternList,
    paths: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let mut directories: BTreeMap<String, (ParentMatches, ParentMatches)> = BTreeMap::new();
    let mut picked = Vec::new();
    for path in paths {
        let mut carried = (ParentMatches::default(), ParentMatches::default());
        for dir in ancestors(path) {
            carried = match directories.get(dir) {
                Some(known) => known.clone(),
                None => {
                    let here = (
                        include.matches_in_walk(dir, &carried.0).1,
                        exclude.matches_in_walk(dir, &carried.1).1,
                    );
                    directories.insert(dir.to_string(), here.clone());
                    here
                }
            };
        }
        let included = include.is_empty() || include.matches_in_walk(path, &carried.0).0;
        if included && !exclude.matches_in_walk(path, &carried.1).0 {
            picked.push(path);
        }
    }
    picked
}

/// Refuses what Go's `filepath.Match` refuses, as the engine checks every pattern with it: a
/// class `[…]` must close and hold at least one character or range, and a range's ends are
/// characters (not `-` or `]`), each possibly escaped; a trailing `\` escapes nothing.
fn check_classes(text: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("not a valid pattern ({why})"));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => return bad("a `\\` at the end escapes nothing"),
            '[' => {
                chars.next_if_eq(&'^');
                let mut ranges = 0;
                loop {
                    if ranges > 0 && chars.next_if_eq(&']').is_some() {
                        break;
                    }
                    if range_end(&mut chars).is_none() {
                        return bad("a `[` class must hold characters and close with `]`");
                    }
                    if chars.next_if_eq(&'-').is_some() && range_end(&mut chars).is_none() {
                        return bad("a range in `[…]` needs a character after `-`");
                    }
                    ranges += 1;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// One end of a range in a class: a character other than `-` and `]`, or an escaped one.
fn range_end(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    match chars.next() {
        None | Some('-' | ']') => None,
        Some('\\') => chars.next(),
        Some(c) => Some(c),
    }
}

/// `path` as a pattern that matches exactly it: the characters patterns give a meaning to are
/// escaped.
pub fn literal(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(patterns: &[&str]) -> PatternList {
        PatternList::new(patterns).expect("valid patterns")
    }

    #[test]
    fn plain_names_match_from_the_root_and_take_their_directory_along() {
        let ignore = list(&["secrets", "local_secrets.py"]);
        assert!(ignore.matches("secrets/key.pem"));
        assert!(ignore.matches("local_secrets.py"));
        assert!(
            !ignore.matches("app/local_secrets.py"),
            "a plain name is rooted"
        );
        assert!(!ignore.matches("secrets.txt"));
    }

    #[test]
    fn stars_stay_in_one_segment_and_double_stars_cross_them() {
        let ignore = list(&["*.md", "**/*.log", "docs/**", "**/node_modules"]);
        assert!(ignore.matches("README.md"));
        assert!(!ignore.matches("src/notes.md"));
        assert!(ignore.matches("a/b/c.log"));
        assert!(ignore.matches("c.log"));
        assert!(ignore.matches("docs/guide/intro.txt"));
        assert!(!ignore.matches("docs"), "`docs/**` is what is under docs");
        assert!(ignore.matches("web/node_modules/x/index.js"));
        assert!(ignore.matches("node_modules/x"));
        assert!(list(&["**"]).matches("anything/at/all"));
    }

    #[test]
    fn the_last_matching_pattern_decides_and_negation_takes_paths_back() {
        let ignore = list(&["*.md", "!README.md", "docs", "!docs/keep.txt"]);
        assert!(ignore.matches("CHANGELOG.md"));
        assert!(!ignore.matches("README.md"));
        assert!(ignore.matches("docs/other.txt"));
        assert!(!ignore.matches("docs/keep.txt"));
        let everything_but = list(&["*", "!src", "!package.json"]);
        assert!(everything_but.matches("README.md"));
        assert!(!everything_but.matches("src/app.js"));
        assert!(!everything_but.matches("package.json"));
    }

    #[test]
    fn patterns_are_cleaned_escaped_and_checked() {
        let ignore = list(&["/build/", "./dist//", "a\\*b", "file[0-9].txt", "x?.py"]);
        assert!(ignore.matches("build/out.js"));
        assert!(ignore.matches("dist/a.js"));
        assert!(ignore.matches("a*b"));
        assert!(!ignore.matches("axb"));
        assert!(ignore.matches("file3.txt"));
        assert!(ignore.matches("x1.py"));
        assert!(!ignore.matches("x/1.py"));
        assert!(PatternList::new(&["!"]).is_err());
        assert!(PatternList::new(&["[unclosed"]).is_err());
        // What Go's filepath.Match refuses, the engine refuses: refuse it first.
        for bad in ["LICEN[CS]E[.-]*", "[]", "a\\", "[a-]"] {
            assert!(PatternList::new(&[bad]).is_err(), "{bad}");
        }
        for good in ["[^/]*", "[*][?]", "x[\\]]y", "[a-z0-9]*.txt"] {
            assert!(PatternList::new(&[good]).is_ok(), "{good}");
        }
    }

    #[test]
    fn literal_paths_match_only_themselves() {
        let weird = "static/[id]/page?.tsx";
        let exact = list(&[literal(weird).as_str()]);
        assert!(exact.matches(weird));
        assert!(!exact.matches("static/i/pagex.tsx"));
    }

    /// The engine's walk: a directory pattern that comes after an exclusion of the directory's
    /// children does not bring them back when the directory itself was already in, because
    /// each entry starts from what its directory was told.
    #[test]
    fn walk_matching_carries_the_directory_verdict_like_the_engine() {
        let rules = list(&["**", "!**/*.md", "docs", "docs/**"]);
        let (dir, carried) = rules.matches_in_walk("docs", &ParentMatches::default());
        assert!(dir);
        let (file, _) = rules.matches_in_walk("docs/intro.md", &carried);
        assert!(file, "`docs/**` brings the file back");
        let without_stars = list(&["**", "!**/*.md", "docs"]);
        let (_, carried) = without_stars.matches_in_walk("docs", &ParentMatches::default());
        let (file, _) = without_stars.matches_in_walk("docs/intro.md", &carried);
        assert!(
            !file,
            "the engine skips `docs` for the directory, so it never counts"
        );
        assert!(
            without_stars.matches("docs/intro.md"),
            "plain matching differs here"
        );
    }
}
