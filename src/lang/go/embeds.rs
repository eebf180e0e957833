//! The files a package embeds: every `//go:embed` directive of its Go files, read the way the
//! go tool reads them (patterns separated by spaces, Go string literals for names with spaces,
//! the `all:` prefix, paths relative to the package's directory).

use crate::lang::inputs::Reference;

/// The references `//go:embed` lines in `source` (the file `path`, relative to the app
/// directory) make, rooted at the file's package directory.
pub(super) fn embedded(path: &str, source: &str) -> Vec<Reference> {
    let dir = super::parent(path);
    let file = path.rsplit('/').next().unwrap_or(path);
    let mut out = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let Some(rest) = line.strip_prefix("//go:embed") else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        for pattern in patterns(rest) {
            let pattern = pattern.strip_prefix("all:").unwrap_or(&pattern);
            let rooted = crate::lang::context::join(dir, pattern);
            let why = format!("//go:embed in {file}:{}", number + 1);
            out.push(if pattern.contains(['*', '?', '[']) {
                Reference::glob(rooted, why)
            } else {
                Reference::path(rooted, why)
            });
        }
    }
    out
}

/// The patterns of one directive: bare words, "double-quoted" (with Go escapes) or `raw`.
fn patterns(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut word = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        c => word.push(c),
                    }
                }
                out.push(word);
            }
            '`' => {
                chars.next();
                out.push(chars.by_ref().take_while(|&c| c != '`').collect());
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' || c == '\t' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(word);
            }
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_name_files_directories_and_globs_relative_to_the_package() {
        let source = "package web\n\nimport \"embed\"\n\n//go:embed static/* templates\n\
                      //go:embed all:dist \"with space.txt\" `raw.txt`\nvar files embed.FS\n\
                      // go:embed not-a-directive\n//go:embedded nor-this\n";
        let found = embedded("internal/web/assets.go", source);
        let shown: Vec<(&str, bool)> = found.iter().map(|r| (r.path.as_str(), r.glob)).collect();
        assert_eq!(
            shown,
            [
                ("internal/web/static/*", true),
                ("internal/web/templates", false),
                ("internal/web/dist", false),
                ("internal/web/with space.txt", false),
                ("internal/web/raw.txt", false),
            ]
        );
        assert_eq!(found[0].why, "//go:embed in assets.go:5");
        assert!(
            embedded(
                "main.go",
                "package main\n//go:embed README.md\nvar readme string\n"
            )[0]
            .path
            .eq("README.md")
        );
    }
}
