//! A YAML document as a tree of nodes that remember where they stand in the file.
//!
//! Built from `saphyr-parser` events rather than a serde deserializer so that every value, not
//! only syntax errors, can be reported at its line and column, duplicate keys are caught
//! instead of silently overwritten, and anchors/aliases (the "billion laughs" bomb) are refused
//! before any expansion happens.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::diagnostic::{Diagnostic, Location};

/// How deep mappings and sequences may nest; strata.yaml needs four levels, this bounds the
/// recursion of the decoder on hostile input.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone)]
pub struct Node {
    pub location: Location,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub enum Value {
    /// A scalar as written; `quoted` distinguishes `"1"` (a string) from `1`.
    Scalar {
        text: String,
        quoted: bool,
    },
    Sequence(Vec<Node>),
    /// Entries in document order, keys unique (checked while building).
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar {
                text,
                quoted: false,
            } if is_null(text) => "nothing (null)",
            Value::Scalar { .. } => "a scalar",
            Value::Sequence(_) => "a list",
            Value::Mapping(_) => "a mapping",
        }
    }
}

pub fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn location(span: &Span) -> Location {
    Location {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

enum Open {
    Sequence(Location, Vec<Node>),
    Mapping(Location, Vec<(Node, Node)>, Option<Node>),
}

/// Parses one YAML document. An empty document yields `None`.
pub fn parse(source: &str) -> Result<Option<Node>, Diagnostic> {
    let mut parser = Parser::new_from_str(source);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;

    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            Diagnostic::at(
                Location {
                    line: e.marker().line(),
                    column: e.marker().col() + 1,
                },
                format!("this is not valid YAML: {}", e.info()),
            )
            .with_hint("check the indentation and quoting around this point")
        })?;
        let here = location(&span);
        let finished = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Diagnostic::at(
                        here,
                        "strata.yaml holds more than one YAML document",
                    )
                    .with_hint("remove the `---` separator and everything after it"));
                }
                None
            }
            Event::Alias(_) => {
                return Err(Diagnostic::at(
                    here,
                    "YAML aliases (`*name`) are not supported in strata.yaml",
                )
                .with_hint("write the value out where it is used"));
            }
            Event::Scalar(text, style, anchor, tag) => {
                refuse_anchor_or_tag(anchor, tag.is_some(), here)?;
                Some(Node {
                    location: here,
                    value: Value::Scalar {
                        text: text.into_owned(),
                        quoted: style != ScalarStyle::Plain,
                    },
                })
            }
            Event::SequenceStart(anchor, tag) => {
                refuse_anchor_or_tag(anchor, tag.is_some(), here)?;
                open(&mut stack, Open::Sequence(here, Vec::new()), here)?;
                None
            }
            Event::MappingStart(anchor, tag) => {
                refuse_anchor_or_tag(anchor, tag.is_some(), here)?;
                open(&mut stack, Open::Mapping(here, Vec::new(), None), here)?;
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Sequence(at, items)) => Some(Node {
                    location: at,
                    value: Value::Sequence(items),
                }),
                Some(Open::Mapping(at, entries, _)) => Some(Node {
                    location: at,
                    value: Value::Mapping(entries),
                }),
                None => None,
            },
        };
        if let Some(node) = finished {
            match stack.last_mut() {
                None => root = Some(node),
                Some(Open::Sequence(_, items)) => items.push(node),
                Some(Open::Mapping(_, entries, pending_key)) => match pending_key.take() {
                    None => {
                        if !matches!(node.value, Value::Scalar { .. }) {
                            return Err(Diagnostic::at(
                                node.location,
                                "a mapping key must be a plain word, not a list or mapping",
                            ));
                        }
                        if let Some((first, _)) = entries.iter().find(|(k, _)| same_key(k, &node)) {
                            return Err(Diagnostic::at(
                                node.location,
                                format!(
                                    "duplicate key `{}` (first given at line {})",
                                    scalar_text(&node),
                                    first.location.line
                                ),
                            )
                            .with_hint("keep one of the two; YAML would silently drop the first"));
                        }
                        *pending_key = Some(node);
                    }
                    Some(key) => entries.push((key, node)),
                },
            }
        }
    }
    Ok(root)
}

fn open(stack: &mut Vec<Open>, item: Open, here: Location) -> Result<(), Diagnostic> {
    if stack.len() >= MAX_DEPTH {
        return Err(Diagnostic::at(
            here,
            format!("nesting is deeper than {MAX_DEPTH} levels"),
        ));
    }
    stack.push(item);
    Ok(())
}

fn refuse_anchor_or_tag(anchor: usize, tagged: bool, here: Location) -> Result<(), Diagnostic> {
    if anchor != 0 {
        return Err(Diagnostic::at(
            here,
            "YAML anchors (`&name`) are not supported in strata.yaml",
        )
        .with_hint("write the value out where it is used"));
    }
    if tagged {
        return Err(
            Diagnostic::at(here, "YAML tags (`!tag`) are not supported in strata.yaml")
                .with_hint("remove the tag; strata infers every type from the key"),
        );
    }
    Ok(())
}

fn scalar_text(node: &Node) -> &str {
    match &node.value {
        Value::Scalar { text, .. } => text,
        _ => "",
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    scalar_text(a) == scalar_text(b)
}
