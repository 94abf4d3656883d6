//! `dusk fix`: discover → fix every file in parallel (`migrate`) → write atomically (`write`)
//! or print diffs (`diff`) → one line per file → exit status.
//!
//! Output: with `--diff`, the diffs on standard output and everything else on standard error
//! (so the diff can be piped to `patch` or `git apply`); without, one `fixed` line per
//! changed file, then one line per finding left for a person, on standard output. Errors
//! writing a file (changed since read, not writable) go to standard error and make the exit
//! status 2 once every other file is done.

use super::args::FixArgs;
use super::check::{Scan, use_color};
use super::{Error, ExitStatus, display_path};
use crate::discover::{SourceFile, discover};
use crate::lint::{Decoded, lint_file};
use crate::migrate::{End, FileMeta, FixSettings, Outcome, fix_text};
use crate::report::{FileReport, Finding, Summary};
use crate::source::edit::Applicability;
use crate::source::edit::NewFile;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// What happened to one file.
struct FileResult {
    path: String,
    /// `None` when the file was not read as text (unreadable, binary, not UTF-8, too large);
    /// `remaining` then holds the finding saying so.
    outcome: Option<Outcome>,
    remaining: FileReport,
    write_error: Option<crate::write::Error>,
    /// Files the fixes create beside this one that are not already there as they would be.
    created: Vec<Created>,
}

/// A file a fix creates (a DaskCluster beside the Helm values it replaces).
struct Created {
    path: String,
    text: String,
    /// Why it was not written: it exists with other contents, or the write failed.
    error: Option<crate::write::Error>,
}

pub fn run(args: FixArgs) -> Result<ExitStatus, Error> {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let color = use_color(args.color, true);
    run_with(args, color, &mut stdout.lock(), &mut stderr.lock())
}

/// `dusk fix` writing its report to `out` and `err`; `color` colours diffs.
pub fn run_with(
    args: FixArgs,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let scan = Scan::build(&args.scan, None)?;
    let lint = scan.settings();
    let mut settings = FixSettings::new(&lint, &scan.fix_overrides);
    settings.unsafe_fixes = args.unsafe_fixes;
    settings.created_exists = already_created;
    if scan
        .paths
        .iter()
        .any(|p| p.as_os_str() == super::check::STDIN)
    {
        return fix_stdin(&scan, &settings, &args, out, err);
    }
    let found = discover(&scan.paths);
    let mut results: Vec<FileResult> = found
        .files
        .par_iter()
        .map(|file| fix_file(file, &settings, args.diff))
        .collect();
    results.sort_by(|a, b| a.path.cmp(&b.path));
    let printed = print(&results, &args, color, out, err);
    for w in &found.warnings {
        let _ = writeln!(err, "warning: {}: {}", display_path(&w.path), w.message);
    }
    printed.map_err(|source| Error::Output {
        path: "<stdout>".into(),
        source,
    })?;
    Ok(status(&scan, &results, found.files.len(), args.diff))
}

fn fix_file(file: &SourceFile, settings: &FixSettings<'_>, preview: bool) -> FileResult {
    let path = display_path(&file.path);
    // Too large or unreadable: `lint_file` words the finding, so both commands say the same.
    let unread = |path: String| {
        let remaining = lint_file(file, &path, settings.lint);
        FileResult {
            path,
            outcome: None,
            remaining,
            write_error: None,
            created: Vec::new(),
        }
    };
    let too_large = std::fs::metadata(&file.path)
        .map_or(true, |m| m.len() > settings.lint.limits.max_file_bytes);
    if too_large {
        return unread(path);
    }
    let Ok((snapshot, bytes)) = crate::write::read(&file.path) else {
        return unread(path);
    };
    let empty = |path: &str| FileReport {
        path: path.to_owned(),
        text: None,
        notebook: None,
        findings: Vec::new(),
    };
    let text = match crate::lint::decode(bytes, &path, settings.lint) {
        Decoded::Text(text) => text,
        Decoded::Skipped => {
            return FileResult {
                remaining: empty(&path),
                path,
                outcome: None,
                write_error: None,
                created: Vec::new(),
            };
        }
        Decoded::Rejected(remaining) => {
            return FileResult {
                remaining,
                path,
                outcome: None,
                write_error: None,
                created: Vec::new(),
            };
        }
    };
    let meta = FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &path,
    };
    let outcome = fix_text(meta, text, settings);
    let write_error = if outcome.changed() && !preview {
        crate::write::replace(&snapshot, outcome.fixed.as_bytes()).err()
    } else {
        None
    };
    let created = if write_error.is_none() {
        create_files(file, &outcome, preview)
    } else {
        Vec::new()
    };
    FileResult {
        remaining: outcome.remaining.clone(),
        outcome: Some(outcome),
        path,
        write_error,
        created,
    }
}

