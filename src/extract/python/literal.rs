//! Python literals as rules see them: the value of a string literal (prefixes, escapes,
//! implicit concatenation) and the [`Literal`] an expression is.
//!
//! Takes tree-sitter nodes and the source text; gives owned values. Never evaluates anything
//! beyond literal syntax: a name, a call or an f-string with `{…}` is [`Literal::Other`] (or no
//! string at all), so a value is only ever what the file literally says.

use crate::extract::model::Literal;
use crate::source::python::{Field, FieldChild as _, KindName as _};
use tree_sitter::Node;

/// The value of a `string` or `concatenated_string` node, or `None` when any part has an
/// interpolation (`f"{x}"`) or the node is not a string.
pub(super) fn string_value(node: Node<'_>, text: &str) -> Option<String> {
    match node.kind_name() {
        "string" => single_string(node, text),
        "concatenated_string" => {
            let mut value = String::new();
            let mut cursor = node.walk();
            for part in node.named_children(&mut cursor) {
                if part.kind_name() == "string" {
                    value.push_str(&single_string(part, text)?);
                } else if !part.is_extra() {
                    return None;
                }
            }
            Some(value)
        }
        _ => None,
    }
}

/// Whether a node is a string literal without interpolation (what `string_value` decodes).
pub(super) fn is_plain_string(node: Node<'_>, text: &str) -> bool {
    matches!(node.kind_name(), "string" | "concatenated_string")
        && string_value(node, text).is_some()
}

fn single_string(node: Node<'_>, text: &str) -> Option<String> {
    let mut start = None;
    let mut end = None;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match child.kind_name() {
            "string_start" => start = Some(child),
            "string_end" => end = Some(child),
            "interpolation" => return None,
            _ => {}
        }
    }
    let (start, end) = (start?, end?);
    let opening = text.get(start.byte_range())?;
    let prefix: String = opening
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let body = text.get(start.end_byte()..end.start_byte().max(start.end_byte()))?;
    let mut value = if prefix.contains('r') {
        body.to_owned()
    } else {
        unescape(body)
    };
    // f-strings (and 3.14 t-strings) spell literal braces as `{{` and `}}`.
    if prefix.contains('f') || prefix.contains('t') {
        value = value.replace("{{", "{").replace("}}", "}");
    }
    Some(value)
}

/// Python's backslash escapes. Escapes Python does not know stay verbatim, as in Python;
/// `\N{…}` stays verbatim too (no name table here).
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&(_, next)) = chars.peek() else {
            out.push('\\');
            break;
        };
        let simple = match next {
            '\n' => Some(None),
            '\r' if body.get(i + 2..).is_some_and(|r| r.starts_with('\n')) => {
                chars.next();
                Some(None)
            }
            '\\' => Some(Some('\\')),
            '\'' => Some(Some('\'')),
            '"' => Some(Some('"')),
            'a' => Some(Some('\x07')),
            'b' => Some(Some('\x08')),
            'f' => Some(Some('\x0c')),
            'n' => Some(Some('\n')),
            'r' => Some(Some('\r')),
            't' => Some(Some('\t')),
            'v' => Some(Some('\x0b')),
            _ => None,
        };
        if let Some(replacement) = simple {
            chars.next();
            out.extend(replacement);
            continue;
        }
        let rest = &body[i + 1..];
        let (digits, radix, skip) = match next {
            'x' => (2, 16, 1),
            'u' => (4, 16, 1),
            'U' => (8, 16, 1),
            '0'..='7' => (octal_digits(rest), 8, 0),
            _ => (0, 0, 0),
        };
        let code = rest
            .get(skip..skip + digits)
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(radix)))
            .and_then(|d| u32::from_str_radix(d, radix).ok())
            .and_then(char::from_u32);
        match code {
            Some(ch) => {
                out.push(ch);
                // Every consumed character is ASCII, so one `next` per byte.
                for _ in 0..skip + digits {
                    chars.next();
                }
            }
            None => out.push('\\'),
        }
    }
    out
}

/// How many of the (at most three) first bytes of `s` are octal digits.
fn octal_digits(s: &str) -> usize {
    s.bytes()
        .take(3)
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count()
}

/// The literal an expression is: strings, numbers (with a sign), `True`, `False`, `None`;
/// parentheses around them are looked through. Everything else is [`Literal::Other`].
pub(super) fn literal(node: Node<'_>, text: &str) -> Literal {
    let node = unparenthesize(node);
    match node.kind_name() {
        "string" | "concatenated_string" => {
            string_value(node, text).map_or(Literal::Other, Literal::String)
        }
        "integer" | "float" => Literal::Number(node_text(node, text).to_owned()),
        "true" => Literal::Bool(true),
        "false" => Literal::Bool(false),
        "none" => Literal::Null,
        "unary_operator" => signed_number(node, text).map_or(Literal::Other, Literal::Number),
        _ => Literal::Other,
    }
}

/// `-1`, `+2.5` (the sign applied to a number literal) as the number's text.
fn signed_number(node: Node<'_>, text: &str) -> Option<String> {
    let operator = node.field(Field::Operator)?;
    let sign = node_text(operator, text);
    let argument = unparenthesize(node.field(Field::Argument)?);
    if !matches!(sign, "-" | "+") || !matches!(argument.kind_name(), "integer" | "float") {
        return None;
    }
    Some(format!("{sign}{}", node_text(argument, text)))
}

/// The expression inside any number of parentheses (a loop: nesting depth is input-controlled).
pub(super) fn unparenthesize(mut node: Node<'_>) -> Node<'_> {
    while node.kind_name() == "parenthesized_expression" {
        let mut cursor = node.walk();
        let inner = node
            .named_children(&mut cursor)
            .find(|child| !child.is_extra());
        match inner {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The source text of a node; empty if its range is not a valid slice (never panics).
pub(super) fn node_text<'t>(node: Node<'_>, text: &'t str) -> &'t str {
    text.get(node.byte_range()).unwrap_or("")
}

/// `a.b.c`: two or more Python identifiers joined by dots (`^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$`).
pub(super) fn is_dotted_name(value: &str) -> bool {
    let mut parts = 0;
    for part in value.split('.') {
        let mut chars = part.chars();
        let starts_well = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !starts_well || !chars.all(|c| c.is_alphanumeric() || c == '_') {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_python() {
        assert_eq!(unescape(r"a\nb"), "a\nb");
        assert_eq!(unescape(r"\x41\u00e9\U0001F600"), "Aé😀");
        assert_eq!(unescape(r"\101\0"), "A\0");
        assert_eq!(unescape(r"\18"), "\u{1}8");
        assert_eq!(unescape("a\\\r\nb"), "ab");
        assert_eq!(unescape(r"\d\N{DASH}"), r"\d\N{DASH}");
        assert_eq!(unescape("line\\\ncontinued"), "linecontinued");
        assert_eq!(unescape(r"\xZZ end\"), r"\xZZ end\");
        assert_eq!(unescape(r"\é"), r"\é");
    }

    #[test]
    fn dotted_names() {
        assert!(is_dotted_name("dask_kubernetes.KubeCluster"));
        assert!(is_dotted_name("_a.b2.c"));
        assert!(!is_dotted_name("KubeCluster"));
        assert!(!is_dotted_name("a..b"));
        assert!(!is_dotted_name("a.b."));
        assert!(!is_dotted_name("1a.b"));
        assert!(!is_dotted_name("kubernetes.worker-template"));
        assert!(!is_dotted_name("a b.c"));
    }
}
