//! What went wrong in a spec, where, and what to do about it; rendered in one place.

use std::fmt::Write as _;

use serde::Serialize;

/// A 1-based line and column in strata.yaml (or, for a problem in one of the project's own
/// files, in that file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The line and column (in characters) of a byte offset into `text`.
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// `None` for problems that belong to the file as a whole (empty file, not UTF-8).
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
    /// The project's own file the problem is in (`web/package.json`), when it is not the spec:
    /// `location` is then a place in that file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Box<str>>,
    /// That file's line at `location`, shown under the message.
    #[serde(skip)]
    file_line: Option<Box<str>>,
    /// The plan is complete but for how the app starts: `run.command` would settle it.
    #[serde(skip)]
    pub needs_command: bool,
}

impl Diagnostic {
    pub fn at(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location: Some(location),
            message: message.into(),
            hint: None,
            file: None,
            file_line: None,
            needs_command: false,
        }
    }

    pub fn whole_file(message: impl Into<String>) -> Self {
        Diagnostic {
            location: None,
            message: message.into(),
            hint: None,
            file: None,
            file_line: None,
            needs_command: false,
        }
    }

    /// A problem at a place in one of the project's own files, whose text is `text`.
    pub fn in_file(file: &str, text: &str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            file: Some(file.into()),
            file_line: text
                .lines()
                .nth(location.line.saturating_sub(1))
                .map(Box::from),
            ..Diagnostic::at(location, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Marks a problem that only `run.command` (or what the hint adds) settles.
    pub fn needs_command(mut self) -> Self {
        self.needs_command = true;
        self
    }
}

/// Every problem found in one spec, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl Diagnostics {
    /// Renders every problem as `file:line:col: error: message`, the offending line with a
    /// caret under the column, and the hint. This is the only place that formats spec errors:
    /// the CLI prints it and the gateway returns it to `docker buildx build` unchanged.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = String::new();
        let mut sorted: Vec<&Diagnostic> = self.0.iter().collect();
        sorted.sort_by_key(|d| (d.file.is_some(), d.location));
        for (i, d) in sorted.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let file = d.file.as_deref().unwrap_or(file);
            match d.location {
                Some(at) => {
                    let _ = writeln!(
                        out,
                        "{file}:{}:{}: error: {}",
                        at.line, at.column, d.message
                    );
                    let line = match &d.file_line {
                        Some(text) => Some(&**text),
                        None if d.file.is_none() => source.lines().nth(at.line.saturating_sub(1)),
                        None => None,
                    };
                    if let Some(text) = line {
                        let gutter = at.line.to_string().len();
                        let caret_pad: String = text
                            .chars()
                            .take(at.column.saturating_sub(1))
                            .map(|c| if c == '\t' { '\t' } else { ' ' })
                            .collect();
                        let _ = writeln!(out, "{:gutter$} |", "");
                        let _ = writeln!(out, "{} | {text}", at.line);
                        let _ = writeln!(out, "{:gutter$} | {caret_pad}^", "");
                    }
                }
                None => {
                    let _ = writeln!(out, "{file}: error: {}", d.message);
                }
            }
            if let Some(hint) = &d.hint {
                let _ = writeln!(out, "  = hint: {hint}");
            }
        }
        out.truncate(out.trim_end().len());
        out
    }

    /// The spec lines the problems are on (not those in the project's other files), in order.
    pub fn spec_lines(&self) -> Vec<usize> {
        let mut lines: Vec<usize> = self
            .0
            .iter()
            .filter(|problem| problem.file.is_none())
            .filter_map(|problem| problem.location.map(|at| at.line))
            .collect();
        lines.sort_unstable();
        lines.dedup();
        lines
    }

    /// Renders every problem as `subject: error: message` and its hint, for problems of a
    /// project rather than of a spec the user has (what `strata init` found).
    pub fn render_for(&self, subject: &str) -> String {
        let mut out = String::new();
        for d in &self.0 {
            let _ = writeln!(out, "{subject}: error: {}", d.message);
            if let Some(hint) = &d.hint {
                let _ = writeln!(out, "  = hint: {hint}");
            }
        }
        out.truncate(out.trim_end().len());
        out
    }
}
