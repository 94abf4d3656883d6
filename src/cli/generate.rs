//! `dusk completions SHELL` and `dusk manpages DIR`: files generated from the command-line
//! definition, for packagers and shells.
//!
//! Completion scripts are static, so the values the shell offers are spelled out when the
//! script is generated: rule ids, component names and `ALL` for `--select`/`--ignore`,
//! `COMPONENT=NEWEST` for `--target`, rule ids for `rules explain`, all taken from the
//! built-in packs. Only the generated script sees them; parsing arguments never does, so a
//! rule from a project's own pack is still accepted where the script does not offer it.

use super::args::Cli;
use crate::rules::RuleSet;
use crate::rules::builtin_ids;
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Command, CommandFactory};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the completion script offers for the rule-valued options.
struct Values {
    /// `--select` / `--ignore`: `ALL`, components, rule ids, built-in ids.
    selectors: Vec<PossibleValue>,
    /// `--target`: `COMPONENT=NEWEST` for each component with known releases.
    targets: Vec<PossibleValue>,
    /// `rules explain ID`.
    rule_ids: Vec<PossibleValue>,
}

impl Values {
    fn new(rules: &RuleSet) -> Values {
        let rule_ids: Vec<PossibleValue> = rules
            .rules
            .iter()
            .map(|r| PossibleValue::new(r.id.clone()).help(r.title.clone()))
            .collect();
        let mut selectors = vec![PossibleValue::new("ALL").help("every rule")];
        selectors.extend(
            rules
                .components
                .keys()
                .map(|c| PossibleValue::new(c.clone()).help(format!("every `{c}` rule"))),
        );
        selectors.extend(rule_ids.iter().cloned());
        selectors.extend(
            builtin_ids::ALL
                .iter()
                .map(|(id, about)| PossibleValue::new(*id).help(*about)),
        );
        let targets = rules
            .components
            .iter()
            .filter_map(|(c, info)| {
                let newest = info.newest()?;
                Some(PossibleValue::new(format!("{c}={newest}")).help("the newest release known"))
            })
            .collect();
        Values {
            selectors,
            targets,
            rule_ids,
        }
    }
}

/// The command line with rule ids, component names and targets spelled out as the values of
/// the options that take them, for completion scripts.
pub fn completion_command(rules: &RuleSet) -> Command {
    let values = Values::new(rules);
    spell_out(Cli::command(), &values, false)
}

fn spell_out(cmd: Command, values: &Values, in_rules: bool) -> Command {
    let explain = in_rules && cmd.get_name() == "explain";
    let in_rules = cmd.get_name() == "rules";
    let parser = |v: &[PossibleValue]| PossibleValuesParser::new(v.to_vec());
    cmd.mut_args(|arg| match arg.get_id().as_str() {
        "select" | "ignore" => arg.value_parser(parser(&values.selectors)),
        "targets" => arg.value_parser(parser(&values.targets)),
        "id" if explain => arg.value_parser(parser(&values.rule_ids)),
        _ => arg,
    })
    .mut_subcommands(|sub| spell_out(sub, values, in_rules))
}

/// Write the completion script for `shell` to `out`. A closed pipe (`… | head`) is not an
/// error; clap_complete panics on a failed write, so the script is generated in memory first.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<(), super::Error> {
    let rules = RuleSet::builtin()?;
    let mut cmd = completion_command(&rules);
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "dusk", &mut script);
    match out.write_all(&script).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(super::Error::Output {
            path: "<stdout>".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Write `dusk.1` and one page per command (`dusk-check.1`, `dusk-rules-explain.1`, …) into
/// `dir`, creating it; returns the pages written, sorted.
pub fn manpages(dir: &Path) -> Result<Vec<PathBuf>, super::Error> {
    let failed = |source| super::Error::Output {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(failed)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(failed)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("dusk") && n.ends_with(".1"))
        })
        .collect();
    pages.sort();
    Ok(pages)
}
