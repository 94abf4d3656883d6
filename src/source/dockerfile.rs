//! Dockerfile text → parsed instructions (the `dockerfile-parser` crate, a pest grammar, byte
//! spans on keys and words) and the ranges of its comments.
//!
//! A parse error becomes a located error; a panic inside the parser (it unwraps on shapes its
//! grammar should exclude) is caught and reported the same way, so no Dockerfile stops a run.

use super::TextRange;
use dockerfile_parser::Dockerfile;

/// Why a Dockerfile could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DockerfileError {
    pub range: TextRange,
    pub message: String,
}

pub fn parse(text: &str) -> Result<Dockerfile, DockerfileError> {
    let parsed =
        std::panic::catch_unwind(|| Dockerfile::parse(text)).map_err(|_| DockerfileError {
            range: TextRange::empty(0),
            message: "the Dockerfile parser failed on this file".into(),
        })?;
    parsed.map_err(|e| {
        let range = match &e {
            dockerfile_parser::Error::ParseError { source } => match source.location {
                pest::error::InputLocation::Pos(at) => TextRange::empty(at.min(text.len())),
                pest::error::InputLocation::Span((a, b)) => {
                    TextRange::new(a.min(text.len()), b.min(text.len()).max(a.min(text.len())))
                }
            },
            _ => TextRange::empty(0),
        };
        let message = e
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid Dockerfile")
            .to_owned();
        DockerfileError { range, message }
    })
}

/// `#` comment lines: in a Dockerfile a comment is a line whose first non-blank character is
/// `#` (a `#` elsewhere is part of an instruction).
pub fn comments(text: &str) -> Vec<TextRange> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        if body.trim_start().starts_with('#') {
            out.push(TextRange::new(start + indent, start + body.len()));
        }
        start += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_locates_errors() {
        assert!(parse("FROM python:3.11\nENV DASK_KUBERNETES__NAME=x\n").is_ok());
        let err = parse("FROM python:3.11\nENV\n").unwrap_err();
        assert!(err.range.start() >= 17, "{err:?}");
    }

    #[test]
    fn comment_lines() {
        let text = "# top\nFROM x\n  # indented\nRUN echo '#not'\n";
        let got: Vec<&str> = comments(text).iter().map(|r| &text[r.as_range()]).collect();
        assert_eq!(got, ["# top", "# indented"]);
    }
}
