//! `replace-command`: run the new `dask` command-line interface instead of a legacy program.
//!
//! ## What it rewrites
//! The program word a finding points at, such as `dask-worker` (also as a path,
//! `/opt/conda/bin/dask-worker`), in a container's `command`/`args`, a Helm value, a shell
//! string or a Python string or list.
//!
//! ## Output
//! The rule's `replacement` (`dask worker`): as two list items when the program is a list
//! item of its own (`[dask, worker, …]`, or two `- ` lines in a block list, or two Python
//! strings), or as two words inside a string. A path prefix stays on the first word.
//!
//! ## Fix safety
//! Safe: `dask worker` takes the same options — for the versions in play
//! (`migrate::in_play`: the container's Dask image tag, else the nearest pin of
//! `distributed`, else the target). When the image in play predates the new CLI
//! (2022.10.0), the fix is unsafe and also bumps the image tag to 2022.10.0; when a pin or the
//! target does, there is no fix. A command that carries a flag the new CLI rejects and no fix
//! renames (`--bokeh-port`) is not rewritten: `dask scheduler … --bokeh-port` runs nowhere.
//!
//! The dask chart's `worker.image.dask_worker: dask-worker` (and an
//! `additional_worker_groups` item's) is a value the chart's templates put into the worker's
//! `args`: before dask/helm-chart#535 as one argument, where `dask worker` would not run,
//! since then split into words. It is rewritten only when the chart version the values are
//! for (`migrate::chart_version`: the `Chart.yaml` of the chart, or the umbrella chart's or
//! `requirements.yaml`'s `dask` dependency, beside or above the file) is one that splits it;
//! otherwise, or when no chart version is written, the fix is declined with the reason.
//!
//! ## Not handled
//! Other mapping values that are the program alone: wherever they are used they are one
//! argument, so `dask worker` there would not run. Words the finding range does not cover verbatim, and Python strings with prefixes
//! (`f"…"`, `r"…"`) when split into list items.

use crate::migrate::{Context, Declined, OrDecline, Parsed, in_play, yaml_text};
use crate::rules::Version;
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::python::KindName as _;
use crate::source::yaml::{Node, Value, YamlFile};

/// The first `distributed` release with `dask worker` / `dask scheduler`.
pub const NEW_CLI_SINCE: &str = "2022.10.0";

/// Whether the `distributed` in play here (the container's image, else the nearest pin,
/// else the target: `migrate::in_play`) has the `dask <subcommand>` CLI.
pub fn new_cli_available(cx: &Context<'_>) -> bool {
    match in_play::distributed(cx) {
        Some(v) => v.has(NEW_CLI_SINCE),
        None => {
            let Ok(since) = NEW_CLI_SINCE.parse::<Version>() else {
                return false;
            };
            cx.target("distributed").is_some_and(|t| *t >= since)
        }
    }
}

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let replacement = cx
        .param("to")
        .and_then(|to| to.for_item(0, 1))
        .or_decline("the rule names no replacement command (`with: {to: …}`)")?;
    // `dask scheduler … --bokeh-port` runs in no release: a flag the new CLI rejects and no
    // fix renames must be fixed by a person first (command and flag together, or neither).
    if let Some(flag) = in_play::rejected_flag(cx, NEW_CLI_SINCE) {
        return Err(Declined::new(format!(
            "this command also has `{flag}`, which the `dask` command ({NEW_CLI_SINCE}+) rejects \
             and no fix renames: change the flag by hand, then `dusk fix` rewrites the command"
        )));
    }
    let in_play = in_play::distributed(cx);
    // The image in play predates the new CLI: only with the image bump, for review.
    let bump = match &in_play {
        Some(v) if !v.has(NEW_CLI_SINCE) => {
            let why = format!(
                "{} runs distributed {}, older than {NEW_CLI_SINCE}, which has no `dask` command: \
                 upgrade it, then `dusk fix` rewrites the command",
                v.describe(cx.path, cx.text),
                v.version
            );
            Some(in_play::image_bump(cx.text, v, NEW_CLI_SINCE).or_decline(&why)?)
        }
        Some(_) => None,
        None if !new_cli_available(cx) => {
            return Err(Declined::new(
                "the targeted `distributed` is older than 2022.10.0, which has no `dask` command: \
                 target a newer release (`--target distributed=…`) to fix it",
            ));
        }
        None => None,
    };
    let written = cx.text.get(cx.range.as_range()).unwrap_or_default();
    let (dir, program) = written
        .rsplit_once('/')
        .map_or(("", written), |(d, p)| (d, p));
    let mut words: Vec<String> = replacement.split_whitespace().map(str::to_owned).collect();
    // One rule may name several legacy programs (`dask-worker`, `dask-scheduler`): each
    // becomes its own subcommand.
    if words.len() == 2
        && words[0] == "dask"
        && let Some(sub) = program.strip_prefix("dask-")
        && !sub.is_empty()
    {
        words[1] = sub.to_owned();
    }
    if words.is_empty() || program.is_empty() || program.contains(char::is_whitespace) {
        return Err(Declined::new(format!(
            "`{written}` is part of a longer command string: change it by hand"
        )));
    }
    if !dir.is_empty() {
        words[0] = format!("{dir}/{}", words[0]);
    }
    let description = format!("replace `{program}` with `{}`", words.join(" "));
    let mut edits = match cx.parsed {
        Parsed::Yaml(file) if chart_program_value(cx.text, file, cx.range, written) => {
            chart_value_edits(cx, &words)?
        }
        Parsed::Yaml(file) => yaml_edits(cx.text, file, cx.range, written, &words)?,
        Parsed::Python(doc) => python_edits(cx.text, doc, cx.range, written, &words)
            .or_decline_with(|| {
                format!(
                    "`{written}` is not a command word dusk can rewrite in place: change it by hand"
                )
            })?,
    };
    if let (Some(bump), Some(v)) = (bump, &in_play) {
        let description = format!(
            "{description}, and bump the image to {NEW_CLI_SINCE}: {} runs distributed {}, which has no `dask` command",
            v.describe(cx.path, cx.text),
            v.version
        );
        edits.push(bump);
        return Ok(Fix::new(edits, Applicability::Unsafe, description));
    }
    Ok(Fix::new(edits, Applicability::Safe, description))
}

