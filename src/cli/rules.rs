//! `dusk rules list | explain | check | test | docs | timeline | triggers`.

use super::args::{ListFormat, PackArgs, RulesCommand, TimelineFormat};
use super::{Error, ExitStatus, load_config, load_rules};
use crate::rules::compile::{LoadError, PackSource, Problem};
use crate::rules::{Rule, RuleSet, harness, policy, timeline};
use std::path::PathBuf;

pub fn run(cmd: RulesCommand) -> Result<ExitStatus, Error> {
    let load =
        |packs: &PackArgs| -> Result<RuleSet, Error> { load_rules(packs, &load_config(packs)?) };
    match cmd {
        RulesCommand::List { format, packs } => {
            let set = load(&packs)?;
            match format {
                ListFormat::Text => print!("{}", list_text(&set)),
                ListFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&list_json(&set)).unwrap_or_default()
                ),
            }
        }
        RulesCommand::Explain { id, packs } => {
            let set = load(&packs)?;
            let rule = set.get(&id).ok_or(Error::UnknownRule(id))?;
            print!("{}", explain(rule));
        }
        RulesCommand::Check {
            paths,
            support_months,
            packs,
        } => return check(&paths, support_months, &packs),
        RulesCommand::Test { dir, update, packs } => return test(dir, update, &packs),
        RulesCommand::Docs { output, packs } => {
            let text = crate::rules::docs::markdown(&load(&packs)?);
            match output {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|source| Error::Output { path, source })?
                }
                None => print!("{text}"),
            }
        }
        RulesCommand::Timeline {
            component,
            format,
            packs,
        } => {
            let set = load(&packs)?;
            let Some(components) = timeline::components(&set, component.as_deref()) else {
                let mut known: Vec<&str> = set.rules.iter().map(|r| r.component.as_str()).collect();
                known.sort_unstable();
                known.dedup();
                return Err(Error::UnknownComponent {
                    given: component.unwrap_or_default(),
                    known: known.join(", "),
                });
            };
            match format {
                TimelineFormat::Text => print!("{}", timeline::text(&components)),
                TimelineFormat::Html => print!("{}", timeline::html(&components)),
            }
        }
        RulesCommand::Triggers { packs } => {
            for t in load(&packs)?.triggers {
                println!("{t}");
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// The packs the configuration and `--rules` add, in that order.
fn extra_packs(packs: &PackArgs) -> Result<Vec<PathBuf>, Error> {
    let config = load_config(packs)?;
    let mut extra: Vec<PathBuf> = config
        .config
        .rules
        .iter()
        .map(|p| config.dir.join(p))
        .collect();
    extra.extend(packs.rules.iter().cloned());
    Ok(extra)
}

/// Read packs; an unreadable one stops the command (exit 2), naming every such pack.
fn read_packs(paths: &[PathBuf]) -> Result<Vec<PackSource>, Error> {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match PackSource::read(path) {
            Ok(s) => sources.push(s),
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(LoadError { problems }.into())
    }
}

/// `dusk rules check`: the given packs, else the built-in ones and the configured ones.
fn check(
    paths: &[PathBuf],
    support_months: Option<u32>,
    packs: &PackArgs,
) -> Result<ExitStatus, Error> {
    let mut sources = if paths.is_empty() {
        PackSource::builtin()
    } else {
        read_packs(paths)?
    };
    sources.extend(read_packs(&extra_packs(packs)?)?);
    let report = policy::check(&sources, policy::Options { support_months }).map_err(|e| {
        Error::from(LoadError {
            problems: vec![Problem {
                origin: e.origin,
                rule: None,
                message: format!("not a YAML pack: {}", e.reason),
            }],
        })
    })?;
    print!("{}", policy::render(&report));
    Ok(if report.is_clean() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// `dusk rules test`: every test file under `dir` (default `rule-tests`).
fn test(dir: Option<PathBuf>, update: bool, packs: &PackArgs) -> Result<ExitStatus, Error> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("rule-tests"));
    let mut base = PackSource::builtin();
    base.extend(read_packs(&extra_packs(packs)?)?);
    let files = harness::find_tests(&dir).map_err(|e| Error::NoRuleTests {
        dir: dir.clone(),
        reason: format!("cannot read it: {e}"),
    })?;
    if files.is_empty() {
        return Err(Error::NoRuleTests {
            dir,
            reason: "no `*.test.yaml` file".into(),
        });
    }
    let results: Vec<_> = files
        .iter()
        .map(|f| harness::run_file(f, &base, update))
        .collect();
    print!("{}", harness::render(&results));
    Ok(if results.iter().all(|r| r.failed() == 0) {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn window(rule: &Rule) -> String {
    let d = rule
        .window
        .deprecated_in
        .as_ref()
        .map_or("-".to_owned(), ToString::to_string);
    let r = rule
        .window
        .removed_in
        .as_ref()
        .map_or("-".to_owned(), ToString::to_string);
    format!("{d} → {r}")
}

pub fn list_text(set: &RuleSet) -> String {
    let width = set.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let cwidth = set
        .rules
        .iter()
        .map(|r| r.component.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for rule in &set.rules {
        let fix = rule.fix.as_ref().map_or(String::new(), |f| {
            format!(" [fix: {}]", f.applicability.as_str())
        });
        out.push_str(&format!(
            "{:width$}  {:cwidth$}  {:24}  {}{fix}\n",
            rule.id,
            rule.component,
            window(rule),
            rule.title
        ));
    }
    for (id, what) in crate::rules::builtin_ids::ALL {
        out.push_str(&format!(
            "{id:width$}  {:cwidth$}  {:24}  {what}\n",
            "dusk", "-"
        ));
    }
    out
}

pub fn list_json(set: &RuleSet) -> serde_json::Value {
    let rules: Vec<_> = set
        .rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "title": r.title,
                "component": r.component,
                "deprecated_in": r.window.deprecated_in.as_ref().map(ToString::to_string),
                "removed_in": r.window.removed_in.as_ref().map(ToString::to_string),
                "replacement": r.replacement,
                "fix": r.fix.as_ref().map(|f| f.applicability.as_str()),
            })
        })
        .collect();
    serde_json::json!({ "rules": rules })
}

pub fn explain(rule: &Rule) -> String {
    let mut out = format!("{} ({})\n\n", rule.id, rule.title);
    out.push_str(&format!("component:   {}\n", rule.component));
    out.push_str(&format!(
        "window:      deprecated in {}, removed in {}\n",
        rule.window
            .deprecated_in
            .as_ref()
            .map_or("-".into(), ToString::to_string),
        rule.window
            .removed_in
            .as_ref()
            .map_or("-".into(), ToString::to_string)
    ));
    if let Some(r) = &rule.replacement {
        out.push_str(&format!("replacement: {r}\n"));
    }
    if let Some(f) = &rule.fix {
        out.push_str(&format!(
            "fix:         {} ({})\n",
            f.rewriter,
            f.applicability.as_str()
        ));
    }
    if let Some(d) = &rule.docs {
        out.push_str(&format!("docs:        {d}\n"));
    }
    out.push_str(&format!(
        "defined in:  {}\n\nmessage: {}\n",
        rule.origin, rule.message
    ));
    if let Some(e) = &rule.explanation {
        out.push_str(&format!("\n{}\n", e.trim_end()));
    }
    if let Some(ex) = &rule.example {
        out.push_str(&format!("\nexample:\n{}\n", indent(&ex.bad)));
        if let Some(good) = &ex.good {
            out.push_str(&format!("\nuse instead:\n{}\n", indent(good)));
        }
    }
    out
}

fn indent(s: &str) -> String {
    s.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
