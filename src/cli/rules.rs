//! `dusk rules list | explain | triggers`.

use super::args::{ListFormat, PackArgs, RulesCommand};
use super::{Error, ExitStatus, load_config, load_rules, print_stdout};
use crate::rules::{Rule, RuleSet};

pub fn run(cmd: RulesCommand) -> Result<ExitStatus, Error> {
    let load =
        |packs: &PackArgs| -> Result<RuleSet, Error> { load_rules(packs, &load_config(packs)?) };
    match cmd {
        RulesCommand::List { format, packs } => {
            let set = load(&packs)?;
            match format {
                ListFormat::Text => print_stdout(&list_text(&set))?,
                ListFormat::Json => print_stdout(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&list_json(&set)).unwrap_or_default()
                ))?,
            }
        }
        RulesCommand::Explain { id, packs } => {
            let set = load(&packs)?;
            let rule = set.get(&id).ok_or_else(|| Error::unknown_rule(&id, &set))?;
            print_stdout(&explain(rule))?;
        }
        RulesCommand::Triggers { packs } => {
            let triggers = load(&packs)?.triggers;
            print_stdout(
                &triggers
                    .iter()
                    .map(|t| format!("{t}\n"))
                    .collect::<String>(),
            )?;
        }
    }
    Ok(ExitStatus::Success)
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
