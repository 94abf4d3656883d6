//! `dusk fix`: discover → fix every file in parallel (`migrate`) → write atomically (`write`)
//! or print diffs (`diff`) → one line per file → exit status.
//!
//! Output: with `--diff`, the diffs on standard output and everything else on standard error
//! (so the diff can be piped to `patch` or `git apply`); without, one `fixed` line per
//! changed file, then one line per finding left for a person, on standard output. Errors
//! writing a file (changed since read, not writable) go to standard error and make the exit
//! status 2 once every other file is done.
//!
//! Paths are resolved once, before any file is read: a file reached twice (`t` and `./t`, a
//! link next to its target) is fixed once, under its first path; a symbolic link found while
//! walking a directory is read and checked but never written through (its target is fixed
//! where it is given or walked), and no file whose real path is outside the given paths is
//! written. A link given by name is the user's choice and is followed.

use super::args::FixArgs;
use super::check::{Scan, use_color};
use super::{Error, ExitStatus, display_path};
use crate::discover::{SourceFile, discover};
use crate::lint::{Decoded, lint_file};
use crate::migrate::{End, FileMeta, FixSettings, Outcome, fix_text};
use crate::report::{FileReport, Finding, Summary};
use crate::source::edit::Applicability;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What happened to one file.
struct FileResult {
    path: String,
    /// `None` when the file was not read as text (unreadable, binary, not UTF-8, too large);
    /// `remaining` then holds the finding saying so.
    outcome: Option<Outcome>,
    remaining: FileReport,
    write_error: Option<crate::write::Error>,
    /// Why the file is checked but not written (a link found in a walk, a real path
    /// outside the given paths); set only when a fix would have changed it.
    not_written: Option<String>,
}

/// What `fix` may do with a discovered file, decided once per run from its real path.
enum Access {
    Write,
    /// Checked, reported, never written; the reason.
    ReadOnly(String),
    /// Another path to a file already in this run: skipped, with that path.
    Same(String),
}

/// Resolve every discovered path once: see the module docs for the policy.
fn access(files: &[SourceFile], given: &[PathBuf]) -> Vec<Access> {
    let roots: Vec<PathBuf> = given
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    struct Resolved {
        real: Option<PathBuf>,
        /// A link found by the walk, not named by the user.
        found_link: bool,
    }
    let resolved: Vec<Resolved> = files
        .iter()
        .map(|file| Resolved {
            real: std::fs::canonicalize(&file.path).ok(),
            found_link: std::fs::symlink_metadata(&file.path)
                .is_ok_and(|m| m.file_type().is_symlink())
                && !given.iter().any(|g| same_path(g, &file.path)),
        })
        .collect();
    // The first path to each real file owns it; paths that may be written come first, so a
    // link sorted before its target does not take the target's place.
    let mut owner: HashMap<&Path, usize> = HashMap::new();
    for pass_links in [false, true] {
        for (i, r) in resolved.iter().enumerate() {
            if r.found_link == pass_links
                && let Some(real) = &r.real
            {
                owner.entry(real).or_insert(i);
            }
        }
    }
    resolved
        .iter()
        .enumerate()
        .map(|(i, r)| {
            // Unreadable: `fix_file` reports it; nothing will be written.
            let Some(real) = &r.real else {
                return Access::Write;
            };
            let first = owner[real.as_path()];
            if first != i {
                return Access::Same(display_path(&files[first].path));
            }
            if r.found_link {
                Access::ReadOnly(format!(
                    "it is a symbolic link to `{}`; dusk fix does not write through links \
                     it finds (give the target's path to fix it)",
                    real.display()
                ))
            } else if !roots.iter().any(|root| real.starts_with(root)) {
                Access::ReadOnly(format!(
                    "its real path `{}` is outside the paths given",
                    real.display()
                ))
            } else {
                Access::Write
            }
        })
        .collect()
}