/// `dusk fix -`: standard input fixed as the file `--stdin-filename` names; the fixed text
/// (or, with `--diff`, the diff) on standard output, everything else on standard error.
/// Files a fix would create beside it are not written (there is no directory to put them
/// in): they are named on standard error. Only `-` may be given.
fn fix_stdin(
    scan: &Scan,
    settings: &FixSettings<'_>,
    args: &FixArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let output = |source| Error::Output {
        path: "<stdout>".into(),
        source,
    };
    if scan.paths.len() > 1 {
        return Err(Error::Output {
            path: "-".into(),
            source: std::io::Error::other(
                "`-` (standard input) cannot be fixed together with other paths",
            ),
        });
    }
    let file = scan.stdin_file();
    let shown = display_path(&file.path);
    let text = match scan.read_stdin() {
        Ok(text) => text,
        Err(message) => {
            writeln!(err, "{shown}: not fixed: {message}").map_err(output)?;
            return Ok(ExitStatus::Error);
        }
    };
    let meta = FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &shown,
    };
    let outcome = fix_text(meta, text, settings);
    if args.diff {
        out.write_all(crate::diff::unified(&shown, &outcome.original, &outcome.fixed).as_bytes())
            .map_err(output)?;
    } else {
        out.write_all(outcome.fixed.as_bytes()).map_err(output)?;
    }
    if outcome.changed() {
        writeln!(
            err,
            "{shown}: fixed {} ({})",
            outcome.fixed_count(),
            rules_list(&outcome.applied)
        )
        .map_err(output)?;
    }
    for c in &outcome.created {
        writeln!(err, "{shown}: not written: `{}` (a fix creates it beside the file; run `dusk fix` on the file itself)", c.name)
            .map_err(output)?;
    }
    for f in &outcome.remaining.findings {
        writeln!(err, "{}", left_line(f, args.unsafe_fixes)).map_err(output)?;
    }
    Ok(if args.diff && outcome.changed() {
        ExitStatus::Failure
    } else if args.diff {
        ExitStatus::Success
    } else {
        scan.status(&Summary::of(1, std::slice::from_ref(&outcome.remaining)))
    })
}

/// Whether the file `new` is already beside `path` with exactly its text.
pub(crate) fn already_created(path: &Path, new: &NewFile) -> bool {
    let full = path
        .parent()
        .map_or_else(|| new.name.clone().into(), |d| d.join(&new.name));
    std::fs::read(full).is_ok_and(|bytes| bytes == new.text.as_bytes())
}

/// Write (or, previewing, only check) the files the fixes create beside `file`. A file that
/// is already there with the same contents is done (a second `dusk fix` changes nothing);
/// one with other contents is never overwritten.
fn create_files(file: &SourceFile, outcome: &Outcome, preview: bool) -> Vec<Created> {
    let mut out = Vec::new();
    for new in &outcome.created {
        let full = file
            .path
            .parent()
            .map_or_else(|| new.name.clone().into(), |d| d.join(&new.name));
        let existing = std::fs::read(&full).ok();
        if existing.as_deref() == Some(new.text.as_bytes()) {
            continue;
        }
        let error = if existing.is_some() || full.symlink_metadata().is_ok() {
            Some(crate::write::Error::Exists { path: full.clone() })
        } else if preview {
            None
        } else {
            crate::write::create(&full, new.text.as_bytes()).err()
        };
        out.push(Created {
            path: display_path(&full),
            text: new.text.clone(),
            error,
        });
    }
    out
}

