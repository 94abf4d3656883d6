//! Command lines → program and flag words, shared by every front-end that sees commands
//! (container `command`/`args`, Helm values, Argo steps, Python strings and lists).
//!
//! A word is a *program* when it stands in command position: the first word, or the first
//! after a shell separator (`&&`, `||`, `;`, `|`, `exec`, …). Only flags of Dask programs
//! (`dask-worker`, `dask worker`, `dask-scheduler`, …) are reported, so `--nprocs` of some
//! other tool is never a finding.

use super::model::{Construct, Fact, WordKind};
use crate::source::TextRange;

/// Programs whose flags belong to distributed's command-line interface.
const DASK_PROGRAMS: &[&str] = &[
    "dask-worker",
    "dask-scheduler",
    "dask-ssh",
    "dask-cuda-worker",
    "dask-mpi",
    "dask",
];

/// Words after which the next word is a program again.
const SEPARATORS: &[&str] = &[
    "&&", "||", ";", "|", "exec", "then", "do", "else", "time", "nohup",
];

/// One piece of a command as written: an item of an `args` list, or a whole string.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    /// The piece's value (after YAML/Python unescaping).
    pub value: &'a str,
    /// The piece's range in the source (including quotes, if any).
    pub range: TextRange,
    /// The source text, to find each word's own range inside the piece.
    pub source: &'a str,
}

/// Split pieces into words with ranges. A word found verbatim inside its piece's source
/// slice gets its own range; otherwise (escapes changed it) the whole piece's range.
fn words<'a>(pieces: &[Piece<'a>]) -> Vec<(&'a str, TextRange)> {
    let mut out = Vec::new();
    for piece in pieces {
        let slice = piece.source.get(piece.range.as_range()).unwrap_or("");
        let mut search_from = 0;
        for word in piece.value.split_whitespace() {
            // Strip shell quoting around a word inside `sh -c "…"` strings.
            let bare = word.trim_matches(|c| c == '"' || c == '\'');
            let range = match slice[search_from..].find(bare) {
                Some(i) if !bare.is_empty() => {
                    let start = piece.range.start() + search_from + i;
                    search_from += i + bare.len();
                    TextRange::new(start, start + bare.len())
                }
                _ => piece.range,
            };
            // A separator glued to a word (`install;dask-worker`) splits it.
            for (j, part) in bare.split(';').enumerate() {
                if j > 0 {
                    out.push((";", range));
                }
                if !part.is_empty() {
                    out.push((part, range));
                }
            }
        }
    }
    out
}

/// The basename of a program path: `/opt/conda/bin/dask-worker` → `dask-worker`.
fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Program and flag constructs of one command line made of `pieces`.
pub fn constructs<'a>(pieces: &[Piece<'_>]) -> Vec<Construct<'a>> {
    let words = words(pieces);
    let mut out = Vec::new();
    let mut expect_program = true;
    let mut in_dask = false;
    let mut i = 0;
    while i < words.len() {
        let (word, range) = words[i];
        if SEPARATORS.contains(&word) || word == "-c" {
            // `sh -c "…"`: the string after -c starts a new command.
            expect_program = true;
            in_dask = in_dask && word != "&&" && word != ";" && word != "|" && word != "||";
            i += 1;
            continue;
        }
        if expect_program && word == "--" {
            // `tini -- dask-worker`: the end of a wrapper's options, not a program.
            i += 1;
            continue;
        }
        if expect_program {
            let name = program_name(word);
            // `dask worker` / `dask scheduler`: report the pair as one program.
            if name == "dask"
                && let Some(&(sub, sub_range)) = words.get(i + 1)
                && !sub.starts_with('-')
            {
                out.push(word_construct(
                    WordKind::Program,
                    format!("dask {sub}"),
                    range.cover(sub_range),
                ));
                in_dask = true;
                expect_program = false;
                i += 2;
                continue;
            }
            out.push(word_construct(WordKind::Program, name.to_owned(), range));
            in_dask = DASK_PROGRAMS.contains(&name);
            // Interpreters and wrappers: the next word may be the real program.
            expect_program = matches!(name, "sh" | "bash" | "env" | "sudo" | "tini" | "dumb-init");
        } else if in_dask && word.starts_with('-') && word.len() > 1 {
            let flag = word.split_once('=').map_or(word, |(f, _)| f);
            let flag_range =
                TextRange::new(range.start(), range.start() + flag.len().min(range.len()));
            out.push(word_construct(WordKind::Flag, flag.to_owned(), flag_range));
        }
        i += 1;
    }
    out
}

fn word_construct<'a>(kind: WordKind, text: String, range: TextRange) -> Construct<'a> {
    Construct {
        range,
        fact: Fact::Word { kind, text },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(source: &str, items: &[&str]) -> Vec<(WordKind, String, String)> {
        let pieces: Vec<Piece> = items
            .iter()
            .map(|item| {
                let start = source.find(item).unwrap();
                Piece {
                    value: item,
                    range: TextRange::new(start, start + item.len()),
                    source,
                }
            })
            .collect();
        constructs(&pieces)
            .into_iter()
            .map(|c| match c.fact {
                Fact::Word { kind, text } => (kind, text, source[c.range.as_range()].to_owned()),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn container_args_list() {
        let src = "[dask-worker, $(DASK_SCHEDULER_ADDRESS), --nthreads, '2', --no-bokeh]";
        let got = run(
            src,
            &[
                "dask-worker",
                "$(DASK_SCHEDULER_ADDRESS)",
                "--nthreads",
                "2",
                "--no-bokeh",
            ],
        );
        assert_eq!(
            got[0],
            (
                WordKind::Program,
                "dask-worker".into(),
                "dask-worker".into()
            )
        );
        assert_eq!(got[1].1, "--nthreads");
        assert_eq!(
            got[2],
            (WordKind::Flag, "--no-bokeh".into(), "--no-bokeh".into())
        );
    }

    #[test]
    fn shell_string_with_separators() {
        let src = "sh -c 'pip install x && /opt/bin/dask-worker tcp://s:8786 --nprocs=2'";
        let got = run(
            src,
            &[
                "sh",
                "-c",
                "pip install x && /opt/bin/dask-worker tcp://s:8786 --nprocs=2",
            ],
        );
        let programs: Vec<_> = got
            .iter()
            .filter(|g| g.0 == WordKind::Program)
            .map(|g| g.1.as_str())
            .collect();
        assert_eq!(programs, ["sh", "pip", "dask-worker"]);
        let flag = got.iter().find(|g| g.0 == WordKind::Flag).unwrap();
        assert_eq!((flag.1.as_str(), flag.2.as_str()), ("--nprocs", "--nprocs"));
    }

    #[test]
    fn new_cli_is_one_program_and_other_tools_flags_are_ignored() {
        let got = run(
            "dask scheduler --port 8786",
            &["dask scheduler --port 8786"],
        );
        assert_eq!(got[0].1, "dask scheduler");
        assert_eq!(got[1].1, "--port");
        let got = run("make --nprocs 2", &["make --nprocs 2"]);
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn wrapper_option_end_is_not_a_program() {
        let got = run("tini -- dask-worker", &["tini", "--", "dask-worker"]);
        let programs: Vec<_> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(programs, ["tini", "dask-worker"]);
    }

    #[test]
    fn prose_is_not_a_command() {
        let got = run("start a dask-worker now", &["start a dask-worker now"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, "start");
    }
}