/// `a` and `b` name the same path, `.` components aside (`t` and `./t`).
fn same_path(a: &Path, b: &Path) -> bool {
    let clean = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    clean(a) == clean(b)
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
    let found = discover(&scan.paths);
    let access = access(&found.files, &scan.paths);
    let mut results: Vec<FileResult> = found
        .files
        .par_iter()
        .zip(access.par_iter())
        .filter_map(|(file, access)| match access {
            Access::Write => Some(fix_file(file, &settings, args.diff, None)),
            Access::ReadOnly(why) => Some(fix_file(file, &settings, true, Some(why.clone()))),
            Access::Same(_) => None,
        })
        .collect();
    results.sort_by(|a, b| a.path.cmp(&b.path));
    let printed = print(&results, &args, color, out, err);
    for w in &found.warnings {
        let _ = writeln!(err, "warning: {}: {}", display_path(&w.path), w.message);
    }
    for (file, access) in found.files.iter().zip(&access) {
        if let Access::Same(earlier) = access {
            let _ = writeln!(
                err,
                "note: {}: the same file as `{earlier}`; fixed once, under that path",
                display_path(&file.path)
            );
        }
    }
    printed.map_err(|source| Error::Output {
        path: "<stdout>".into(),
        source,
    })?;
    Ok(status(&scan, &results, found.files.len(), args.diff))
}

/// Fix one file; with `not_written`, only see what would be fixed and say why it is not.
fn fix_file(
    file: &SourceFile,
    settings: &FixSettings<'_>,
    preview: bool,
    not_written: Option<String>,
) -> FileResult {
    let path = display_path(&file.path);
    // Too large or unreadable: `lint_file` words the finding, so both commands say the same.
    let unread = |path: String| {
        let remaining = lint_file(file, &path, settings.lint);
        FileResult {
            path,
            outcome: None,
            remaining,
            write_error: None,
            not_written: None,
        }
    };
    let Ok((snapshot, bytes)) = crate::write::read(&file.path, settings.lint.limits.max_file_bytes)
    else {
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
                not_written: None,
            };
        }
        Decoded::Rejected(remaining) => {
            return FileResult {
                remaining,
                path,
                outcome: None,
                write_error: None,
                not_written: None,
            };
        }
    };
    let meta = FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &path,
    };
    let mut outcome = fix_text(meta, text, settings);
    keep_crlf(&mut outcome);
    let write_error = if outcome.changed() && !preview {
        crate::write::replace(&snapshot, outcome.fixed.as_bytes()).err()
    } else {
        None
    };
    // Not written: what the fixes would have fixed is still left for a person.
    let (remaining, not_written) = match not_written {
        Some(why) if outcome.changed() => (lint_file(file, &path, settings.lint), Some(why)),
        _ => (outcome.remaining.clone(), None),
    };
    FileResult {
        remaining,
        outcome: Some(outcome),
        path,
        write_error,
        not_written,
    }
}

/// A file whose every line break is CRLF keeps CRLF: rewriters insert `\n`, and a mixed file
/// is what the user never had.
fn keep_crlf(outcome: &mut Outcome) {
    let original = &outcome.original;
    let breaks = original.matches('\n').count();
    if breaks == 0 || original.matches("\r\n").count() != breaks || !outcome.changed() {
        return;
    }
    let mut fixed = String::with_capacity(outcome.fixed.len() + outcome.fixed.len() / 16);
    let mut prev = '\0';
    for c in outcome.fixed.chars() {
        if c == '\n' && prev != '\r' {
            fixed.push('\r');
        }
        fixed.push(c);
        prev = c;
    }
    outcome.fixed = fixed;
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
        if args.diff && o.changed() && r.not_written.is_none() {
            let diff = crate::diff::unified(&r.path, &o.original, &o.fixed);
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
            if let (Some(why), true) = (&r.not_written, o.changed()) {
                writeln!(status, "{}: not written: {why}", r.path)?;
            } else if o.changed() && r.write_error.is_none() {
                fixed += o.fixed_count();
                files += 1;
                writeln!(
                    status,
                    "{}: {verb} {} ({})",
                    r.path,
                    o.fixed_count(),
                    rules_list(&o.applied)
                )?;
                for (rule, note) in &o.notes {
                    writeln!(status, "  review {rule}: {note}")?;
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
    if results.iter().any(|r| r.write_error.is_some()) {
        return ExitStatus::Error;
    }
    if preview {
        let pending = results.iter().any(|r| {
            r.not_written.is_none()
                && r.outcome
                    .as_ref()
                    .is_some_and(|o| o.changed() || matches!(o.end, End::NotConverged { .. }))
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
