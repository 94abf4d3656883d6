//! The fix loop in-process, set up the way `dusk fix` sets it up (through `cli::check::Scan`,
//! so new lint settings reach the tests without editing them).

#![allow(dead_code)]

use dusk::cli::args::{PackArgs, ScanArgs};
use dusk::cli::check::Scan;
use dusk::discover::{SourceKind, classify};
use dusk::migrate::{FileMeta, FixSettings, OtherText, Outcome, Rewrite, fix_text};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The test rules of the rewriters' fixtures.
pub const PACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rewriters/pack.yaml");

/// Built-in packs plus the test pack, only `select`ed rules (all when empty), no config.
pub fn scan(select: &[&str]) -> Scan {
    let args = ScanArgs {
        select: select.iter().map(|s| (*s).to_owned()).collect(),
        packs: PackArgs {
            rules: vec![PathBuf::from(PACK)],
            config: None,
            isolated: true,
        },
        ..ScanArgs::default()
    };
    Scan::build(&args, None).unwrap()
}

/// The built-in packs alone.
pub fn builtin_scan() -> Scan {
    let args = ScanArgs {
        packs: PackArgs {
            isolated: true,
            ..PackArgs::default()
        },
        ..ScanArgs::default()
    };
    Scan::build(&args, None).unwrap()
}

/// Fix `text` as the file `path`, with unsafe fixes or not, and optionally another
/// rewriter registry.
pub fn fix(
    scan: &Scan,
    path: &Path,
    text: &str,
    unsafe_fixes: bool,
    rewriters: Option<fn(&str) -> Option<Rewrite>>,
) -> Outcome {
    fix_with(scan, path, text, |settings| {
        settings.unsafe_fixes = unsafe_fixes;
        if let Some(r) = rewriters {
            settings.rewriters = r;
        }
    })
}

/// Fix `text` as the file `path`, with the fix settings `adjust` makes.
pub fn fix_with(
    scan: &Scan,
    path: &Path,
    text: &str,
    adjust: impl FnOnce(&mut FixSettings<'_>),
) -> Outcome {
    let lint = scan.settings();
    let overrides = BTreeMap::new();
    let mut settings = FixSettings::new(&lint, &overrides);
    adjust(&mut settings);
    let read = loaded_template;
    settings.others = Some(&read);
    let display = path.display().to_string();
    let meta = FileMeta {
        kind: classify(path).unwrap_or(SourceKind::Yaml),
        beside_chart: false,
        path,
        display_path: &display,
    };
    fix_text(meta, text.to_owned(), &settings)
}

/// The classic pod template every file the code under test loads is (in memory): a
/// `KubeCluster.from_yaml(path)` fix migrates it with the call (`Outcome::elsewhere`). The
/// cross-file fix with real files, and its refusals, are tested in `tests/it/safe_fixes.rs`.
pub fn loaded_template(_from: &Path, written: &str) -> Result<OtherText, String> {
    Ok(OtherText {
        path: PathBuf::from(written),
        display: written.to_owned(),
        text: include_str!("../../../fixtures/rewriters/loaded-template.yaml").to_owned(),
    })
}
