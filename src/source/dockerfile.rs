//! Dockerfile text → parsed instructions (the `dockerfile-parser` crate, a pest grammar, byte
//! spans on keys and words) and the ranges of its comments.
//!
//! A parse error becomes a located error; a panic inside the parser (it unwraps on shapes its
//! grammar should exclude) is caught and reported the same way, so no Dockerfile stops a run.
//!
//! The parser predates BuildKit heredocs (`RUN <<EOT` … `EOT`, Dockerfile syntax 1.4), so
//! before parsing, each heredoc's body and terminator line are blanked to spaces (same
//! length, line breaks kept: every span still points into the original text). The rest of
//! the file is parsed and checked as usual; the body itself (a script, or a file's content
//! for `COPY`) is not read as commands.

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
    let blanked = blank_heredocs(text);
    let text = blanked.as_deref().unwrap_or(text);
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

/// `text` with the body and terminator of every heredoc of a `RUN`, `COPY` or `ADD`
/// instruction replaced by spaces; `None` when there is none. A heredoc whose terminator
/// never comes is left alone (the parser then reports the line).
fn blank_heredocs(text: &str) -> Option<String> {
    let mut starts = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        starts.push((at, line));
        at += line.len();
    }
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < starts.len() {
        let (_, line) = starts[i];
        let first = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let markers = if matches!(first.as_str(), "RUN" | "COPY" | "ADD") {
            heredoc_markers(line)
        } else {
            Vec::new()
        };
        let mut next = i + 1;
        let mut blank = Vec::new();
        for (word, strip_tabs) in &markers {
            let end = (next..starts.len()).find(|&j| {
                let l = starts[j].1.trim_end_matches(['\n', '\r']);
                let l = if *strip_tabs {
                    l.trim_start_matches('\t')
                } else {
                    l
                };
                l == word
            });
            let Some(end) = end else {
                blank.clear();
                next = i + 1;
                break;
            };
            blank.extend(next..=end);
            next = end + 1;
        }
        if !blank.is_empty() {
            let bytes = out.get_or_insert_with(|| text.as_bytes().to_vec());
            for j in blank {
                let (start, line) = starts[j];
                for (k, b) in line.bytes().enumerate() {
                    if b != b'\n' {
                        bytes[start + k] = b' ';
                    }
                }
            }
        }
        i = next;
    }
    // Only ASCII bytes were replaced, and only whole lines: still UTF-8.
    out.map(|b| {
        String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    })
}

/// The heredoc words of one instruction line, in order, and whether each is `<<-` (its
/// terminator may be indented with tabs): `<<EOT`, `<<-EOT`, `<<"EOT"`, `<<'EOT'`.
fn heredoc_markers(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        rest = &rest[at + 2..];
        let strip_tabs = rest.starts_with('-');
        let body = rest.strip_prefix('-').unwrap_or(rest);
        let (quote, body) = match body.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &body[1..]),
            _ => (None, body),
        };
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let word = &body[..len];
        let closed = quote.is_none_or(|q| body[len..].starts_with(q));
        if !word.is_empty() && closed {
            out.push((word.to_owned(), strip_tabs));
        }
    }
    out
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
    fn heredocs_are_skipped_and_the_rest_is_parsed() {
        let text = "FROM python:3.11\nRUN <<EOT bash\nset -eux\npip install dask\nEOT\n\
                    COPY <<-\"A\" <<B /etc/\n\tx: 1\n\tA\ny: 2\nB\nCMD [\"dask-worker\"]\n";
        let doc = parse(text).unwrap();
        assert_eq!(doc.instructions.len(), 4);
        let cmd = &doc.instructions[3];
        let span = cmd.span();
        assert!(text[span.start..span.end].starts_with("CMD [\"dask-worker\"]"));
        // A heredoc that never ends is not guessed at.
        assert!(blank_heredocs("FROM x\nRUN <<EOT\necho\n").is_none());
        assert_eq!(
            heredoc_markers("RUN <<'A' cat <<-B x << c"),
            [("A".to_owned(), false), ("B".to_owned(), true)]
        );
    }

    #[test]
    fn comment_lines() {
        let text = "# top\nFROM x\n  # indented\nRUN echo '#not'\n";
        let got: Vec<&str> = comments(text).iter().map(|r| &text[r.as_range()]).collect();
        assert_eq!(got, ["# top", "# indented"]);
    }
}
