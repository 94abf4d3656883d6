//! Dockerfile front-end: `ENV DASK_…` variables become dask config keys, and the commands of
//! `CMD`, `ENTRYPOINT` and `RUN` become command words (`dask-worker`, `--no-bokeh`).

use super::command::{self, Piece};
use super::model::{ConfigOrigin, Construct, Fact, Literal, config_key_from_env};
use crate::source::TextRange;
use dockerfile_parser::{BreakableStringComponent, Dockerfile, Instruction, ShellOrExecExpr};

/// Every construct of a parsed Dockerfile; `text` is the file's text.
pub fn constructs<'a>(doc: &Dockerfile, text: &str) -> Vec<Construct<'a>> {
    let mut out = Vec::new();
    for instruction in &doc.instructions {
        match instruction {
            Instruction::Env(env) => {
                for var in &env.vars {
                    let Some(key) = config_key_from_env(&var.key.content) else {
                        continue;
                    };
                    out.push(Construct {
                        range: TextRange::new(var.key.span.start, var.key.span.end),
                        fact: Fact::ConfigKey {
                            key,
                            value: Literal::from_env_value(Literal::String(var.value.to_string())),
                            origin: ConfigOrigin::EnvVar,
                        },
                    });
                }
            }
            Instruction::Cmd(cmd) => command_words(&cmd.expr, text, &mut out),
            Instruction::Entrypoint(entry) => command_words(&entry.expr, text, &mut out),
            Instruction::Run(run) => command_words(&run.expr, text, &mut out),
            _ => {}
        }
    }
    out
}

/// The words of one shell-form or exec-form command.
fn command_words(expr: &ShellOrExecExpr, text: &str, out: &mut Vec<Construct<'_>>) {
    let pieces: Vec<Piece> = match expr {
        ShellOrExecExpr::Exec(array) => array
            .elements
            .iter()
            .map(|e| Piece {
                value: &e.content,
                range: TextRange::new(e.span.start, e.span.end),
                source: text,
            })
            .collect(),
        // A shell line broken over several lines is one command; each part keeps its span.
        ShellOrExecExpr::Shell(shell) => shell
            .components
            .iter()
            .filter_map(|c| match c {
                BreakableStringComponent::String(s) => Some(Piece {
                    value: &s.content,
                    range: TextRange::new(s.span.start, s.span.end),
                    source: text,
                }),
                BreakableStringComponent::Comment(_) => None,
            })
            .collect(),
    };
    out.extend(command::constructs(&pieces));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::model::WordKind;

    fn facts(text: &str) -> Vec<String> {
        let doc = crate::source::dockerfile::parse(text).unwrap();
        constructs(&doc, text)
            .iter()
            .map(|c| match &c.fact {
                Fact::ConfigKey { key, .. } => {
                    format!("config {key} @ {}", &text[c.range.as_range()])
                }
                Fact::Word {
                    kind: WordKind::Program,
                    text: t,
                } => format!("program {t} @ {}", &text[c.range.as_range()]),
                Fact::Word {
                    kind: WordKind::Flag,
                    text: t,
                } => format!("flag {t} @ {}", &text[c.range.as_range()]),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn env_keys_and_commands_with_exact_ranges() {
        let text = "FROM ghcr.io/dask/dask:2023.8.0\nENV DASK_KUBERNETES__WORKER_TEMPLATE_PATH=/w.yaml PATH=/x\nRUN pip install s3fs && \\\n    echo done\nCMD [\"dask-worker\", \"--no-bokeh\"]\n";
        assert_eq!(
            facts(text),
            [
                "config kubernetes.worker-template-path @ DASK_KUBERNETES__WORKER_TEMPLATE_PATH",
                "program pip @ pip",
                "program echo @ echo",
                "program dask-worker @ dask-worker",
                "flag --no-bokeh @ --no-bokeh",
            ]
        );
    }

    #[test]
    fn shell_form_entrypoint() {
        let text = "FROM x\nENTRYPOINT dask-scheduler --bokeh-port 8787\n";
        assert_eq!(
            facts(text),
            [
                "program dask-scheduler @ dask-scheduler",
                "flag --bokeh-port @ --bokeh-port"
            ]
        );
    }
}
