//! `--format sarif`: SARIF 2.1.0, for code-scanning dashboards.
//!
//! Takes file reports; gives one log with one run: the driver lists the distinct rules of the
//! findings (sorted by id, so `ruleIndex` is stable), and each finding is a result located in
//! its file (1-based lines, columns in Unicode code points: the run says so in `columnKind`,
//! since SARIF's default unit is UTF-16) or, for a live object, at a logical location.
//!
//! The structs below are the subset of the SARIF schema dusk writes, hand-rolled to spare a
//! generated-code dependency. Never writes anything but the log (no timestamps, no paths of
//! the machine it ran on).

use super::{FileReport, Finding, ObjectRef, Severity, Summary};
use crate::rules::builtin_ids;
use crate::source::edit::Applicability;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(reports, summary))?;
    writeln!(out)
}

/// The whole SARIF log as a value.
fn log<'a>(reports: &'a [FileReport], summary: &'a Summary) -> Log<'a> {
    let findings: Vec<(&FileReport, &Finding)> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .collect();
    let rules = rules(findings.iter().map(|(_, f)| *f), summary);
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let results = findings
        .iter()
        .map(|(report, f)| {
            let rule_index = index.get(f.rule.as_str()).copied().unwrap_or(0);
            result(report, f, rule_index, summary)
        })
        .collect();
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "dusk",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
            properties: RunProperties {
                targets: &summary.targets,
            },
        }],
    }
}

/// The project's page from Cargo.toml (`homepage`, else `repository`), when it names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
}

/// One descriptor per distinct rule id, sorted; the rule's own text where the run knows it
/// (`summary.rules`), else what its first finding carries.
fn rules<'a>(findings: impl Iterator<Item = &'a Finding>, summary: &'a Summary) -> Vec<Rule<'a>> {
    let mut by_id: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in findings {
        by_id.entry(f.rule.as_str()).or_insert(f);
    }
    by_id
        .into_iter()
        .map(|(id, f)| {
            let info = summary.rules.get(id);
            let window = description(f);
            let title = info.map(|i| i.title.clone()).filter(|t| !t.is_empty());
            let help_uri = f.docs.as_deref().or(info.and_then(|i| i.docs.as_deref()));
            let mut help = String::new();
            if let Some(explanation) = info.and_then(|i| i.explanation.as_deref()) {
                help.push_str(explanation.trim());
                help.push_str("\n\n");
            }
            help.push_str(&format!("**{id}**: {window}."));
            if let Some(uri) = help_uri {
                help.push_str(&format!("\n\nSee [the documentation]({uri})."));
            }
            Rule {
                id,
                name: pascal_case(id),
                short_description: Text {
                    text: title.clone().unwrap_or_else(|| window.clone()),
                },
                full_description: Text {
                    text: match &title {
                        Some(t) => format!("{t}: {window}"),
                        None => window,
                    },
                },
                help: Help {
                    text: strip_markdown(&help),
                    markdown: help,
                },
                help_uri,
            }
        })
        .collect()
}

/// `classic-kubecluster-import` → `ClassicKubeclusterImport`: SARIF's `name` is an identifier.
fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// The plain-text twin of a help text SARIF requires beside its markdown.
fn strip_markdown(markdown: &str) -> String {
    markdown.replace("**", "").replace('`', "")
}

/// What a rule is about, from what findings carry: a built-in rule's own description, else
/// its window and replacement (findings do not carry a rule's title).
fn description(f: &Finding) -> String {
    if let Some((_, text)) = builtin_ids::ALL.iter().find(|(id, _)| *id == f.rule) {
        return (*text).to_owned();
    }
    let mut parts = Vec::new();
    let component = f.component.as_deref().unwrap_or("dusk");
    if let Some(v) = &f.deprecated_in {
        parts.push(format!("deprecated in {component} {v}"));
    }
    if let Some(v) = &f.removed_in {
        parts.push(format!("removed in {component} {v}"));
    }
    if let Some(r) = &f.replacement {
        parts.push(format!("use `{r}` instead"));
    }
    if parts.is_empty() {
        return f.rule.clone();
    }
    parts.join("; ")
}

/// A fixable finding's fix: the changes of its fix mode that touch its lines, as SARIF
/// artifact changes (regions in characters of the file). None when no change touches it.
fn fixes(report: &FileReport, f: &Finding, summary: &Summary) -> Vec<Value> {
    let Some(fix) = &f.fix else {
        return Vec::new();
    };
    let Some(file) = summary.fixes.get(&report.path) else {
        return Vec::new();
    };
    let changes = match fix.applicability {
        Applicability::Safe => &file.safe,
        Applicability::Unsafe => &file.unsafe_,
        _ => return Vec::new(),
    };
    let (start, end) = super::file_lines(report, f);
    let replacements: Vec<Value> = changes
        .iter()
        .filter(|c| (start..=end.max(start)).any(|l| c.touches(l)))
        .map(|c| {
            json!({
                "deletedRegion": {"charOffset": c.char_offset, "charLength": c.char_length},
                "insertedContent": {"text": c.text},
            })
        })
        .collect();
    if replacements.is_empty() {
        return Vec::new();
    }
    vec![json!({
        "description": {"text": format!("{} ({})", fix.description, fix.applicability.as_str())},
        "artifactChanges": [{
            "artifactLocation": {"uri": uri(&f.path)},
            "replacements": replacements,
        }],
    })]
}

