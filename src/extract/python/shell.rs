//! Which Python strings are commands.
//!
//! A legacy-command rule must only fire on a string that a shell or `exec` runs, never on a
//! label value, a container name or a Service port name that happens to read `dask-worker`
//! (rewriting those to `dask worker` makes an invalid Kubernetes name). A string or list is a
//! command when it sits in a *command context* —
//! - the value of an `args=`/`command=`/`worker_command=`… keyword argument,
//! - the value of an `"args"`/`"command"` key of a dict literal (a container written as a dict),
//! - an argument of a `subprocess`/`Popen`/`os.system`-style call,
//! - the value assigned to a variable named like a command (`cmd`, `worker_args`, …), or to
//!   `container["args"]`,
//!
//! or, anywhere else, when it reads as a command line by itself: a shell string or list whose
//! words after the program include an argument (a flag, an address, a `$VAR`, a shell
//! separator). A single word such as `"dask-worker"` outside a command context is a name.
//!
//! The walk up from a literal is bounded ([`MAX_UP`]): nesting depth is input-controlled.

use super::literal::{node_text, string_value};
use crate::source::python::{Field, FieldChild as _, KindName as _};
use foldhash::HashMap;
use tree_sitter::Node;

/// Keyword arguments, dict keys and variable names whose value is a command.
const COMMAND_KEYS: &[&str] = &[
    "args",
    "arguments",
    "command",
    "commands",
    "cmd",
    "argv",
    "entrypoint",
    "worker_command",
    "scheduler_command",
    "worker-command",
    "scheduler-command",
    "shell",
    "script",
];

/// Functions (by their last name) whose arguments are run as commands.
const RUNNERS: &[&str] = &[
    "run",
    "call",
    "check_call",
    "check_output",
    "Popen",
    "system",
    "popen",
    "getoutput",
    "getstatusoutput",
    "spawnl",
    "spawnlp",
    "spawnv",
    "spawnvp",
    "execl",
    "execlp",
    "execv",
    "execvp",
    "create_subprocess_exec",
    "create_subprocess_shell",
    "split",
];

/// Levels walked up from a literal to find its context.
const MAX_UP: usize = 12;

/// Whether a key, keyword or variable name holds a command.
fn is_command_name(name: &str) -> bool {
    let name = name.trim_start_matches('_').to_ascii_lowercase();
    COMMAND_KEYS.contains(&name.as_str())
        || ["_cmd", "_command", "_commands", "_args", "_argv"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// The kinds of node [`in_command_context`] asks the parent of: the literals it starts from,
/// the containers it walks up through, and `argument_list` (for its call).
pub(super) const WALKS_UP_FROM: &[&str] = &[
    "string",
    "concatenated_string",
    "list",
    "tuple",
    "parenthesized_expression",
    "binary_operator",
    "conditional_expression",
    "expression_list",
    "argument_list",
];

/// Whether the string or list `node` sits in a command context (see the module docs).
/// `parents` holds the parents the walk recorded (see [`WALKS_UP_FROM`]); a node missing
/// from it is asked directly (slower, same answer).
pub(super) fn in_command_context<'t>(
    node: Node<'t>,
    text: &str,
    parents: &HashMap<usize, Node<'t>>,
) -> bool {
    let parent_of = |n: Node<'t>| parents.get(&n.id()).copied().or_else(|| n.parent());
    let mut child = node;
    for _ in 0..MAX_UP {
        let Some(parent) = parent_of(child) else {
            return false;
        };
        match parent.kind_name() {
            // Containers and expressions a command passes through unchanged.
            "list"
            | "tuple"
            | "parenthesized_expression"
            | "binary_operator"
            | "conditional_expression"
            | "concatenated_string"
            | "expression_list" => {}
            "keyword_argument" => {
                return parent
                    .field(Field::Name)
                    .is_some_and(|name| is_command_name(node_text(name, text)));
            }
            "pair" => {
                // Only the value of a pair: a key is a name.
                let is_value = parent
                    .field(Field::Value)
                    .is_some_and(|v| v.id() == child.id());
                return is_value
                    && parent
                        .field(Field::Key)
                        .and_then(|key| string_value(key, text))
                        .is_some_and(|key| is_command_name(&key));
            }
            "argument_list" => {
                return parent_of(parent)
                    .filter(|call| call.kind_name() == "call")
                    .and_then(|call| call.field(Field::Function))
                    .is_some_and(|function| is_runner(function, text));
            }
            "assignment" | "augmented_assignment" => {
                let is_value = parent
                    .field(Field::Right)
                    .is_some_and(|v| v.id() == child.id());
                return is_value
                    && parent
                        .field(Field::Left)
                        .is_some_and(|left| is_command_target(left, text));
            }
            _ => return false,
        }
        child = parent;
    }
    false
}

/// `subprocess.run`, `sp.Popen`, `os.system`, `shlex.split`, `Popen`…
fn is_runner(function: Node<'_>, text: &str) -> bool {
    let name = match function.kind_name() {
        "identifier" => node_text(function, text),
        "attribute" => function
            .field(Field::Attribute)
            .map_or("", |a| node_text(a, text)),
        _ => return false,
    };
    RUNNERS.contains(&name)
}

/// `cmd = …`, `self.worker_args = …`, `container["command"] = …`.
fn is_command_target(left: Node<'_>, text: &str) -> bool {
    match left.kind_name() {
        "identifier" => is_command_name(node_text(left, text)),
        "attribute" => left
            .field(Field::Attribute)
            .is_some_and(|a| is_command_name(node_text(a, text))),
        "subscript" => left
            .field(Field::Subscript)
            .and_then(|key| string_value(key, text))
            .is_some_and(|key| is_command_name(&key)),
        _ => false,
    }
}

/// Whether the words of a string or list read as a command line on their own: some word
/// after the first is an argument. `opaque` words (a variable in a list) count as arguments.
pub(super) fn reads_as_command<'w>(mut words: impl Iterator<Item = Option<&'w str>>) -> bool {
    if words.next().is_none() {
        return false;
    }
    words.any(|word| word.is_none_or(is_argument))
}

/// A flag, an address, a shell variable or a shell separator.
fn is_argument(word: &str) -> bool {
    let word = word.trim_matches(|c| c == '"' || c == '\'');
    (word.starts_with('-') && word.len() > 1)
        || word.contains("://")
        || word.starts_with('$')
        || matches!(word, "&&" | "||" | ";" | "|")
        || word.ends_with(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names() {
        for name in [
            "args",
            "command",
            "worker_command",
            "_cmd",
            "WORKER_ARGS",
            "cmd",
        ] {
            assert!(is_command_name(name), "{name}");
        }
        for name in ["name", "app", "labels", "port_name", "component"] {
            assert!(!is_command_name(name), "{name}");
        }
    }

    #[test]
    fn a_command_line_needs_an_argument() {
        let words = |s: &'static str| s.split_whitespace().map(Some);
        assert!(reads_as_command(words("dask-worker tcp://s:8786")));
        assert!(reads_as_command(words("dask-scheduler --port 8786")));
        assert!(reads_as_command(words("pip install x && dask-worker")));
        assert!(!reads_as_command(words("dask-worker")));
        assert!(!reads_as_command(words("the dask-worker pods restart")));
        assert!(reads_as_command([Some("dask-worker"), None].into_iter()));
        assert!(!reads_as_command(
            [Some("dask-scheduler"), Some("dask-worker")].into_iter()
        ));
    }
}
