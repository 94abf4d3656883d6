//! What the prefilter looks for: the literals a file must contain for some rule to match in
//! it (#13). A literal alone is often too common in a Dask shop's repository (`dask` is in
//! every `DASK_…` variable and dask image of its manifests), so a trigger can also ask what
//! follows the literal (`dask` ending a word, as in `[dask, worker]`) or a second literal
//! (a dask chart values file also has a `worker:` key).

/// A literal the prefilter looks for, ASCII case-insensitively, and what must come right
/// after an occurrence for it to count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Literal {
    pub text: String,
    pub then: Then,
}

/// What must follow an occurrence of a [`Literal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Then {
    Anything,
    /// The end of a command word: the end of the text or a byte that no program name goes on
    /// with (`dask worker`, `[dask, worker]`, `- dask⏎`; not `DASK_…`, `dask/dask`,
    /// `dask-etl` or `dask:2024.1.0`). Any non-ASCII byte counts, as a command line may be
    /// split at Unicode whitespace.
    WordEnd,
    /// A YAML key's colon, after an optional closing quote and blanks (`worker:`,
    /// `"worker" :`, a flow `{worker: …}`).
    KeyColon,
}

impl Then {
    /// Whether `rest`, the bytes after an occurrence, satisfies this.
    pub fn holds(self, rest: &[u8]) -> bool {
        match self {
            Then::Anything => true,
            Then::WordEnd => rest
                .first()
                .is_none_or(|b| !(b.is_ascii_alphanumeric() || b"_-./:".contains(b))),
            Then::KeyColon => {
                let rest = match rest.first() {
                    Some(b'"' | b'\'') => &rest[1..],
                    _ => rest,
                };
                rest.iter()
                    .find(|b| !matches!(b, b' ' | b'\t'))
                    .is_some_and(|b| *b == b':')
            }
        }
    }
}

/// One way a file passes the prefilter: it holds `literal` and, when `also` is not empty, one
/// of `also` as well.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Trigger {
    pub literal: Literal,
    pub also: Vec<Literal>,
}

impl Literal {
    pub fn new(text: impl Into<String>, then: Then) -> Literal {
        Literal {
            text: text.into(),
            then,
        }
    }
}

impl Trigger {
    /// A literal that lets a file through wherever it occurs.
    pub fn plain(text: impl Into<String>) -> Trigger {
        Trigger::one(Literal::new(text, Then::Anything))
    }

    /// A literal that lets a file through where its [`Then`] holds.
    pub fn one(literal: Literal) -> Trigger {
        Trigger {
            literal,
            also: Vec::new(),
        }
    }

    /// Every literal this trigger looks for.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&self.literal)
            .chain(&self.also)
            .map(|l| l.text.as_str())
    }

    /// Whether `text` is this trigger with no condition: the literal alone lets a file through.
    pub fn is_plain(&self, text: &str) -> bool {
        self.literal.text == text && self.literal.then == Then::Anything && self.also.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `then` holds after each of `rests` is `expected`.
    fn holds(then: Then, rests: &[&[u8]], expected: bool) {
        for rest in rests {
            let shown = String::from_utf8_lossy(rest);
            assert_eq!(then.holds(rest), expected, "{then:?} after {shown:?}");
        }
    }

    #[test]
    fn a_word_end_is_not_a_name_going_on() {
        let ends: &[&[u8]] = &[
            b" worker",
            b", worker]",
            b"\"",
            b"'",
            b"\n",
            b"\r\n",
            b"",
            b"\\t",
        ];
        holds(Then::WordEnd, ends, true);
        // U+00A0, which `split_whitespace` splits a command at.
        holds(Then::WordEnd, &["\u{a0}worker".as_bytes()], true);
        let names: &[&[u8]] = &[
            b"_DISTRIBUTED__",
            b"/dask:1",
            b"-etl:3",
            b".org",
            b":2024",
            b"board",
        ];
        holds(Then::WordEnd, names, false);
    }

    #[test]
    fn a_key_colon_may_follow_a_quote_and_blanks() {
        let keys: &[&[u8]] = &[b": x", b":\n", b"\": {", b"' :", b"   :"];
        holds(Then::KeyColon, keys, true);
        let others: &[&[u8]] = &[b"__MEMORY", b" x:", b"", b"\"\":", b"s:"];
        holds(Then::KeyColon, others, false);
    }
}
