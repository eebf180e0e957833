//! Which toolchain version a project builds with (#16): what its own files ask for (a pin such
//! as `.nvmrc`, a range such as `requires-python`, a minimum such as go.mod's `go` line),
//! resolved to one release line, and the official image of that line. An explicit
//! `images.builder` wins, but not silently when it is older than the project allows.

mod versions;

pub(crate) use versions::{Line, Requirement, parse_release};

use crate::plan::{ImageRole, Toolchain, default_image, default_version, image_for, version_in};
use crate::spec::{Diagnostic, Diagnostics, Spec};

/// What one of the project's files asks of the toolchain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Demand {
    /// Where it is written, as the user would look for it: `.nvmrc`, `go.mod \`go 1.25.0\``.
    pub source: String,
    pub wants: Wants,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wants {
    /// This line and no other: a pin (`.python-version`, `.nvmrc`, rust-toolchain.toml).
    Line(Line),
    /// Any line this allows: a range or a minimum.
    Allows(Requirement),
}

impl Demand {
    pub fn pin(source: impl Into<String>, line: Line) -> Demand {
        Demand {
            source: source.into(),
            wants: Wants::Line(line),
        }
    }

    pub fn allows(source: impl Into<String>, requirement: Requirement) -> Demand {
        Demand {
            source: source.into(),
            wants: Wants::Allows(requirement),
        }
    }

    pub fn accepts(&self, line: Line) -> bool {
        match &self.wants {
            Wants::Line(pinned) => *pinned == line,
            Wants::Allows(requirement) => requirement.allows(line),
        }
    }
}

/// How far from the default line strata looks for one a project allows.
const SEARCH: i64 = 24;

/// The builder image for `role` and the toolchain it has: the spec's `images.builder` when it
/// names one (refused at its line when the project rules its version out), else the official
/// image of the line the project's demands allow nearest the default (the default itself when
/// they allow it, or name nothing).
pub(crate) fn builder(
    spec: &Spec,
    role: ImageRole,
    name: &str,
    demands: &[Demand],
) -> Result<(String, Toolchain), Diagnostics> {
    let default = default_line(role);
    if let Some(image) = &spec.builder_image {
        let found = version_in(role, &image.value).and_then(|v| line_of(default, &v));
        if let Some(line) = found {
            if let Some(refusing) = demands.iter().find(|d| !d.accepts(line)) {
                return Err(Diagnostic::at(
                    image.location,
                    format!(
                        "images.builder `{}` has {name} {line}, and {} {}",
                        image.value,
                        refusing.source,
                        refusal(&refusing.wants)
                    ),
                )
                .with_hint(format!(
                    "name an image with a {name} the project allows, or remove `images.builder` \
                     to let strata choose"
                ))
                .into());
            }
        }
        let version = found.map_or_else(|| "as the image has it".to_string(), |l| l.to_string());
        return Ok((
            image.value.clone(),
            Toolchain {
                name: name.to_string(),
                version,
                chosen_by: "images.builder".to_string(),
            },
        ));
    }
    let line = choose(spec, name, default, demands)?;
    let pins: Vec<&Demand> = demands
        .iter()
        .filter(|d| matches!(d.wants, Wants::Line(_)))
        .collect();
    let chosen_by = match demands {
        [] => "the default: the project names no version".to_string(),
        _ if !pins.is_empty() => sources(&pins),
        _ if line == default => format!(
            "the default, which {} allows",
            sources(demands.iter().collect::<Vec<_>>().as_slice())
        ),
        _ => {
            let deciding: Vec<&Demand> = demands.iter().filter(|d| !d.accepts(default)).collect();
            sources(&deciding)
        }
    };
    Ok((
        image_for(role, &line.to_string()),
        Toolchain {
            name: name.to_string(),
            version: line.to_string(),
            chosen_by,
        },
    ))
}

/// The line every demand accepts, nearest the default (newer first at equal distance).
fn choose(spec: &Spec, name: &str, default: Line, demands: &[Demand]) -> Result<Line, Diagnostics> {
    let pins: Vec<&Demand> = demands
        .iter()
        .filter(|d| matches!(d.wants, Wants::Line(_)))
        .collect();
    if let [first, second, ..] = pins.as_slice() {
        if first.wants != second.wants {
            return Err(conflict(spec, name, first, second));
        }
    }
    if let Some(
        pin @ Demand {
            wants: Wants::Line(line),
            ..
        },
    ) = pins.first()
    {
        return match demands.iter().find(|d| !d.accepts(*line)) {
            Some(other) => Err(conflict(spec, name, pin, other)),
            None => Ok(*line),
        };
    }
    (0..=SEARCH)
        .flat_map(|step| [step, -step])
        .filter_map(|step| default.offset(step))
        .find(|line| demands.iter().all(|d| d.accepts(*line)))
        .ok_or_else(|| {
            Diagnostic::at(
                spec.path.location,
                format!(
                    "no {name} release satisfies {} together",
                    sources(&demands.iter().collect::<Vec<_>>())
                ),
            )
            .with_hint("make the project's version files agree")
            .into()
        })
}

fn conflict(spec: &Spec, name: &str, one: &Demand, other: &Demand) -> Diagnostics {
    Diagnostic::at(
        spec.path.location,
        format!(
            "{} {}, and {} {}",
            one.source,
            refusal(&one.wants),
            other.source,
            refusal(&other.wants)
        ),
    )
    .with_hint(format!(
        "make the two agree on a {name} version; strata builds with the one they both allow"
    ))
    .into()
}

fn refusal(wants: &Wants) -> String {
    match wants {
        Wants::Line(line) => format!("pins {line}"),
        Wants::Allows(_) => "rules it out".to_string(),
    }
}

fn sources(demands: &[&Demand]) -> String {
    let names: Vec<&str> = demands.iter().map(|d| d.source.as_str()).collect();
    names.join(" and ")
}

/// The default line of a role's image.
fn default_line(role: ImageRole) -> Line {
    let version =
        default_version(role).expect("a toolchain role's default image names its version");
    let release = parse_release(version).expect("the default image's version parses");
    Line {
        major: release.0,
        // A tag of one number (node:20) names a major line.
        minor: version.contains('.').then_some(release.1),
    }
}

/// A version as a line of the default's granularity (`3.14.1` → 3.14; `24.1.0` → 24).
pub(crate) fn line_of(default: Line, version: &str) -> Option<Line> {
    parse_release(version)
        .ok()
        .map(|release| default.of(release))
}

/// The line a version names at the granularity of the role's default (`v24.1.0` → Node 24).
pub(crate) fn line_for(role: ImageRole, version: &str) -> Option<Line> {
    line_of(default_line(role), version)
}

/// The role's image at the toolchain's version (a Python runtime for the builder's Python), when
/// the version is known: not for a builder image named some other way.
pub(crate) fn image_at(role: ImageRole, toolchain: &Toolchain) -> Option<String> {
    line_for(role, &toolchain.version).map(|_| image_for(role, &toolchain.version))
}

/// [`image_at`], or the role's default image when the version is not known.
pub(crate) fn image_of(role: ImageRole, toolchain: &Toolchain) -> String {
    image_at(role, toolchain).unwrap_or_else(|| default_image(role).to_string())
}