fn result<'a>(
    report: &FileReport,
    f: &'a Finding,
    rule_index: usize,
    summary: &Summary,
) -> SarifResult<'a> {
    let location = match &f.object {
        Some(object) => Location {
            physical_location: None,
            logical_locations: vec![logical(object)],
        },
        _ => Location {
            physical_location: Some(PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(&f.path) },
                // Without text there is nothing to point into (a walk warning, an unreadable
                // file): the finding is about the whole artifact.
                region: report.text.is_some().then(|| region(report, f)),
            }),
            logical_locations: Vec::new(),
        },
    };
    let fixes = fixes(report, f, summary);
    SarifResult {
        fixes,
        rule_id: &f.rule,
        rule_index,
        level: match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        },
        message: Text {
            text: f.message.clone(),
        },
        locations: vec![location],
        properties: Properties {
            component: f.component.as_deref(),
            deprecated_in: f.deprecated_in.as_deref(),
            removed_in: f.removed_in.as_deref(),
            cell: f.cell,
            cell_line: f.cell.map(|_| f.start.line),
            cell_column: f.cell.map(|_| f.start.column),
        },
    }
}

/// Where a finding is in its file. In a notebook, the lines of the `.ipynb` where the cell's
/// source lines are written, without columns (the JSON's escapes and indentation make the
/// cell's columns meaningless there); the cell and its line stay in `properties`.
fn region(report: &FileReport, f: &Finding) -> Region {
    let (start_line, end_line) = super::file_lines(report, f);
    if f.cell.is_some() {
        return Region {
            start_line,
            start_column: None,
            end_line: end_line.max(start_line),
            end_column: None,
        };
    }
    Region {
        start_line,
        start_column: Some(f.start.column),
        end_line,
        end_column: Some(f.end.column),
    }
}

fn logical(o: &ObjectRef) -> LogicalLocation {
    LogicalLocation {
        name: o.name.clone(),
        fully_qualified_name: super::text::object_name(o),
        kind: "resource",
    }
}

/// A path as a URI reference: forward slashes, relative stays relative, and every byte a URI
/// path may not hold raw (space, `%`, `#`, `?`, non-ASCII, …) percent-encoded. An absolute
/// path becomes a `file://` URI, since a bare `/x` or `C:/x` would be read as relative.
pub fn uri(path: &str) -> String {
    let slashed = path.replace('\\', "/");
    let mut out = String::with_capacity(slashed.len());
    let bytes = slashed.as_bytes();
    let drive = bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1..3] == *b":/";
    if slashed.starts_with('/') {
        out.push_str("file://");
    } else if drive {
        out.push_str("file:///");
    }
    for (i, &b) in bytes.iter().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&b)
            // A colon in a relative first segment would read as a scheme; keep only a drive's.
            || (b == b':' && (drive && i == 1 || slashed[..i].contains('/')));
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    #[serde(skip_serializing_if = "RunProperties::is_empty")]
    properties: RunProperties<'a>,
}

/// The versions the run graded at, as JSON's `targets` carries them.
#[derive(Serialize)]
struct RunProperties<'a> {
    targets: &'a [super::GradedTarget],
}

impl RunProperties<'_> {
    fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    /// What `dusk fix` would change for this result (SARIF `fixes`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<Value>,
    #[serde(skip_serializing_if = "Properties::is_empty")]
    properties: Properties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    end_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

/// dusk's own facts about a result; absent values are left out rather than written as null.
#[derive(Serialize, PartialEq, Eq)]
struct Properties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deprecated_in: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    removed_in: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<usize>,
    /// The line and column within the cell, as JSON's `line` and `column` count them.
    #[serde(skip_serializing_if = "Option::is_none")]
    cell_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cell_column: Option<usize>,
}

impl Properties<'_> {
    fn is_empty(&self) -> bool {
        *self
            == Properties {
                component: None,
                deprecated_in: None,
                removed_in: None,
                cell: None,
                cell_line: None,
                cell_column: None,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn relative_paths_stay_relative_with_spaces_encoded() {
        assert_eq!(uri("deploy/worker pod.yaml"), "deploy/worker%20pod.yaml");
        assert_eq!(uri(r"charts\dask\values.yaml"), "charts/dask/values.yaml");
    }

    #[test]
    fn reserved_and_non_ascii_bytes_are_encoded() {
        assert_eq!(uri("a%b#c?.py"), "a%25b%23c%3F.py");
        assert_eq!(uri("démo.py"), "d%C3%A9mo.py");
        // `a:b` first would read as a scheme `a`; after a slash a colon is harmless.
        assert_eq!(uri("a:b/c:d"), "a%3Ab/c:d");
    }

    #[test]
    fn absolute_paths_become_file_uris() {
        assert_eq!(uri("/srv/x y.py"), "file:///srv/x%20y.py");
        assert_eq!(uri(r"C:\x\y.py"), "file:///C:/x/y.py");
    }
}