/// Whether `range` is the value of the dask chart's `image.dask_worker` (of `worker` or
/// an `additional_worker_groups` item), written as the program alone.
fn chart_program_value(text: &str, file: &YamlFile, range: TextRange, written: &str) -> bool {
    chart_program_node(text, file, range).is_some_and(|n| n.as_str() == Some(written))
}

/// The scalar holding `range` when it is the value of a `dask_worker:` key (quoted or not).
fn chart_program_node<'a>(text: &str, file: &'a YamlFile, range: TextRange) -> Option<&'a Node> {
    let (node, _) = yaml_text::node_at(file, range)?;
    let before = text.get(yaml_text::line_start(text, node.range.start())..node.range.start())?;
    let key = before
        .trim_end()
        .strip_suffix(':')?
        .trim_start()
        .trim_start_matches("- ");
    (matches!(node.value, Value::Scalar(_)) && key.trim_matches(['"', '\'']) == "dask_worker")
        .then_some(node)
}

/// The chart's `image.dask_worker: dask-worker` → `dask worker`, when the chart the values
/// are for splits the value into words (dask/helm-chart#535, `chart_version`); declined
/// with the chart version and where it is written otherwise, or when it is unknown.
fn chart_value_edits(cx: &Context<'_>, words: &[String]) -> Result<Vec<Edit>, Declined> {
    use crate::migrate::chart_version::{self, SPLITS_SINCE};
    let new = words.join(" ");
    let before = format!(
        "charts before {SPLITS_SINCE} (dask/helm-chart#535) pass `image.dask_worker` to the \
         worker as one argument, where `{new}` would not run"
    );
    let Some(chart) = chart_version::for_values(cx.path) else {
        return Err(Declined::new(format!(
            "the version of the dask chart these values are for is unknown (no `Chart.yaml` \
             of the `dask` chart, or with a `dask` dependency, beside or above this file), \
             and {before}: write the chart's version in a `Chart.yaml`, or change the value \
             by hand"
        )));
    };
    let at = format!("{}:{}", shown_from(cx.path, &chart.file), chart.line);
    match chart.splits_program() {
        Some(true) => {}
        Some(false) => {
            return Err(Declined::new(format!(
                "the dask chart {} ({at}) passes `image.dask_worker` to the worker as one \
                 argument, where `{new}` would not run; charts split it since {SPLITS_SINCE} \
                 (dask/helm-chart#535): upgrade the chart, then `dusk fix` rewrites the value",
                chart.written
            )));
        }
        None => {
            return Err(Declined::new(format!(
                "the dask chart version `{}` ({at}) is not one exact version, and {before}: \
                 pin the chart's version, or change the value by hand",
                chart.written
            )));
        }
    }
    let file = cx.yaml_file()?;
    let value = chart_program_node(cx.text, file, cx.range)
        .or_decline("the finding is not at a YAML value")?;
    let like = &cx.text[value.range.as_range()];
    Ok(vec![Edit::replace(
        value.range,
        yaml_text::scalar_like(like, &new),
    )])
}

/// `file` as a path from the directory of `from` (`Chart.yaml`, `../Chart.yaml`).
fn shown_from(from: &std::path::Path, file: &std::path::Path) -> String {
    let (Ok(from), Ok(file)) = (std::path::absolute(from), std::path::absolute(file)) else {
        return file.display().to_string();
    };
    let Some(dir) = from.parent() else {
        return file.display().to_string();
    };
    for (ups, ancestor) in dir.ancestors().enumerate() {
        if let Ok(rest) = file.strip_prefix(ancestor) {
            return format!("{}{}", "../".repeat(ups), rest.display());
        }
    }
    file.display().to_string()
}

