//! What went wrong in a spec, where, and what to do about it; rendered in one place.

use std::fmt::Write as _;

use serde::Serialize;

/// A 1-based line and column in strata.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// `None` for problems that belong to the file as a whole (empty file, not UTF-8).
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
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
            needs_command: false,
        }
    }

    pub fn whole_file(message: impl Into<String>) -> Self {
        Diagnostic {
            location: None,
            message: message.into(),
            hint: None,
            needs_command: false,
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
        sorted.sort_by_key(|d| d.location);
        for (i, d) in sorted.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match d.location {
                Some(at) => {
                    let _ = writeln!(
                        out,
                        "{file}:{}:{}: error: {}",
                        at.line, at.column, d.message
                    );
                    if let Some(text) = source.lines().nth(at.line.saturating_sub(1)) {
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