fn rules_list(applied: &BTreeMap<String, usize>) -> String {
    applied
        .iter()
        .map(|(rule, n)| {
            if *n == 1 {
                rule.clone()
            } else {
                format!("{rule} ×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn print(
    results: &[FileResult],
    args: &FixArgs,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    let (mut fixed, mut files, mut left, mut hidden) = (0, 0, 0, 0);
    // With --diff, stdout carries only the diff.
    for r in results {
        let Some(o) = &r.outcome else { continue };
        if args.diff && o.changed() {
            let diff = crate::diff::unified(&r.path, &o.original, &o.fixed);
            let diff = if color {
                crate::diff::colorize(&diff)
            } else {
                diff
            };
            out.write_all(diff.as_bytes())?;
        }
        for c in r.created.iter().filter(|c| args.diff && c.error.is_none()) {
            let diff = crate::diff::unified(&c.path, "", &c.text);
            let diff = if color {
                crate::diff::colorize(&diff)
            } else {
                diff
            };
            out.write_all(diff.as_bytes())?;
        }
    }
    out.flush()?;
    let status: &mut dyn Write = if args.diff { err } else { out };
    let verb = if args.diff { "would fix" } else { "fixed" };
    for r in results {
        if let Some(o) = &r.outcome {
            let creates = r.created.iter().any(|c| c.error.is_none());
            if (o.changed() || creates) && r.write_error.is_none() {
                fixed += o.fixed_count();
                files += 1;
                writeln!(
                    status,
                    "{}: {verb} {} ({})",
                    r.path,
                    o.fixed_count(),
                    rules_list(&o.applied)
                )?;
                for c in r.created.iter().filter(|c| c.error.is_none()) {
                    let verb = if args.diff { "would create" } else { "created" };
                    writeln!(status, "  {verb} {}", c.path)?;
                }
                for (rule, note) in &o.notes {
                    writeln!(status, "  review {rule}: {note}")?;
                }
            }
            for c in &r.created {
                if let Some(e) = &c.error {
                    writeln!(status, "{}: not written: {e}", c.path)?;
                }
            }
            for f in &o.failed {
                writeln!(
                    status,
                    "{}: could not fix `{}`: {}",
                    r.path, f.rule, f.reason
                )?;
            }
            match &o.end {
                End::NotConverged { passes, rules } => writeln!(
                    status,
                    "{}: not fixed: fixes were still changing the file after {passes} passes \
                     (last: {}); the file is left unchanged. This is a bug in dusk: please \
                     report it with the file",
                    r.path,
                    rules.join(", ")
                )?,
                End::NotParsed(why) if o.remaining.findings.iter().any(|f| f.fix.is_some()) => {
                    writeln!(status, "{}: not fixed: it does not parse ({why})", r.path)?
                }
                _ => {}
            }
            hidden += o.hidden_unsafe;
        }
        if let Some(e) = &r.write_error {
            writeln!(status, "{}: not written: {e}", r.path)?;
        }
        for f in &r.remaining.findings {
            left += 1;
            writeln!(status, "{}", left_line(f, args.unsafe_fixes))?;
        }
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut summary = format!(
        "{} {} in {}; {} left for a person",
        if args.diff { "Would fix" } else { "Fixed" },
        plural(fixed, "finding"),
        plural(files, "file"),
        left
    );
    if hidden > 0 {
        summary.push_str(&format!(
            " ({hidden} with a fix that needs review: rerun with `--unsafe-fixes`)"
        ));
    }
    writeln!(status, "{summary}")
}

/// `path:line:col: severity rule: message`, plus what would fix it.
fn left_line(f: &Finding, unsafe_fixes: bool) -> String {
    let cell = f.cell.map(|c| format!("cell {c}:")).unwrap_or_default();
    let mut line = format!(
        "{}:{cell}{}:{}: {} {}: {}",
        f.path,
        f.start.line,
        f.start.column,
        f.severity.as_str(),
        f.rule,
        f.message
    );
    if let Some(fix) = &f.fix
        && fix.applicability == Applicability::Unsafe
        && !unsafe_fixes
    {
        line.push_str(" [fix needs review: `--unsafe-fixes`]");
    }
    if let Some(reason) = &f.not_fixable {
        line.push_str(&format!(" [not fixable: {reason}]"));
    }
    line
}

fn status(scan: &Scan, results: &[FileResult], scanned: usize, preview: bool) -> ExitStatus {
    let create_failed = |r: &FileResult| r.created.iter().any(|c| c.error.is_some());
    if results
        .iter()
        .any(|r| r.write_error.is_some() || create_failed(r))
    {
        return ExitStatus::Error;
    }
    if preview {
        let pending = results.iter().any(|r| {
            r.outcome
                .as_ref()
                .is_some_and(|o| o.changed() || matches!(o.end, End::NotConverged { .. }))
                || !r.created.is_empty()
        });
        return if pending {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        };
    }
    let remaining: Vec<FileReport> = results.iter().map(|r| r.remaining.clone()).collect();
    scan.status(&Summary::of(scanned, &remaining))
}