fn yaml_edits(
    text: &str,
    file: &YamlFile,
    range: TextRange,
    written: &str,
    words: &[String],
) -> Result<Vec<Edit>, Declined> {
    let Some((seq, item)) = seq_item_at(file, range).filter(|(_, i)| i.as_str() == Some(written))
    else {
        // A value that is the program alone (the dask chart's `worker.image.dask_worker`)
        // is one argv item wherever it is used: two words there would be one argument.
        if yaml_text::entry_at(file, range).is_some_and(|f| f.entry.value.as_str() == Some(written))
        {
            return Err(Declined::new(format!(
                "`{written}` is a value used as one program name, where `{}` would be one \
                 argument: change it where the value is used",
                words.join(" ")
            )));
        }
        // YAML embedded in a block scalar (an Argo `resource.manifest`, ConfigMap data): the
        // word is an item of a list inside it, where two words would be one argument.
        if embedded_yaml_at(file, range) {
            return Err(Declined::new(format!(
                "`{written}` is in YAML embedded in a string, where dusk cannot add a list \
                 item: write `{}` as two items by hand",
                words.join(" ")
            )));
        }
        // Inside a longer string (a shell line): the words, space-separated, in place.
        return Ok(vec![Edit::replace(range, words.join(" "))]);
    };
    let like = &text[item.range.as_range()];
    let items: Vec<String> = words
        .iter()
        .map(|w| yaml_text::scalar_like(like, w))
        .collect();
    if yaml_text::is_flow(text, seq) {
        return Ok(vec![Edit::replace(item.range, items.join(", "))]);
    }
    let dash = text[..item.range.start()]
        .rfind('-')
        .or_decline("the list item has no `-`")?;
    let indent = " ".repeat(yaml_text::column(text, dash));
    let rest: String = items[1..]
        .iter()
        .map(|i| format!("\n{indent}- {i}"))
        .collect();
    Ok(vec![Edit::replace(
        item.range,
        format!("{}{rest}", items[0]),
    )])
}

/// Whether `range` lies in a block scalar whose text is itself a YAML mapping.
fn embedded_yaml_at(file: &YamlFile, range: TextRange) -> bool {
    let mut todo: Vec<&Node> = yaml_text::roots_around(file, range).collect();
    while let Some(node) = todo.pop() {
        if !node.range.contains_range(range) {
            continue;
        }
        match &node.value {
            Value::Seq(items) => todo.extend(items),
            Value::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
            Value::Scalar(s) if s.style == crate::source::yaml::Style::Block => {
                return crate::source::yaml::parse(&s.text, Default::default()).is_ok_and(|f| {
                    f.documents
                        .iter()
                        .filter_map(|d| d.root.as_ref())
                        .any(|r| r.as_map().is_some())
                });
            }
            Value::Scalar(_) => {}
        }
    }
    false
}

/// The sequence and the item of it whose range contains `range`, innermost.
fn seq_item_at(file: &YamlFile, range: TextRange) -> Option<(&Node, &Node)> {
    let mut best: Option<(&Node, &Node)> = None;
    for root in yaml_text::roots_around(file, range) {
        let mut todo = vec![root];
        while let Some(node) = todo.pop() {
            if !node.range.contains_range(range) {
                continue;
            }
            match &node.value {
                Value::Seq(items) => {
                    for item in items {
                        if item.range.contains_range(range) {
                            best = Some((node, item));
                        }
                        todo.push(item);
                    }
                }
                Value::Map(es) => todo.extend(es.iter().map(|e| &e.value)),
                Value::Scalar(_) => {}
            }
        }
    }
    best
}

fn python_edits(
    text: &str,
    doc: &crate::source::python::PyDocument,
    range: TextRange,
    written: &str,
    words: &[String],
) -> Option<Vec<Edit>> {
    let node = doc
        .tree
        .root_node()
        .descendant_for_byte_range(range.start(), range.end())?;
    let string = if node.kind_name() == "string" {
        Some(node)
    } else {
        node.parent().filter(|p| p.kind_name() == "string")
    };
    let whole_item = string.filter(|s| {
        let content = &text[s.start_byte()..s.end_byte()];
        let quote = content.chars().next();
        matches!(quote, Some('"' | '\''))
            && content.len() == written.len() + 2
            && s.parent()
                .is_some_and(|p| matches!(p.kind_name(), "list" | "tuple"))
    });
    let Some(string) = whole_item else {
        return Some(vec![Edit::replace(range, words.join(" "))]);
    };
    let quote = &text[string.start_byte()..string.start_byte() + 1];
    let items: Vec<String> = words.iter().map(|w| format!("{quote}{w}{quote}")).collect();
    Some(vec![Edit::replace(
        TextRange::new(string.start_byte(), string.end_byte()),
        items.join(", "),
    )])
}
