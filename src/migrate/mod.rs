//! Findings with fixes → an edited text, to a fixpoint, never a broken one.
//!
//! Takes one file's text and the lint settings; gives the fixed text, what was fixed (rule,
//! count), what could not be fixed and why, and the findings left for a person
//! ([`Outcome`]). Each pass lints the current text (the same extraction, matching, grading,
//! selection and suppression as `dusk check`), asks each finding's rewriter for a
//! [`Fix`] (one [`Context`] per finding), keeps the fixes the applicability allows and that
//! do not overlap, applies them, then re-parses and re-validates the result. A pass whose
//! result does not parse or validate is rolled back, fix by fix, and the rule that broke it
//! is recorded as failed and not tried again in that file. At most [`MAX_PASSES`] passes; a
//! file still changing after that is left as it was, with a clear message.
//!
//! Rewriters live in [`rewriters`], one file each, registered in [`rewriter`]. A rewriter
//! that writes operator resources reads the classic cluster into the model
//! ([`crate::extract::classic`]) and asks the one builder ([`build`]) for them. Never reads or
//! writes files: `cli::fix` does, through `write`.

pub mod build;
pub mod chart_version;
pub mod in_play;
pub mod loads;
pub mod migration_report;
pub mod notebook;
pub mod operator;
pub mod python_text;
pub mod rewriters;
pub mod scope;
pub mod validate;
pub mod yaml_text;

use crate::discover::SourceKind;
use crate::lint::{Settings, lint_text};
use crate::report::FileReport;
use crate::rules::{Rule, RuleSet, Targets, Version};
use crate::source::edit::{Applicability, Edit, Fix, NewFile, OtherFile, apply_edits, once_each};
use crate::source::python::PyDocument;
use crate::source::yaml::YamlFile;
use crate::source::{TextRange, python, yaml};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Passes before a file that keeps changing is given up on.
pub const MAX_PASSES: usize = 10;

/// A parsed file as rewriters see it. For a notebook, the Python of its joined code cells.
pub enum Parsed {
    /// Shared with the other stages that parse the same text ([`yaml::parse_shared`]).
    Yaml(std::rc::Rc<YamlFile>),
    Python(PyDocument),
}

/// Everything a rewriter may look at for one finding.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The file, for names derived from it.
    pub path: &'a Path,
    /// The text `range` and the parsed tree index (a notebook's joined code cells).
    pub text: &'a str,
    pub parsed: &'a Parsed,
    /// The rule whose finding is being fixed (its `replacement`, its id).
    pub rule: &'a Rule,
    /// The finding's range.
    pub range: TextRange,
    pub rules: &'a RuleSet,
    pub targets: &'a Targets,
    /// Every finding of this pass whose fix may apply: its rule and its range. A rewriter
    /// whose fix would hide other findings (moving an import changes what later calls
    /// resolve to) waits until they are fixed.
    pub pending: &'a [(&'a Rule, TextRange)],
    /// What rewriters computed about this pass's parsed file, shared between their calls
    /// so that asking once per finding stays linear in the number of findings.
    pub memo: &'a Memo,
    /// Other files of the run, for a fix that must change one together with this file;
    /// `None` where there are none (standard input, a file of another file's fix).
    pub others: Option<ReadOther<'a>>,
    /// The files beside this one that [`Context::others`] may read (a hand-written Dask
    /// stack spread over several files); `None` where there are none.
    pub beside: Option<ListBeside<'a>>,
    /// The code of the run that loads this file as a classic pod template
    /// ([`loads::Loader`]); `None` where the run's code is not known (standard input, a file
    /// of another file's fix, the in-memory harnesses).
    pub loaded_by: Option<LoadedBy<'a>>,
}

/// The code of the run that loads a file (given by its path as the fix loop has it) as a
/// classic pod template, each with what its own fix makes of it: `cli` finds them.
pub type LoadedBy<'a> = &'a (dyn Fn(&Path) -> Vec<loads::Loader> + Sync);

/// The YAML files around a file being fixed: those of its directory (itself among them,
/// under its own name), then the rest of the tree given that holds it, as paths
/// [`ReadOther`] takes (whether they are inside the paths given is its to say). Listed once
/// per directory and shared: a stack's every scheduler asks.
pub type ListBeside<'a> = &'a (dyn Fn(&Path) -> std::sync::Arc<Vec<Nearby>> + Sync);

/// One file of [`ListBeside`]'s list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nearby {
    /// Its path relative to the asking file's directory (`x.yaml`, `../workers/x.yaml`).
    pub written: String,
    /// How far the scope must widen to hold it: 0 in the directory itself, k for the tree of
    /// the directory k levels up (the directory's own subdirectories count as 1).
    pub level: usize,
    /// Whether it is named as a kustomization (`kustomization.yaml`, `Kustomization`).
    pub kustomization: bool,
}

impl Nearby {
    pub fn new(written: String) -> Nearby {
        let parts: Vec<std::path::Component> = Path::new(&written).components().collect();
        let ups = parts
            .iter()
            .take_while(|c| **c == std::path::Component::ParentDir)
            .count();
        let level = if ups == 0 && parts.len() > 1 { 1 } else { ups };
        let kustomization = rewriters::stack_scope::is_kustomization_name(&written);
        Nearby {
            written,
            level,
            kustomization,
        }
    }
}

/// How a rewriter reaches another file of the run (the pod template a call loads): given
/// the path of the file being fixed and a path as its code writes it, the file, or why it
/// cannot be changed with this one (missing, outside the paths given, unreadable). `cli`
/// reads it; `migrate` never touches the disk.
pub type ReadOther<'a> = &'a (dyn Fn(&Path, &str) -> Result<OtherText, String> + Sync);

/// Another file as [`ReadOther`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherText {
    pub path: std::path::PathBuf,
    /// The path as reports show it.
    pub display: String,
    pub text: String,
}

/// Facts about one pass's parsed file that several rewriter calls need, computed once.
#[derive(Debug, Default)]
pub struct Memo {
    /// The `name`s of the items of a YAML list (an `env:`), by the list's range.
    list_names: std::cell::RefCell<BTreeMap<TextRange, std::rc::Rc<BTreeSet<String>>>>,
    /// The text's lines, for [`Context::line`]: counting newlines per rewriter call made a
    /// file of N findings cost N × its length.
    lines: std::cell::OnceCell<crate::source::LineIndex>,
    /// A notebook's code cells (number, range in the joined text), so a reason says "cell
    /// 3, line 2" as the findings do, not a line of the joined code no one sees.
    cells: Option<std::sync::Arc<crate::source::notebook::Notebook>>,
    /// Answers about the whole file that many findings ask the same question for ("is a
    /// call fix still pending?"), by question: asked per finding, each would cost a
    /// rewriter call per other finding, and a notebook of N cells N² of them.
    verdicts: Verdicts,
    /// Fixes made for a finding before its own rewriter call asks (`calls_pending` runs each
    /// pending call's rewriter, `blocked_call` each call's own fix): that call takes the
    /// answer instead of making it again.
    made: std::cell::RefCell<foldhash::HashMap<MadeKey, Result<Fix, Declined>>>,
}

/// What made a fix (a function, by address), the rule id and the finding's range.
type MadeKey = (usize, String, TextRange);

/// [`Memo::verdict`]'s answers, each of the type its question has.
#[derive(Default)]
struct Verdicts(std::cell::RefCell<BTreeMap<&'static str, Box<dyn std::any::Any>>>);

impl std::fmt::Debug for Verdicts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.borrow().keys()).finish()
    }
}

impl Memo {
    /// The 1-based line of byte `offset` in `text` (the one text this memo is for).
    fn line(&self, text: &str, offset: usize) -> usize {
        self.lines
            .get_or_init(|| crate::source::LineIndex::new(text))
            .line(offset)
    }

    /// The answer to the file-wide `question`, computed once per pass.
    /// A question is asked with one answer type (`T`); asked with another, it is computed
    /// again rather than answered wrongly.
    pub fn verdict<T: Clone + 'static>(
        &self,
        question: &'static str,
        compute: impl FnOnce() -> T,
    ) -> T {
        if let Some(answer) = self
            .verdicts
            .0
            .borrow()
            .get(question)
            .and_then(|known| known.downcast_ref::<T>())
        {
            return answer.clone();
        }
        // Not borrowed while computing: the answer may ask other questions.
        let answer = compute();
        self.verdicts
            .0
            .borrow_mut()
            .insert(question, Box::new(answer.clone()));
        answer
    }

    /// The answer to `question` about one `name` of the file, computed once per pass: for
    /// facts rewriters ask about a few names (is an imported name still read?), found per
    /// name rather than for every name of the file at once.
    pub fn per_name<T: 'static>(
        &self,
        question: &'static str,
        name: &str,
        compute: impl FnOnce() -> T,
    ) -> std::rc::Rc<T> {
        type Known<T> = std::rc::Rc<std::cell::RefCell<foldhash::HashMap<String, std::rc::Rc<T>>>>;
        let known: Known<T> = self.verdict(question, Known::default);
        if let Some(answer) = known.borrow().get(name) {
            return answer.clone();
        }
        // Not borrowed while computing, as in `verdict`.
        let answer = std::rc::Rc::new(compute());
        known.borrow_mut().insert(name.to_owned(), answer.clone());
        answer
    }

    /// Whether `rewrite` makes a fix for `cx`'s finding; the fix is kept for [`Memo::made`].
    pub fn makes(&self, rewrite: Rewrite, cx: &Context<'_>) -> bool {
        self.keep(rewrite as usize, cx, || rewrite(cx)).is_ok()
    }

    /// What `rewrite` makes for `cx`'s finding: the fix [`Memo::makes`] kept, else made now.
    pub fn made(&self, rewrite: Rewrite, cx: &Context<'_>) -> Result<Fix, Declined> {
        self.take(rewrite as usize, cx)
            .unwrap_or_else(|| rewrite(cx))
    }

    /// `make`'s answer for `cx`'s finding (`by`: the function that makes it), kept until
    /// [`Memo::take`] asks for it; `Err` holds why it declined.
    pub fn keep(
        &self,
        by: usize,
        cx: &Context<'_>,
        make: impl FnOnce() -> Result<Fix, Declined>,
    ) -> Result<(), String> {
        let key = (by, cx.rule.id.clone(), cx.range);
        if let Some(known) = self.made.borrow().get(&key) {
            return known.as_ref().map(|_| ()).map_err(|d| d.reason.clone());
        }
        let made = make();
        let answer = made.as_ref().map(|_| ()).map_err(|d| d.reason.clone());
        self.made.borrow_mut().insert(key, made);
        answer
    }

    /// The answer [`Memo::keep`] kept for `cx`'s finding, taken out.
    pub fn take(&self, by: usize, cx: &Context<'_>) -> Option<Result<Fix, Declined>> {
        let key = (by, cx.rule.id.clone(), cx.range);
        self.made.borrow_mut().remove(&key)
    }

    /// The `name` of every item of the YAML sequence `list`.
    pub fn item_names(&self, list: &crate::source::yaml::Node) -> std::rc::Rc<BTreeSet<String>> {
        self.list_names
            .borrow_mut()
            .entry(list.range)
            .or_insert_with(|| {
                std::rc::Rc::new(
                    list.as_seq()
                        .into_iter()
                        .flatten()
                        .filter_map(|n| n.get_str("name"))
                        .map(str::to_owned)
                        .collect(),
                )
            })
            .clone()
    }
}

impl<'a> Context<'a> {
    /// The same file and pass, for another finding.
    pub fn for_finding(&self, rule: &'a Rule, range: TextRange) -> Context<'a> {
        Context {
            rule,
            range,
            ..*self
        }
    }

    pub fn yaml(&self) -> Option<&YamlFile> {
        match self.parsed {
            Parsed::Yaml(file) => Some(file),
            Parsed::Python(_) => None,
        }
    }

    pub fn python(&self) -> Option<&PyDocument> {
        match self.parsed {
            Parsed::Python(doc) => Some(doc),
            Parsed::Yaml(_) => None,
        }
    }

    /// The YAML file, or the reason a YAML rewriter cannot work on this one.
    pub fn yaml_file(&self) -> Result<&YamlFile, Declined> {
        self.yaml().or_decline_with(|| {
            format!(
                "`{}` rewrites YAML, and this finding is in Python",
                self.rewriter_name()
            )
        })
    }

    /// The Python document, or the reason a Python rewriter cannot work on this one.
    pub fn python_doc(&self) -> Result<&PyDocument, Declined> {
        self.python().or_decline_with(|| {
            format!(
                "`{}` rewrites Python, and this finding is in YAML",
                self.rewriter_name()
            )
        })
    }

    fn rewriter_name(&self) -> &str {
        self.rule
            .fix
            .as_ref()
            .map_or("this rewriter", |f| f.rewriter.as_str())
    }

    /// The rule's `fix: {with: {name: …}}` parameter.
    pub fn param(&self, name: &str) -> Option<&'a crate::rules::pack::FixParam> {
        self.rule.fix.as_ref()?.with.get(name)
    }

    /// `line N` of a byte offset in this text (`cell C, line N` in a notebook).
    pub fn line(&self, offset: usize) -> String {
        let line = self.memo.line(self.text, offset);
        match self.memo.cells.as_ref().and_then(|nb| nb.locate(offset)) {
            Some((cell, within)) => {
                let first = self.memo.line(self.text, offset - within);
                format!("cell {cell}, line {}", line + 1 - first)
            }
            None => format!("line {line}"),
        }
    }

    /// The joined-text range of the notebook cell holding `offset`; `None` outside notebooks.
    pub fn cell_range(&self, offset: usize) -> Option<TextRange> {
        let cells = &self.memo.cells.as_ref()?.cells;
        let i = cells
            .partition_point(|(_, r)| r.start() <= offset)
            .checked_sub(1)?;
        Some(cells[i].1)
    }

    /// The version `component` is targeted at: the user's `--target`, else the newest
    /// release the packs know.
    pub fn target(&self, component: &str) -> Option<&Version> {
        self.targets
            .explicit
            .get(component)
            .or_else(|| self.rules.default_target(component))
    }
}

/// A rewriter: the fix for one finding, or why it cannot fix it here ([`Declined`]). The
/// fix's applicability is this occurrence's: a rewriter may lower its rule's `safe` to
/// `unsafe` when, here, it would drop or guess something.
pub type Rewrite = fn(&Context<'_>) -> Result<Fix, Declined>;

/// Why a rewriter gives no fix for one finding, in words a user can act on: what is in the
/// way and, where there is one, what to do ("integer env value `4` at line 7: quote it").
/// Shown as `not fixable: …` in text, as `"fix": {"available": false, "reason": …}` in JSON
/// and in `dusk fix`'s list of what is left for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declined {
    pub reason: String,
}

impl Declined {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// `Option` → `Result<_, Declined>` with the reason a user reads.
pub trait OrDecline<T> {
    fn or_decline(self, reason: &str) -> Result<T, Declined>;
    fn or_decline_with(self, reason: impl FnOnce() -> String) -> Result<T, Declined>;
}

impl<T> OrDecline<T> for Option<T> {
    fn or_decline(self, reason: &str) -> Result<T, Declined> {
        self.ok_or_else(|| Declined::new(reason))
    }

    fn or_decline_with(self, reason: impl FnOnce() -> String) -> Result<T, Declined> {
        self.ok_or_else(|| Declined::new(reason()))
    }
}

/// `line N` of byte `offset` in `text`, for a reason that points at something (computed
/// only when a rewriter declines).
pub fn line_of(text: &str, offset: usize) -> String {
    let end = offset.min(text.len());
    let line = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    format!("line {line}")
}

/// A rewriter as packs name it: the one place its name lives, the parameters a pack's
/// `fix: {rewriter: …, with: {…}}` may pass it (checked when the pack loads), and the code.
pub struct Registered {
    pub name: &'static str,
    pub params: &'static [Param],
    pub rewrite: Rewrite,
}

/// A parameter a rewriter declares.
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    /// What it means, for the load error when it is missing.
    pub help: &'static str,
}

/// The type of a rewriter parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// One string.
    Text,
    /// One string, or one per item the rule's matcher lists (its flags, its programs).
    TextPerItem,
}

/// Every rewriter, by name.
pub const REWRITERS: &[Registered] = {
    use rewriters::*;
    const NONE: &[Param] = &[];
    &[
        Registered {
            name: "remove-field",
            params: NONE,
            rewrite: remove_field::rewrite,
        },
        Registered {
            name: "replace-flag",
            params: &[Param {
                name: "to",
                kind: ParamKind::TextPerItem,
                required: true,
                help: "the flag that replaces each matched flag",
            }],
            rewrite: replace_flag::rewrite,
        },
        Registered {
            name: "replace-command",
            params: &[Param {
                name: "to",
                kind: ParamKind::Text,
                required: true,
                help: "the command that replaces the legacy program, such as `dask worker`; \
                       `dask-<x>` programs become `dask <x>`",
            }],
            rewrite: replace_command::rewrite,
        },
        Registered {
            name: "quote-quantity",
            params: NONE,
            rewrite: quote_quantity::rewrite,
        },
        Registered {
            name: "rename-service-ports",
            params: NONE,
            rewrite: rename_service_ports::rewrite,
        },
        Registered {
            name: "add-worker-name",
            params: NONE,
            rewrite: add_worker_name::rewrite,
        },
        Registered {
            name: "python-import-operator",
            params: NONE,
            rewrite: python_import_operator::rewrite,
        },
        Registered {
            name: "pod-template-to-daskcluster",
            params: NONE,
            rewrite: pod_template_to_daskcluster::rewrite,
        },
        Registered {
            name: "python-remove-keyword",
            params: NONE,
            rewrite: python_remove_keyword::rewrite,
        },
        Registered {
            name: "python-string-reference",
            params: &[Param {
                name: "to",
                kind: ParamKind::Text,
                required: false,
                help: "the dotted name the string should name instead",
            }],
            rewrite: python_string_reference::rewrite,
        },
        Registered {
            name: "python-classic-cluster",
            params: NONE,
            rewrite: python_classic_cluster::rewrite,
        },
        Registered {
            name: "python-make-pod-spec",
            params: NONE,
            rewrite: python_make_pod_spec::rewrite,
        },
        Registered {
            name: "dask-config",
            params: NONE,
            rewrite: dask_config::rewrite,
        },
        Registered {
            name: "helm-values-to-daskcluster",
            params: NONE,
            rewrite: helm_values_to_daskcluster::rewrite,
        },
        Registered {
            name: "hand-rolled-to-daskcluster",
            params: NONE,
            rewrite: hand_rolled_to_daskcluster::rewrite,
        },
        Registered {
            name: "argo-to-daskcluster",
            params: NONE,
            rewrite: argo_to_daskcluster::rewrite,
        },
    ]
};

/// The rewriter a pack's `fix: {rewriter: …}` names.
pub fn rewriter(name: &str) -> Option<Rewrite> {
    REWRITERS.iter().find(|r| r.name == name).map(|r| r.rewrite)
}

/// How fixes are chosen, built once by `cli`.
pub struct FixSettings<'a> {
    pub lint: &'a Settings<'a>,
    /// Also apply fixes that need review.
    pub unsafe_fixes: bool,
    /// Per-rule applicability from the configuration (`fix-applicability`); replaces the
    /// pack's and the rewriter's verdict, except that a display-only fix is never applied.
    pub overrides: &'a BTreeMap<String, Applicability>,
    /// The rewriter registry; tests swap in their own.
    pub rewriters: fn(&str) -> Option<Rewrite>,
    pub max_passes: usize,
    /// Whether a file a fix would create beside `path` is already there with that text: such
    /// a fix is done, and its finding is left for a person (the Helm values stay until the
    /// release is retired). `cli` looks at the disk; by default nothing is there.
    pub created_exists: fn(path: &Path, file: &NewFile) -> bool,
    /// Other files of the run a fix may change together with its own (see [`ReadOther`]);
    /// `None`: such fixes are declined, with the reason.
    pub others: Option<ReadOther<'a>>,
    /// The files beside a fixed file, for [`Context::beside`]; `None`: no such fixes.
    pub beside: Option<ListBeside<'a>>,
    /// The code of the run that loads a file as its pod template, for
    /// [`Context::loaded_by`]; `None`: not known.
    pub loaded_by: Option<LoadedBy<'a>>,
}

impl<'a> FixSettings<'a> {
    pub fn new(lint: &'a Settings<'a>, overrides: &'a BTreeMap<String, Applicability>) -> Self {
        Self {
            lint,
            unsafe_fixes: false,
            overrides,
            rewriters: rewriter,
            max_passes: MAX_PASSES,
            created_exists: |_, _| false,
            others: None,
            beside: None,
            loaded_by: None,
        }
    }

    /// The applicability a rule's fixes start from: the configuration's, else the pack's.
    fn base(&self, rule: &Rule) -> Option<Applicability> {
        let fix = rule.fix.as_ref()?;
        Some(
            self.overrides
                .get(&rule.id)
                .copied()
                .unwrap_or(fix.applicability),
        )
    }

    /// Whether a loop in this mode may apply fixes of `rule` at all (its rewriter may still
    /// decline an occurrence): a file with no such finding is left as it is.
    pub fn may_apply(&self, rule: &str) -> bool {
        self.lint
            .rules
            .get(rule)
            .and_then(|r| self.base(r))
            .is_some_and(|a| self.allowed(a))
    }

    /// Whether findings of `rule` have fixes that only `--unsafe-fixes` applies, and this
    /// mode does not.
    pub fn needs_review(&self, rule: &str) -> bool {
        !self.unsafe_fixes
            && self.lint.rules.get(rule).and_then(|r| self.base(r)) == Some(Applicability::Unsafe)
    }

    fn allowed(&self, a: Applicability) -> bool {
        match a {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }

    /// One occurrence's applicability: the rewriter may lower the pack's; a configured
    /// override decides alone.
    fn effective(&self, rule: &Rule, occurrence: Applicability) -> Applicability {
        if occurrence == Applicability::DisplayOnly {
            return occurrence;
        }
        match self.overrides.get(&rule.id) {
            Some(&o) => o,
            None => rule
                .fix
                .as_ref()
                .map_or(occurrence, |f| f.applicability.min(occurrence)),
        }
    }
}

/// A file as the fix loop needs it.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta<'a> {
    pub kind: SourceKind,
    pub beside_chart: bool,
    pub path: &'a Path,
    pub display_path: &'a str,
}

/// A fix that was rolled back, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub rule: String,
    pub reason: String,
}

/// How the fix loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// No fix left to apply (including: nothing to fix at all).
    Converged,
    /// The file did not parse before fixing; it is left as it was.
    NotParsed(String),
    /// Fixes kept changing the file for `passes` passes; it is left as it was.
    NotConverged { passes: usize, rules: Vec<String> },
}

/// What fixing one file gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub original: String,
    /// The text to write; equal to `original` when nothing was fixed or the loop gave up.
    pub fixed: String,
    /// Fixes applied, per rule id.
    pub applied: BTreeMap<String, usize>,
    /// What each applied unsafe fix did (rule, description), for the reviewer.
    pub notes: Vec<(String, String)>,
    pub failed: Vec<Failure>,
    /// The findings of `fixed`: what is left for a person.
    pub remaining: FileReport,
    /// Files the applied fixes create beside this one (by name), for `cli::fix` to write.
    pub created: Vec<NewFile>,
    /// Applied fixes that create files, per rule: their finding may stay (the Helm values
    /// a DaskCluster is written beside), yet each is a fix made.
    pub created_by: BTreeMap<String, usize>,
    /// Other existing files the applied fixes change together with this one (one entry
    /// per file, its text as read and as fixed), for `cli::fix` to write with it.
    pub elsewhere: Vec<OtherFile>,
    /// Remaining findings whose fix `--unsafe-fixes` would apply.
    pub hidden_unsafe: usize,
    /// Each fix applied, in the order applied: its rule, what it did and where its finding
    /// was. Emptied with `applied` when the loop gives up or a pass is undone.
    pub fixes: Vec<AppliedFix>,
    /// The migration report (`migration_report::MigrationReport::to_json`) of each classic
    /// cluster the applied fixes migrate, in the order applied: what their comment blocks say,
    /// as data.
    pub migration: Vec<serde_json::Value>,
    /// Whether `--unsafe-fixes` could have made any step of this run go otherwise: a finding
    /// whose fix needs review, an occurrence a rewriter made unsafe, or a postcondition that
    /// refused a finding such a fix removes. When not, the unsafe run is this run.
    pub unsafe_differs: bool,
    pub end: End,
}

impl Outcome {
    pub fn changed(&self) -> bool {
        self.original != self.fixed
    }

    /// Whether the fixes create files beside this one.
    pub fn creates(&self) -> bool {
        !self.created.is_empty()
    }

    pub fn fixed_count(&self) -> usize {
        self.applied.values().sum()
    }
}

/// One fix the loop applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFix {
    pub rule: String,
    /// The rewriter's words for what this occurrence's fix did.
    pub description: String,
    pub applicability: Applicability,
    /// Where its finding was in the text the loop started from (a notebook's joined code
    /// cells); `None` when that is not known (the loop started from another fix's result).
    pub at: Option<TextRange>,
}

/// The edits one pass applied, in the coordinates of the text before it (range, length of
/// the new text), sorted: enough to take an offset of a later text back to the original.
/// Indexed by where each edit's new text starts, so an offset is mapped by bisection: a
/// pass of N fixes maps 2N offsets, and a scan of its edits per offset made a notebook of
/// N cells N² steps per pass (#13).
struct PassEdits {
    edits: Vec<(TextRange, usize)>,
    /// Per edit, where its new text starts in the text after the pass; `None` when these
    /// do not ascend (overlapping edits), and offsets are then mapped by a scan.
    new_starts: Option<Vec<usize>>,
    /// The change of length made by the edits before each one (one more entry: all).
    deltas: Vec<isize>,
}

impl PassEdits {
    fn new(mut edits: Vec<(TextRange, usize)>) -> PassEdits {
        edits.sort_by_key(|(r, _)| (r.start(), r.end()));
        let mut deltas = Vec::with_capacity(edits.len() + 1);
        let mut delta: isize = 0;
        let mut new_starts = Vec::with_capacity(edits.len());
        for (range, len) in &edits {
            deltas.push(delta);
            new_starts.push(range.start() as isize + delta);
            delta += *len as isize - range.len() as isize;
        }
        deltas.push(delta);
        // Sorted edits that do not overlap give ascending starts, each past the new text
        // before it: then the first edit an offset falls in is found by bisection.
        let ascending = new_starts.iter().all(|&n| n >= 0)
            && edits
                .windows(2)
                .zip(new_starts.windows(2))
                .all(|(e, n)| e[0].0.end() <= e[1].0.start() && n[0] + e[0].1 as isize <= n[1]);
        PassEdits {
            new_starts: ascending.then(|| new_starts.into_iter().map(|n| n as usize).collect()),
            edits,
            deltas,
        }
    }
}

/// `offset` in the text after the pass whose edits are `edits`, in the text before it: an
/// offset inside new text is the start of the range it replaced.
fn before_pass(offset: usize, edits: &PassEdits) -> usize {
    let Some(starts) = &edits.new_starts else {
        return before_pass_scan(offset, &edits.edits);
    };
    // The edits whose new text starts before `offset`, and those starting at it.
    let before = starts.partition_point(|&n| n < offset);
    let at = starts.partition_point(|&n| n <= offset);
    // Only the last edit starting before it can hold it (the new texts are apart); one
    // starting at it holds it, or is an insertion there.
    if let Some(i) = before.checked_sub(1)
        && offset < starts[i] + edits.edits[i].1
    {
        return edits.edits[i].0.start();
    }
    if before < at {
        return edits.edits[before].0.start();
    }
    (offset as isize - edits.deltas[at]).max(0) as usize
}

/// [`before_pass`] by a scan of the edits, for edits that overlap.
fn before_pass_scan(offset: usize, edits: &[(TextRange, usize)]) -> usize {
    let mut delta: isize = 0;
    for (range, len) in edits {
        let new_start = (range.start() as isize + delta) as usize;
        if offset < new_start {
            break;
        }
        if offset < new_start + len || (offset == new_start && *len == 0) {
            return range.start();
        }
        delta += *len as isize - range.len() as isize;
    }
    (offset as isize - delta).max(0) as usize
}

/// A finding's fix, chosen for this pass.
#[derive(Clone)]
struct Candidate {
    rule: String,
    /// The finding's range.
    range: TextRange,
    fix: Fix,
}

/// What the fix loops of one file computed about a text, by the text: its findings, whether
/// it parses and validates, the names it leaves unbound, the operator resources it holds and
/// the fixes its rewriters offer. `dusk check` runs the safe and the unsafe loop over the same
/// file (and `dusk fix` both after its own), and each pass lints what its postcondition
/// linted already: one cache per file makes each text cost one lint, one check and one
/// round of rewriter calls per fix mode.
/// For one file (one kind, path and lint settings) only.
#[derive(Default)]
pub struct FixCache {
    /// Shared, not copied per question: a notebook's report holds a finding per cell, and
    /// each pass asks for two reports (#13).
    reports: ByText<std::sync::Arc<FileReport>>,
    checks: ByText<Result<Vec<validate::Problem>, String>>,
    unbound: ByText<Option<BTreeSet<String>>>,
    kinds: ByText<Option<Vec<String>>>,
    /// [`candidates`]' answers, by text and by the rules a loop has disabled and whether it
    /// applies unsafe fixes (the rewriters see the other pending findings, which differ).
    candidates: ByText<Vec<(CandidatesKey, Candidates)>>,
    /// The texts the caches above are keyed by, each kept once for all of them.
    texts: Texts,
}

/// The texts a file's loops met, each held once and shared by every cache keyed by it: a
/// copy per cache made a 100 MB manifest cost five copies of each pass's text.
#[derive(Default)]
struct Texts(std::sync::Mutex<Vec<std::sync::Arc<str>>>);

impl Texts {
    fn intern(&self, text: &str) -> std::sync::Arc<str> {
        let mut texts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = texts
            .iter()
            .find(|t| t.len() == text.len() && ***t == *text)
        {
            return known.clone();
        }
        let new: std::sync::Arc<str> = std::sync::Arc::from(text);
        texts.push(new.clone());
        new
    }
}

/// What [`candidates`] gives besides the text it is asked about.
type CandidatesKey = (bool, BTreeSet<String>);
type Candidates = (Vec<Candidate>, Vec<DeclinedAt>, bool);

/// Values by the text they were computed from. A file's loops meet few texts (the original
/// and one per pass), often large (a notebook with images): found by comparing lengths,
/// then bytes, never by hashing whole texts.
struct ByText<T>(std::sync::Mutex<Vec<(std::sync::Arc<str>, T)>>);

impl<T> Default for ByText<T> {
    fn default() -> Self {
        Self(std::sync::Mutex::new(Vec::new()))
    }
}

impl<T: Clone> ByText<T> {
    fn get(&self, text: &str) -> Option<T> {
        let entries = self.0.lock().ok()?;
        entries
            .iter()
            .find(|(t, _)| t.len() == text.len() && **t == *text)
            .map(|(_, v)| v.clone())
    }

    /// Change the value for `text` (`None`: there is none yet; a value given back is kept,
    /// keyed by the text as `texts` holds it).
    fn update(&self, texts: &Texts, text: &str, change: impl FnOnce(Option<&mut T>) -> Option<T>) {
        let Ok(mut entries) = self.0.lock() else {
            return;
        };
        match entries
            .iter_mut()
            .find(|(t, _)| t.len() == text.len() && **t == *text)
        {
            Some((_, v)) => {
                change(Some(v));
            }
            None => {
                if let Some(v) = change(None) {
                    entries.push((texts.intern(text), v));
                }
            }
        }
    }

    fn insert(&self, texts: &Texts, text: &str, value: T) {
        self.update(texts, text, |old| match old {
            Some(v) => {
                *v = value;
                None
            }
            None => Some(value),
        });
    }

    /// The value for `text`, computed (and kept) the first time it is asked for.
    fn memo(&self, texts: &Texts, text: &str, compute: impl FnOnce() -> T) -> T {
        if let Some(found) = self.get(text) {
            return found;
        }
        let value = compute();
        self.insert(texts, text, value.clone());
        value
    }
}

impl FixCache {
    /// A cache that already knows the findings of `text` (what `dusk check` linted).
    pub fn knowing(text: &str, report: &FileReport) -> FixCache {
        let cache = FixCache::default();
        cache
            .reports
            .insert(&cache.texts, text, std::sync::Arc::new(report.clone()));
        cache
    }

    /// The findings of `text`, if a loop linted it.
    pub fn report(&self, text: &str) -> Option<FileReport> {
        self.reports.get(text).map(std::sync::Arc::unwrap_or_clone)
    }

    /// [`candidates`] for `text` (the whole file as the loop holds it), asked once per
    /// fix mode and set of disabled rules.
    fn candidates(
        &self,
        text: &str,
        disabled: &BTreeSet<String>,
        settings: &FixSettings<'_>,
        compute: impl FnOnce() -> Candidates,
    ) -> Candidates {
        let key = (settings.unsafe_fixes, disabled.clone());
        let known = self
            .candidates
            .get(text)
            .and_then(|all| all.into_iter().find(|(k, _)| *k == key));
        if let Some((_, found)) = known {
            return found;
        }
        let value = compute();
        let keep = value.clone();
        self.candidates.update(&self.texts, text, |old| match old {
            Some(all) => {
                all.push((key, keep));
                None
            }
            None => Some(vec![(key, keep)]),
        });
        value
    }
}

/// Fix `text` (the whole file: YAML, Python or notebook JSON) to a fixpoint.
pub fn fix_text(meta: FileMeta<'_>, text: String, settings: &FixSettings<'_>) -> Outcome {
    fix_text_with(meta, text, settings, &FixCache::default())
}

/// [`fix_text`] with what earlier loops over the same file computed.
pub fn fix_text_with(
    meta: FileMeta<'_>,
    text: String,
    settings: &FixSettings<'_>,
    cache: &FixCache,
) -> Outcome {
    let lint = |t: &str| {
        cache.reports.memo(&cache.texts, t, || {
            std::sync::Arc::new(lint_text(
                meta.kind,
                meta.beside_chart,
                meta.path,
                meta.display_path,
                t,
                settings.lint,
            ))
        })
    };
    let limits = settings.lint.limits.yaml;
    // A YAML text is parsed once (`yaml::parse_shared`): its check, its resource kinds and
    // the rewriters' tree share the tree. The kinds are kept while it is at hand: asked a
    // pass later, it may have left the thread's few shared parses.
    let check = |t: &str| {
        cache.checks.memo(&cache.texts, t, || {
            let result = check(meta.kind, t, limits);
            if meta.kind == SourceKind::Yaml {
                cache
                    .kinds
                    .insert(&cache.texts, t, validate::resource_kinds(t, limits));
            }
            result
        })
    };
    let unbound = |t: &str| {
        cache
            .unbound
            .memo(&cache.texts, t, || unbound_names(meta.kind, t))
    };
    let kinds = |t: &str| {
        cache.kinds.memo(&cache.texts, t, || {
            validate::resource_kinds(t, settings.lint.limits.yaml)
        })
    };
    let mut outcome = Outcome {
        original: text.clone(),
        fixed: text,
        applied: BTreeMap::new(),
        notes: Vec::new(),
        failed: Vec::new(),
        remaining: FileReport {
            path: meta.display_path.to_owned(),
            text: None,
            notebook: None,
            findings: Vec::new(),
        },
        created: Vec::new(),
        created_by: BTreeMap::new(),
        elsewhere: Vec::new(),
        hidden_unsafe: 0,
        fixes: Vec::new(),
        migration: Vec::new(),
        unsafe_differs: false,
        end: End::Converged,
    };
    // The edits of each pass so far, to place each applied fix in the original text.
    let mut passes_edits: Vec<PassEdits> = Vec::new();
    let mut problems = match check(&outcome.fixed) {
        Ok(problems) => problems,
        Err(message) => {
            outcome.remaining = FileReport::clone(&lint(&outcome.fixed));
            outcome.end = End::NotParsed(message);
            return outcome;
        }
    };
    let mut disabled: BTreeSet<String> = BTreeSet::new();
    let needs_review = |rule: &str| {
        !settings.unsafe_fixes
            && settings.lint.rules.get(rule).and_then(|r| settings.base(r))
                == Some(Applicability::Unsafe)
    };
    let unsafe_differs = std::cell::Cell::new(false);
    // Each pass's result, to go back to when the end leaves a name unbound.
    let mut history: Vec<Step> = Vec::new();
    let mut passes = 0;
    loop {
        let report = lint(&outcome.fixed);
        if report.findings.iter().any(|f| needs_review(&f.rule)) {
            unsafe_differs.set(true);
        }
        let (mut candidates, declined, skipped_unsafe) =
            cache.candidates(&outcome.fixed, &disabled, settings, || {
                candidates(meta, &outcome.fixed, &report, &disabled, settings)
            });
        if skipped_unsafe {
            unsafe_differs.set(true);
        }
        // A fix that only creates files is done once its files are created as they are
        // now: the finding stays (the values file it is about stays). A file made from an
        // earlier pass's text is made again from the text the other fixes left.
        candidates.retain(|c| {
            !c.fix.edits.is_empty() || c.fix.created.iter().any(|f| !outcome.created.contains(f))
        });
        if !candidates.is_empty() && passes >= settings.max_passes {
            // Still changing after the last pass: a rewriter pair is fighting. Keep the file
            // as it was. (A file that settles in exactly `max_passes` passes is fine.)
            outcome.end = End::NotConverged {
                passes,
                rules: candidates.iter().map(|c| c.rule.clone()).collect(),
            };
            outcome.fixed = outcome.original.clone();
            outcome.applied.clear();
            outcome.notes.clear();
            outcome.created.clear();
            outcome.created_by.clear();
            outcome.elsewhere.clear();
            outcome.fixes.clear();
            outcome.migration.clear();
            outcome.remaining = FileReport::clone(&lint(&outcome.fixed));
            break;
        }
        if candidates.is_empty() {
            // Fix availability is per occurrence: what its rewriter declined (a template it
            // cannot read, a shell-wrapped worker) is left for a person, not "fixable".
            let mut report = std::sync::Arc::unwrap_or_clone(report);
            mark_declined(&mut report, &declined);
            outcome.remaining = report;
            break;
        }
        if passes == 0 && meta.kind == SourceKind::Notebook {
            // The names the original leaves unbound are asked for once the loop has changed
            // the notebook; asked now, its parse is still at hand (not read again, #13).
            unbound(&outcome.original);
        }
        passes += 1;
        let (chosen, clashes) =
            one_fix_per_other_file(non_overlapping(candidates), &outcome.elsewhere);
        for failure in clashes {
            disabled.insert(failure.rule.clone());
            outcome.failed.push(failure);
        }
        // A notebook's fixes edit its joined code cells; the cells' JSON is rewritten.
        let current = &outcome.fixed;
        let apply = |edits: &[Edit]| match &report.notebook {
            Some(nb) => notebook::apply(current, nb, edits),
            None => apply_edits(current, edits).map_err(|e| e.to_string()),
        };
        // Postcondition beyond parsing and validation: the result has no finding the text
        // before it did not have (names left unbound are checked once the loop ends: a call
        // may move before the import that binds its new name).
        let counts_before = rule_counts(&report);
        let post = |new: &str| -> Result<(), String> {
            let after = lint(new);
            for (rule, count) in rule_counts(&after) {
                // A finding a later pass fixes is a step of a longer fix (a call rewritten
                // before its import), not a regression; the pass after it tries its fix.
                let fixable = settings
                    .lint
                    .rules
                    .get(&rule)
                    .and_then(|r| settings.base(r))
                    .is_some_and(|a| settings.allowed(a));
                if !fixable && count > counts_before.get(&rule).copied().unwrap_or(0) {
                    if needs_review(&rule) {
                        unsafe_differs.set(true);
                    }
                    let message = after
                        .findings
                        .iter()
                        .find(|f| f.rule == rule)
                        .map_or(String::new(), |f| f.message.clone());
                    return Err(format!("it would add a `{rule}` finding ({message})"));
                }
            }
            Ok(())
        };
        let (text, kept, failures) =
            apply_checked(meta.kind, &kinds, &problems, chosen, &apply, &check, &post);
        for failure in failures {
            disabled.insert(failure.rule.clone());
            outcome.failed.push(failure);
        }
        if let Some((text, new_problems)) = text {
            outcome.fixed = text;
            problems = new_problems;
        }
        let edits = PassEdits::new(
            once_each(kept.iter().flat_map(|c| &c.fix.edits))
                .iter()
                .map(|e| (e.range, e.content.len()))
                .collect(),
        );
        let mut pass_reports: Vec<serde_json::Value> = Vec::new();
        for c in kept {
            let at = passes_edits.iter().rev().fold(c.range.start(), before_pass);
            let end = passes_edits.iter().rev().fold(c.range.end(), before_pass);
            let applied = AppliedFix {
                rule: c.rule.clone(),
                description: c.fix.description.clone(),
                applicability: c.fix.applicability,
                at: Some(TextRange::new(at, end.max(at))),
            };
            // A file made again from a later pass's text is the same fix, made again: it
            // and its reports replace the earlier ones.
            if c.fix.edits.is_empty() {
                outcome
                    .fixes
                    .retain(|f| f.rule != applied.rule || f.at != applied.at);
            }
            outcome.fixes.push(applied);
            pass_reports.extend(c.fix.migration.iter().cloned());
            for file in &c.fix.created {
                outcome.created.retain(|o| o.name != file.name);
                outcome.created.push(file.clone());
            }
            if !c.fix.created.is_empty() {
                *outcome.created_by.entry(c.rule.clone()).or_default() += 1;
            }
            for other in &c.fix.elsewhere {
                if !outcome.elsewhere.contains(other) {
                    outcome.elsewhere.push(other.clone());
                }
            }
            if c.fix.applicability != Applicability::Safe {
                outcome
                    .notes
                    .push((c.rule.clone(), c.fix.description.clone()));
            }
            *outcome.applied.entry(c.rule).or_default() += 1;
        }
        merge_reports(&mut outcome.migration, pass_reports);
        passes_edits.push(edits);
        history.push(Step {
            // The text as the caches hold it (linted by the postcondition): not a copy.
            text: cache.texts.intern(&outcome.fixed),
            applied: outcome.applied.clone(),
            notes: outcome.notes.len(),
            elsewhere: outcome.elsewhere.len(),
            fixes: outcome.fixes.len(),
            migration: outcome.migration.len(),
        });
    }
    outcome.unsafe_differs = unsafe_differs.get();
    // Unchanged, the result leaves no name unbound that the original did not.
    if outcome.end == End::Converged && outcome.changed() {
        keep_names_bound(&mut outcome, &history, &unbound, &|t| {
            FileReport::clone(&lint(t))
        });
    }
    outcome.hidden_unsafe = outcome
        .remaining
        .findings
        .iter()
        .filter(|f| {
            !settings.unsafe_fixes
                && settings
                    .lint
                    .rules
                    .get(&f.rule)
                    .and_then(|r| settings.base(r))
                    == Some(Applicability::Unsafe)
        })
        .count();
    outcome
}

/// `existing` with each of `reports` pushed in turn, each first removing every report with
/// its `from` and `cluster` (the same migration, made again from a later pass's text). With
/// string keys, in one pass over each list: a retain over all reports per report made a
/// notebook of N migrated cells N² comparisons (#13).
fn merge_reports(existing: &mut Vec<serde_json::Value>, reports: Vec<serde_json::Value>) {
    type Key<'v> = (Option<&'v str>, Option<&'v str>);
    // `None` when a key is not a string (then compared as values, one report at a time).
    fn key(r: &serde_json::Value) -> Option<Key<'_>> {
        let field = |name: &str| match r.get(name) {
            None => Some(None),
            Some(v) => v.as_str().map(Some),
        };
        Some((field("from")?, field("cluster")?))
    }
    let keyed = existing.iter().chain(&reports).all(|r| key(r).is_some());
    if !keyed {
        for report in reports {
            let same = |r: &serde_json::Value| {
                r.get("from") == report.get("from") && r.get("cluster") == report.get("cluster")
            };
            existing.retain(|r| !same(r));
            existing.push(report);
        }
        return;
    }
    // The last report of each key wins; every earlier one with that key goes.
    let mut last: foldhash::HashMap<Key<'_>, usize> = foldhash::HashMap::default();
    for (i, r) in reports.iter().enumerate() {
        last.extend(key(r).map(|k| (k, i)));
    }
    let keep_new: Vec<bool> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| key(r).and_then(|k| last.get(&k)) == Some(&i))
        .collect();
    existing.retain(|r| key(r).is_none_or(|k| !last.contains_key(&k)));
    drop(last);
    existing.extend(
        reports
            .into_iter()
            .zip(keep_new)
            .filter_map(|(r, keep)| keep.then_some(r)),
    );
}

/// Clear the `fix` of each finding whose rewriter cannot build a fix here, so `dusk check`
/// shows a fix only where `dusk fix` would make one (availability is per occurrence).
pub fn settle_fixes(
    file: &crate::discover::SourceFile,
    report: &mut FileReport,
    settings: &FixSettings<'_>,
) {
    settle_fixes_with(file, report, settings, None);
}

/// [`settle_fixes`] for a file whose fix loops will follow: the rewriters' answers for its
/// text as read (`original`, a notebook's JSON) are kept in `cache` for the first pass of
/// the loop in the same mode.
pub fn settle_fixes_with(
    file: &crate::discover::SourceFile,
    report: &mut FileReport,
    settings: &FixSettings<'_>,
    loops: Option<(&str, &FixCache)>,
) {
    let Some(text) = report.text.clone() else {
        return;
    };
    let display_path = report.path.clone();
    let meta = FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &display_path,
    };
    let none = BTreeSet::new();
    let (fixes, declined, _) = match loops {
        Some((original, cache)) => cache.candidates(original, &none, settings, || {
            candidates(meta, original, report, &none, settings)
        }),
        None => candidates(meta, &text, report, &none, settings),
    };
    mark_declined(report, &declined);
    note_in_play(meta, &text, report, settings);
    // Each occurrence's applicability: a rewriter may lower the rule's (an image bump).
    // The first fix of each finding, found by a lookup: a search of every fix per finding
    // made a file of N findings cost N² (#13).
    let mut by_finding: foldhash::HashMap<(&str, TextRange), &Candidate> =
        foldhash::HashMap::default();
    for c in &fixes {
        by_finding.entry((c.rule.as_str(), c.range)).or_insert(c);
    }
    for f in &mut report.findings {
        if let (Some(info), Some(c)) = (f.fix.as_mut(), by_finding.get(&(f.rule.as_str(), f.range)))
        {
            info.applicability = info.applicability.min(c.fix.applicability);
            info.migration = c
                .fix
                .migration
                .iter()
                .map(|m| migration_report::with_comment_path(m, &display_path))
                .collect();
        }
    }
}

/// Say, on each finding of a `distributed` command or flag, which version its fix was
/// decided for and where that came from (`in_play`).
fn note_in_play(
    meta: FileMeta<'_>,
    text: &str,
    report: &mut FileReport,
    settings: &FixSettings<'_>,
) {
    use crate::rules::pack::MatchDef;
    let wanted = |f: &crate::report::Finding| {
        settings.lint.rules.get(&f.rule).is_some_and(|r| {
            r.component == "distributed"
                && matches!(r.matcher, MatchDef::Command(_) | MatchDef::Flag(_))
        })
    };
    if !report.findings.iter().any(wanted) {
        return;
    }
    let Some(parsed) = parse(meta.kind, text, settings.lint.limits.yaml) else {
        return;
    };
    let memo = Memo::default();
    for i in 0..report.findings.len() {
        if !wanted(&report.findings[i]) {
            continue;
        }
        let Some(rule) = settings.lint.rules.get(&report.findings[i].rule) else {
            continue;
        };
        let cx = Context {
            path: meta.path,
            text,
            parsed: &parsed,
            rule,
            range: report.findings[i].range,
            rules: settings.lint.rules,
            targets: settings.lint.targets,
            pending: &[],
            memo: &memo,
            others: None,
            beside: None,
            loaded_by: None,
        };
        report.findings[i].in_play =
            in_play::distributed(&cx).map(|v| v.note(meta.display_path, text));
    }
}

/// A finding (rule id, range) whose rewriter declined, and why.
type DeclinedAt = (String, TextRange, Declined);

/// Findings whose rewriter declined lose their fix and say why.
fn mark_declined(report: &mut FileReport, declined: &[DeclinedAt]) {
    if declined.is_empty() {
        return;
    }
    let by_finding: foldhash::HashMap<(&str, TextRange), &Declined> = declined
        .iter()
        .map(|(rule, range, why)| ((rule.as_str(), *range), why))
        .collect();
    for f in &mut report.findings {
        if let Some(why) = by_finding.get(&(f.rule.as_str(), f.range)) {
            f.fix = None;
            f.not_fixable = Some(why.reason.clone());
        }
    }
}

/// The fixes this pass could apply: one per finding whose rule has a rewriter, whose
/// applicability is allowed, and that the rewriter could build; the findings (rule id,
/// range) whose rewriter declined; and whether a fix was left out only for being unsafe.
fn candidates(
    meta: FileMeta<'_>,
    text: &str,
    report: &FileReport,
    disabled: &BTreeSet<String>,
    settings: &FixSettings<'_>,
) -> (Vec<Candidate>, Vec<DeclinedAt>, bool) {
    let wanted: Vec<(&Rule, TextRange)> = report
        .findings
        .iter()
        .filter(|f| !disabled.contains(&f.rule))
        .filter_map(|f| Some((settings.lint.rules.get(&f.rule)?, f.range)))
        .filter(|(rule, _)| settings.base(rule).is_some_and(|a| settings.allowed(a)))
        .collect();
    if wanted.is_empty() {
        return (Vec::new(), Vec::new(), false);
    }
    let text = rewritten_text(meta.kind, text, report);
    let Some(parsed) = parse(meta.kind, text, settings.lint.limits.yaml) else {
        // Nothing can edit a file dusk cannot parse for rewriting (a Dockerfile, say).
        let why = match meta.kind {
            SourceKind::Dockerfile => "dusk does not edit Dockerfiles: change this line by hand",
            _ => "the file does not parse, so nothing can be rewritten in it: fix its syntax first",
        };
        let declined = wanted
            .iter()
            .map(|(rule, range)| (rule.id.clone(), *range, Declined::new(why)))
            .collect();
        return (Vec::new(), declined, false);
    };
    let pending = wanted.clone();
    let memo = Memo {
        cells: report.notebook.clone(),
        ..Memo::default()
    };
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen: foldhash::HashSet<(Vec<Edit>, Vec<NewFile>)> = foldhash::HashSet::default();
    let mut declined = Vec::new();
    let mut skipped_unsafe = false;
    for (rule, range) in wanted {
        let Some(rewrite) = rule
            .fix
            .as_ref()
            .and_then(|f| (settings.rewriters)(&f.rewriter))
        else {
            continue;
        };
        let cx = Context {
            path: meta.path,
            text,
            parsed: &parsed,
            rule,
            range,
            rules: settings.lint.rules,
            targets: settings.lint.targets,
            pending: &pending,
            memo: &memo,
            others: settings.others,
            beside: settings.beside,
            loaded_by: settings.loaded_by,
        };
        let mut fix = match memo.made(rewrite, &cx) {
            Ok(fix) => fix,
            Err(why) => {
                declined.push((rule.id.clone(), range, why));
                continue;
            }
        };
        // Edits that rewrite text as it already is change nothing: the rewriter cannot
        // satisfy the rule here, so the finding is left for a person rather than looping.
        if !fix.edits.is_empty()
            && fix
                .edits
                .iter()
                .all(|e| text.get(e.range.as_range()) == Some(e.content.as_str()))
        {
            declined.push((
                rule.id.clone(),
                range,
                Declined::new(format!(
                    "`{}` has nothing to change here: edit it by hand",
                    rule.fix.as_ref().map_or("", |f| f.rewriter.as_str())
                )),
            ));
            continue;
        }
        if fix.edits.is_empty()
            && !fix.created.is_empty()
            && fix
                .created
                .iter()
                .all(|f| (settings.created_exists)(meta.path, f))
        {
            let names: Vec<String> = fix
                .created
                .iter()
                .map(|f| format!("`{}`", f.name))
                .collect();
            declined.push((
                rule.id.clone(),
                range,
                Declined::new(format!(
                    "already migrated: {} is beside this file; what is left is for a person",
                    names.join(", ")
                )),
            ));
            continue;
        }
        fix.applicability = settings.effective(rule, fix.applicability);
        if fix.applicability == Applicability::Unsafe && !settings.unsafe_fixes {
            skipped_unsafe = true;
        }
        if !settings.allowed(fix.applicability) || (fix.edits.is_empty() && fix.created.is_empty())
        {
            continue;
        }
        // Several findings may lead to the same fix (one rewrite of a whole document).
        if !seen.insert((fix.edits.clone(), fix.created.clone())) {
            continue;
        }
        out.push(Candidate {
            rule: rule.id.clone(),
            range,
            fix,
        });
    }
    if let Parsed::Python(doc) = &parsed
        && out.iter().any(|c| c.fix.takes.is_some())
    {
        let cells: Vec<TextRange> = report
            .notebook
            .as_ref()
            .map(|nb| nb.cells.iter().map(|(_, range)| *range).collect())
            .unwrap_or_default();
        merge_taken_items(text, doc, &cells, &mut out);
    }
    (out, declined, skipped_unsafe)
}

/// Fixes that each take an item out of one list (`KubeCluster` and `make_pod_spec` of `from
/// dask_kubernetes import KubeCluster, make_pod_spec`, both moving to the operator; two
/// keywords of one `adapt(...)`) remove overlapping text, a comma: alone, each would wait a
/// pass for the other. Their removals become one set of edits, shared and the same in each
/// fix ([`Edit::shared`]), so one pass makes them; each fix keeps its other edits (where an
/// imported name goes, the comment saying what was removed). An import statement left with
/// no name goes with its lines, and the statements the fixes add after it take its place.
/// Fixes whose other edits would overlap the merged removal keep their own.
fn merge_taken_items(text: &str, doc: &PyDocument, cells: &[TextRange], out: &mut [Candidate]) {
    let mut by_list: BTreeMap<TextRange, Vec<usize>> = BTreeMap::new();
    for (i, c) in out.iter().enumerate() {
        if let Some(taken) = c.fix.takes {
            by_list.entry(taken.list).or_default().push(i);
        }
    }
    for (list, members) in by_list {
        let fixes: Vec<&Fix> = members.iter().map(|&i| &out[i].fix).collect();
        if let Some(merged) = merged_edits(text, doc, cells, list, &fixes) {
            for (&i, edits) in members.iter().zip(merged) {
                out[i].fix.edits = edits;
            }
        }
    }
}

/// The edits of `fixes`, each taking an item out of `list`, with their removals made one
/// shared set ([`merge_taken_items`]); `None` where fewer than two items go or a fix's other
/// edits would overlap that set.
fn merged_edits(
    text: &str,
    doc: &PyDocument,
    cells: &[TextRange],
    list: TextRange,
    fixes: &[&Fix],
) -> Option<Vec<Vec<Edit>>> {
    let mut taken: Vec<TextRange> = fixes
        .iter()
        .filter_map(|f| f.takes.map(|t| t.item))
        .collect();
    taken.sort_by_key(|r| (r.start(), r.end()));
    taken.dedup();
    if taken.len() < 2 {
        return None;
    }
    let removal: Vec<Edit> = python_text::remove_items(text, doc, list, &taken)?
        .into_iter()
        .map(|e| Edit { shared: true, ..e })
        .collect();
    // A fix's own removal: the deletions inside the list.
    let own = |e: &Edit| {
        e.content.is_empty() && list.start() <= e.range.start() && e.range.end() <= list.end()
    };
    // With every name gone a statement's lines go. A statement a fix adds on the line after
    // it (`\nfrom <module> import <name>`) is then the line after them, unless that line
    // break ends a notebook's cell (the line after is the next cell's) or the file: there,
    // such a statement would open with a blank line, and the fixes go one at a time.
    let single = match removal.as_slice() {
        [one] => Some(one.range),
        _ => None,
    };
    let in_a_cell =
        |at: usize| cells.is_empty() || cells.iter().any(|c| c.start() <= at && at < c.end());
    let lines = single.filter(|w| w.end() > list.end() && in_a_cell(w.end() - 1));
    let moved_after = |e: Edit| match lines {
        Some(lines)
            if e.range.is_empty()
                && e.range.start() + 1 == lines.end()
                && text.as_bytes().get(e.range.start()) == Some(&b'\n')
                && e.content.starts_with('\n') =>
        {
            Edit::insert(lines.end(), format!("{}\n", &e.content[1..]))
        }
        _ => e,
    };
    let stuck_at = single
        .filter(|w| lines.is_none() && w.end() >= list.end())
        .map(|w| w.end());
    let mut index = KeptEdits::default();
    index.add(&removal);
    fixes
        .iter()
        .map(|fix| {
            if fix.edits.iter().filter(|e| own(e)).count() != 1 {
                return None;
            }
            let mut edits = removal.clone();
            for e in fix
                .edits
                .iter()
                .filter(|e| !own(e))
                .cloned()
                .map(moved_after)
            {
                if index.clashes(&e) || Some(e.range.start()) == stuck_at {
                    return None;
                }
                edits.push(e);
            }
            edits.sort_by_key(|e| (e.range.start, e.range.end));
            Some(edits)
        })
        .collect()
}

/// The text a file's fixes edit: its own, or for a notebook its joined code cells, which
/// the findings' ranges index (as `report.text` holds them).
fn rewritten_text<'a>(kind: SourceKind, text: &'a str, report: &'a FileReport) -> &'a str {
    match (kind, report.text.as_deref()) {
        (SourceKind::Notebook, Some(joined)) => joined,
        _ => text,
    }
}

/// Keep fixes whose edits overlap no fix kept before them, in source order.
fn non_overlapping(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by_key(|c| c.fix.edits.first().map(|e| (e.range.start, e.range.end)));
    let mut kept: Vec<Candidate> = Vec::new();
    let mut index = KeptEdits::default();
    for c in candidates {
        if !c.fix.edits.iter().any(|b| index.clashes(b)) {
            index.add(&c.fix.edits);
            kept.push(c);
        }
    }
    kept
}

/// The edits of the fixes [`non_overlapping`] kept so far, indexed so that asking whether
/// an edit [`clash`]es with one of them looks only near it: compared with every kept edit,
/// a file of N fixes cost N² comparisons (#13).
#[derive(Default)]
struct KeptEdits {
    /// Edits that replace or delete text, by (start, end), with their text and whether fixes
    /// share them; `longest` is the longest's length, so the ones overlapping a range start at
    /// most that far before it.
    solid: BTreeMap<(u32, u32), Vec<(String, bool)>>,
    longest: u32,
    /// Insertions, by offset: their text, and whether fixes share it.
    inserts: BTreeMap<u32, Vec<(String, bool)>>,
}

impl KeptEdits {
    /// Whether `b` clashes with a kept edit ([`clash`] against each of them).
    fn clashes(&self, b: &Edit) -> bool {
        let (start, end) = (b.range.start, b.range.end);
        let same_shared = |key: (u32, u32), texts: &[(String, bool)]| {
            key == (start, end)
                && b.shared
                && texts
                    .iter()
                    .all(|(text, shared)| *shared && *text == b.content)
        };
        let solid = self
            .solid
            .range((start.saturating_sub(self.longest), 0)..(end, 0))
            .any(|(&(s, e), texts)| e > start && !same_shared((s, e), texts));
        solid
            || if start == end {
                self.inserts.get(&start).is_some_and(|texts| {
                    texts
                        .iter()
                        .any(|(text, shared)| *text == b.content && !(*shared && b.shared))
                })
            } else {
                self.inserts.range(start + 1..end).next().is_some()
            }
    }

    fn add(&mut self, edits: &[Edit]) {
        for a in edits {
            let (start, end) = (a.range.start, a.range.end);
            if start == end {
                self.inserts
                    .entry(start)
                    .or_default()
                    .push((a.content.clone(), a.shared));
            } else {
                self.solid
                    .entry((start, end))
                    .or_default()
                    .push((a.content.clone(), a.shared));
                self.longest = self.longest.max(end - start);
            }
        }
    }
}

/// A fix that changes another file must be the only one to change it, once: a second
/// fix of this file that would change the same file differently (two calls loading one
/// template under two names) is not applied, and says why. The first stays.
fn one_fix_per_other_file(
    chosen: Vec<Candidate>,
    done: &[OtherFile],
) -> (Vec<Candidate>, Vec<Failure>) {
    let claimed: Vec<&OtherFile> = done.iter().collect();
    let mut kept = Vec::new();
    let mut failures = Vec::new();
    let mut pending: Vec<OtherFile> = Vec::new();
    for c in chosen {
        let clash = c.fix.elsewhere.iter().find(|o| {
            claimed
                .iter()
                .copied()
                .chain(pending.iter())
                .any(|p| p.path == o.path && p.fixed != o.fixed)
        });
        if let Some(o) = clash {
            failures.push(Failure {
                rule: c.rule.clone(),
                reason: format!(
                    "{}: `{}` is already changed differently by another fix of this file; \
                     not applied",
                    c.fix.description, o.display
                ),
            });
            continue;
        }
        pending.extend(c.fix.elsewhere.iter().cloned());
        kept.push(c);
    }
    (kept, failures)
}

/// Two edits clash when their ranges overlap; two different insertions at one point do not
/// (several removed keywords of one call each add their comment above the statement, in
/// source order), but the same insertion twice does. The same shared edit twice does not
/// (one import that several fixes need, made once).
#[cfg(test)]
fn clash(a: &Edit, b: &Edit) -> bool {
    if a.shared && a == b {
        return false;
    }
    if a.range == b.range && a.range.is_empty() {
        return a.content == b.content;
    }
    overlaps(a.range, b.range)
}

/// Ranges overlap when they share a byte, or one inserts strictly inside the other.
#[cfg(test)]
fn overlaps(a: TextRange, b: TextRange) -> bool {
    if a == b {
        return true;
    }
    a.start < b.end && b.start < a.end
}

type Applied = (
    Option<(String, Vec<validate::Problem>)>,
    Vec<Candidate>,
    Vec<Failure>,
);

/// Apply `chosen` with `apply`; if the result does not parse or adds a validation problem,
/// find the fixes that break it (each alone), drop them as failures, and apply the rest.
#[allow(clippy::too_many_arguments)]
fn apply_checked(
    kind: SourceKind,
    kinds: &dyn Fn(&str) -> Option<Vec<String>>,
    before: &[validate::Problem],
    chosen: Vec<Candidate>,
    apply: &dyn Fn(&[Edit]) -> Result<String, String>,
    check: &dyn Fn(&str) -> Result<Vec<validate::Problem>, String>,
    post: &dyn Fn(&str) -> Result<(), String>,
) -> Applied {
    // Operator resources before any fix: none may disappear, whatever a pack calls safe.
    let kinds_before = match kind {
        SourceKind::Yaml => apply(&[]).ok().and_then(|text| kinds(&text)),
        _ => None,
    };
    let attempt = |fixes: &[&Candidate]| -> Result<(String, Vec<validate::Problem>), String> {
        let edits = once_each(fixes.iter().flat_map(|c| &c.fix.edits));
        let new = apply(&edits)?;
        let after = check(&new)?;
        if let Some(p) = after.iter().find(|p| !before.contains(p)) {
            return Err(format!("the result is invalid: {p}"));
        }
        if let Some(lost) = kinds_before.as_ref().and_then(|before| {
            let after = kinds(&new).unwrap_or_default();
            lost_kind(before, &after)
        }) {
            return Err(format!(
                "the result is invalid: a {lost} is no longer a Dask Operator resource \
                 (its `apiVersion`, `kind` or document removed)"
            ));
        }
        post(&new)?;
        Ok((new, after))
    };
    let all: Vec<&Candidate> = chosen.iter().collect();
    let whole = match attempt(&all) {
        Ok(ok) => return (Some(ok), chosen, Vec::new()),
        Err(reason) => reason,
    };
    // One fix spoils the others: leave each out in turn, so fixes that only work together
    // (an import and the call that uses the new name) are kept together.
    if chosen.len() > 2 {
        for skip in 0..chosen.len() {
            let rest: Vec<&Candidate> = (0..chosen.len())
                .filter(|&i| i != skip)
                .map(|i| &chosen[i])
                .collect();
            if let Ok(ok) = attempt(&rest) {
                let reason = attempt(&[&chosen[skip]])
                    .err()
                    .unwrap_or_else(|| whole.clone());
                let mut kept = chosen;
                let culprit = kept.remove(skip);
                let failure = Failure {
                    reason: format!("{}: {reason}; rolled back", culprit.fix.description),
                    rule: culprit.rule,
                };
                return (Some(ok), kept, vec![failure]);
            }
        }
    }
    let mut good = Vec::new();
    let mut failures = Vec::new();
    for c in chosen {
        match attempt(&[&c]) {
            Ok(_) => good.push(c),
            Err(reason) => failures.push(Failure {
                rule: c.rule.clone(),
                reason: format!("{}: {reason}; rolled back", c.fix.description),
            }),
        }
    }
    let refs: Vec<&Candidate> = good.iter().collect();
    match attempt(&refs) {
        Ok(ok) => (Some(ok), good, failures),
        Err(_) => {
            // Each is fine alone but not together: take the first now, the rest next pass.
            good.truncate(1);
            let first: Vec<&Candidate> = good.iter().collect();
            match attempt(&first) {
                Ok(ok) => (Some(ok), good, failures),
                Err(_) => (None, Vec::new(), failures),
            }
        }
    }
}

/// The last postcondition, on the loop's end result: no name that was bound before fixing
/// is left unbound (`scope::unbound`). Otherwise go back to the last pass whose result
/// leaves none, and record each rule of the passes undone as failed, with the names.
fn keep_names_bound(
    outcome: &mut Outcome,
    history: &[Step],
    unbound_names: &dyn Fn(&str) -> Option<BTreeSet<String>>,
    lint: &dyn Fn(&str) -> FileReport,
) {
    let Some(before) = unbound_names(&outcome.original) else {
        return;
    };
    let new_names = |text: &str| -> Vec<String> {
        unbound_names(text).map_or_else(Vec::new, |after| {
            after.difference(&before).cloned().collect()
        })
    };
    let names = new_names(&outcome.fixed);
    if names.is_empty() {
        return;
    }
    let good = history
        .iter()
        .rposition(|step| new_names(&step.text).is_empty());
    let Step {
        text,
        applied,
        notes,
        elsewhere,
        fixes,
        migration,
    } = match good {
        Some(i) => history[i].clone(),
        None => Step {
            text: std::sync::Arc::from(outcome.original.as_str()),
            applied: BTreeMap::new(),
            notes: 0,
            elsewhere: 0,
            fixes: 0,
            migration: 0,
        },
    };
    for (rule, count) in &outcome.applied {
        if applied.get(rule) != Some(count) {
            outcome.failed.push(Failure {
                rule: rule.clone(),
                reason: format!(
                    "the fixes would leave `{}` unbound; rolled back",
                    names.join("`, `")
                ),
            });
        }
    }
    outcome.fixed = text.to_string();
    outcome.applied = applied;
    outcome.notes.truncate(notes);
    outcome.elsewhere.truncate(elsewhere);
    outcome.fixes.truncate(fixes);
    outcome.migration.truncate(migration);
    outcome.remaining = lint(&outcome.fixed);
}

/// The state after one pass of the fix loop, to go back to.
#[derive(Clone)]
struct Step {
    text: std::sync::Arc<str>,
    applied: BTreeMap<String, usize>,
    /// How many notes, other files, applied fixes and migration reports the fixes had by
    /// then (all only grow).
    notes: usize,
    elsewhere: usize,
    fixes: usize,
    migration: usize,
}

/// How many findings of each rule a report has.
fn rule_counts(report: &FileReport) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in &report.findings {
        *counts.entry(f.rule.clone()).or_default() += 1;
    }
    counts
}

/// The names a Python file or notebook uses without binding them (`scope::unbound`); `None`
/// for other files and for text that does not parse.
fn unbound_names(kind: SourceKind, text: &str) -> Option<BTreeSet<String>> {
    let notebook;
    let python = match kind {
        SourceKind::Python => text,
        SourceKind::Notebook => {
            notebook = crate::source::notebook::parse(text).ok()?;
            notebook.python.as_str()
        }
        _ => return None,
    };
    let doc = python::parse(python)?;
    Some(scope::unbound(python, &doc))
}

/// A kind `before` has more of than `after` (both sorted), if any.
fn lost_kind(before: &[String], after: &[String]) -> Option<String> {
    before
        .iter()
        .find(|k| {
            before.iter().filter(|b| b == k).count() > after.iter().filter(|a| a == k).count()
        })
        .cloned()
}

/// Parse `text` for rewriters (a fix loop checks each text it makes, then hands it to the
/// rewriters: one parse of it).
fn parse(kind: SourceKind, text: &str, limits: yaml::Limits) -> Option<Parsed> {
    match kind {
        SourceKind::Yaml => yaml::parse_shared(text, limits).ok().map(Parsed::Yaml),
        SourceKind::Python | SourceKind::Notebook => python::parse(text).map(Parsed::Python),
        // No rewriter edits Dockerfiles; their findings are left for a person.
        SourceKind::Dockerfile => None,
    }
}

/// Whether a whole file text parses, and the validation problems of its operator
/// resources. `Err` says why it does not parse.
pub fn check(
    kind: SourceKind,
    text: &str,
    limits: yaml::Limits,
) -> Result<Vec<validate::Problem>, String> {
    match kind {
        SourceKind::Yaml => {
            let file = yaml::parse_shared(text, limits)
                .map_err(|e| format!("invalid YAML: {}", e.message))?;
            Ok(validate::yaml_file(&file, text))
        }
        SourceKind::Python => python_syntax(text).map(|()| Vec::new()),
        SourceKind::Notebook => {
            let nb = crate::source::notebook::parse(text)
                .map_err(|e| format!("invalid notebook: {}", e.message))?;
            python_syntax(&nb.python)?;
            // A cell that does not parse is skipped, not a reason to fix nothing; a fix that
            // breaks a cell adds a problem, so it is rolled back.
            Ok(nb
                .broken
                .iter()
                .map(|(cell, _, message)| validate::Problem {
                    level: validate::Level::Error,
                    kind: "notebook cell".into(),
                    name: Some(cell.to_string()),
                    path: "source".into(),
                    message: message.clone(),
                })
                .collect())
        }
        SourceKind::Dockerfile => crate::source::dockerfile::parse(text)
            .map(|_| Vec::new())
            .map_err(|e| format!("invalid Dockerfile: {}", e.message)),
    }
}

fn python_syntax(text: &str) -> Result<(), String> {
    let doc = python::parse(text).ok_or("the Python parser gave up on this file")?;
    match python::syntax_errors(&doc, 1).into_iter().next() {
        Some((_, message)) => Err(format!("invalid Python: {message}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_report_replaces_the_earlier_reports_of_its_migration_only() {
        let r = |from: serde_json::Value, cluster: &str, n: u8| serde_json::json!({"from": from, "cluster": cluster, "n": n});
        // One report at a time, as each fix of a pass adds its reports.
        let one_by_one = |mut existing: Vec<serde_json::Value>, reports: &[serde_json::Value]| {
            for report in reports {
                existing.retain(|e| {
                    e.get("from") != report.get("from") || e.get("cluster") != report.get("cluster")
                });
                existing.push(report.clone());
            }
            existing
        };
        let existing = vec![
            r("cell 1".into(), "a", 1),
            r("cell 2".into(), "b", 2),
            r("cell 1".into(), "b", 3),
            serde_json::json!({"cluster": "a", "n": 4}),
        ];
        let cases = [
            vec![r("cell 2".into(), "b", 5), r("cell 3".into(), "c", 6)],
            // Twice in one pass: the later one stays, after the other new ones.
            vec![
                r("cell 1".into(), "a", 7),
                r("cell 4".into(), "d", 8),
                r("cell 1".into(), "a", 9),
            ],
            vec![serde_json::json!({"cluster": "a", "n": 10})],
            // A key that is not a string is compared as a value.
            vec![
                r(serde_json::json!(1), "a", 11),
                r(serde_json::json!(1), "a", 12),
            ],
            vec![],
        ];
        for reports in cases {
            let mut merged = existing.clone();
            merge_reports(&mut merged, reports.clone());
            assert_eq!(
                merged,
                one_by_one(existing.clone(), &reports),
                "{reports:?}"
            );
        }
        let mut merged = existing.clone();
        merge_reports(&mut merged, vec![r("cell 2".into(), "b", 5)]);
        let ns: Vec<_> = merged.iter().map(|m| m["n"].as_u64().unwrap()).collect();
        assert_eq!(ns, [1, 3, 4, 5]);
    }

    #[test]
    fn kept_edits_clash_as_comparing_with_every_kept_edit_does() {
        // Every edit of ranges within 0..8, with two texts, kept in a few orders.
        let mut all = Vec::new();
        for start in 0..8u32 {
            for end in start..8u32 {
                for text in ["a", "b"] {
                    all.push(Edit::replace(
                        TextRange::new(start as usize, end as usize),
                        text,
                    ));
                    all.push(Edit {
                        shared: true,
                        ..Edit::replace(TextRange::new(start as usize, end as usize), text)
                    });
                }
            }
        }
        let (mut clashing, mut free) = (0, 0);
        for step in [1, 3, 7, 11] {
            let mut index = KeptEdits::default();
            let mut kept: Vec<Edit> = Vec::new();
            for (i, b) in all.iter().enumerate() {
                let by_index = index.clashes(b);
                assert_eq!(
                    by_index,
                    kept.iter().any(|a| clash(a, b)),
                    "{b:?} against {kept:?}"
                );
                if by_index {
                    clashing += 1;
                } else {
                    free += 1;
                }
                if i % step == 0 && !by_index {
                    index.add(std::slice::from_ref(b));
                    kept.push(b.clone());
                }
            }
        }
        assert!(clashing > 0 && free > 0);
    }

    #[test]
    fn a_verdict_is_computed_once_per_memo_and_question() {
        let memo = Memo::default();
        let calls = std::cell::Cell::new(0);
        let ask = || {
            memo.verdict("blocked", || {
                calls.set(calls.get() + 1);
                Some((7usize, "why".to_owned()))
            })
        };
        assert_eq!(ask(), Some((7, "why".to_owned())));
        assert_eq!(ask(), Some((7, "why".to_owned())));
        assert_eq!(calls.get(), 1);
        // Another question is its own; an answer of another type is not reused.
        assert!(!memo.verdict("pending", || false));
        assert_eq!(memo.verdict("blocked", || 3u8), 3);
        assert!(!Memo::default().verdict("pending", || false));
    }

    #[test]
    fn memo_lines_agree_with_counting_newlines() {
        let text = "a\n\nbc\nd";
        let memo = Memo::default();
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                format!("line {}", memo.line(text, offset)),
                line_of(text, offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn an_offset_after_a_pass_is_found_in_the_text_before_it() {
        // "abcdef" → "aXYZdef": `bc` (1..3) replaced by `XYZ`; an insertion of `!` at 5.
        let edits = PassEdits::new(vec![(TextRange::new(1, 3), 3), (TextRange::new(5, 5), 1)]);
        let before = "abcdef";
        let after = apply_edits(
            before,
            &[
                Edit::replace(TextRange::new(1, 3), "XYZ"),
                Edit::insert(5, "!"),
            ],
        )
        .unwrap();
        assert_eq!(after, "aXYZde!f");
        // Untouched text maps to itself; text an edit wrote maps to where the edit starts.
        for (offset, want) in [
            (0, 0),
            (1, 1),
            (2, 1),
            (3, 1),
            (4, 3),
            (5, 4),
            (6, 5),
            (7, 5),
        ] {
            assert_eq!(
                before_pass(offset, &edits),
                want,
                "offset {offset} of {after:?}"
            );
        }
        assert_eq!(before_pass(3, &PassEdits::new(Vec::new())), 3);
    }

    proptest::proptest! {
        #[test]
        fn offsets_are_mapped_by_bisection_as_by_a_scan(
            parts in proptest::collection::vec((0usize..4, 0usize..4, 0usize..4), 0..12),
            offsets in proptest::collection::vec(0usize..80, 1..20),
        ) {
            // Sorted edits apart from each other (insertions may share an offset).
            let mut at = 0;
            let mut edits = Vec::new();
            for (gap, removed, len) in parts {
                at += gap;
                edits.push((TextRange::new(at, at + removed), len));
                at += removed;
            }
            let indexed = PassEdits::new(edits.clone());
            proptest::prop_assert!(indexed.new_starts.is_some());
            for offset in offsets {
                proptest::prop_assert_eq!(
                    before_pass(offset, &indexed),
                    before_pass_scan(offset, &edits),
                    "offset {} of {:?}", offset, edits
                );
            }
        }
    }

    #[test]
    fn rewriter_names_are_unique() {
        let mut names: Vec<&str> = REWRITERS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REWRITERS.len());
    }

    #[test]
    fn a_checked_yaml_text_gives_its_kinds_and_its_tree_to_the_rewriters() {
        let limits = yaml::Limits::default();
        let text = "apiVersion: kubernetes.dask.org/v1\nkind: DaskCluster\nmetadata:\n  name: a\n\
                    spec: {}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n";
        // It parses (its DaskCluster's problems are the validator's business).
        assert!(check(SourceKind::Yaml, text, limits).is_ok());
        let shared = yaml::parse_shared(text, limits).unwrap();
        assert_eq!(
            validate::resource_kinds(text, limits),
            Some(vec!["DaskCluster".to_owned()])
        );
        // The rewriters get the tree the check made, not a parse of their own; another text
        // is parsed as usual.
        let fresh = yaml::parse(text, limits).unwrap();
        let other = parse(SourceKind::Yaml, "a: 1\n", limits);
        let Some(Parsed::Yaml(other)) = &other else {
            panic!("parses")
        };
        assert_eq!(other.documents.len(), 1);
        let kept = parse(SourceKind::Yaml, text, limits);
        let Some(Parsed::Yaml(kept)) = &kept else {
            panic!("parses")
        };
        assert_eq!(
            format!("{:?}", kept.documents),
            format!("{:?}", fresh.documents)
        );
        assert!(
            std::rc::Rc::ptr_eq(kept, &shared),
            "shared, not parsed again"
        );
        // Not YAML: an error, and no kinds.
        let broken = "a: [1\n";
        assert!(check(SourceKind::Yaml, broken, limits).is_err());
        assert_eq!(validate::resource_kinds(broken, limits), None);
    }

    #[test]
    fn the_caches_of_a_file_share_one_copy_of_each_text() {
        let cache = FixCache::default();
        let text = "kind: Pod\n".repeat(1000);
        let same = text.clone();
        let _ = cache.checks.memo(&cache.texts, &text, || Ok(Vec::new()));
        cache.kinds.insert(&cache.texts, &same, None);
        cache.unbound.memo(&cache.texts, "other", || None);
        let checked = cache.checks.0.lock().unwrap()[0].0.clone();
        let kinds = cache.kinds.0.lock().unwrap()[0].0.clone();
        assert!(std::sync::Arc::ptr_eq(&checked, &kinds));
        assert_eq!(&*checked, text.as_str());
        assert_eq!(cache.texts.0.lock().unwrap().len(), 2);
        assert_eq!(cache.checks.get(&same), Some(Ok(Vec::new())));
    }

    #[test]
    fn fixes_sharing_an_insertion_are_kept_together_and_make_it_once() {
        let import = "from dask_kubernetes.operator import make_cluster_spec\n";
        let fix = |at: usize, call: &str, shared: bool| Candidate {
            rule: "make-pod-spec-call".into(),
            range: TextRange::new(at, at + 3),
            fix: Fix::new(
                vec![
                    Edit::replace(TextRange::new(at, at + 3), call),
                    if shared {
                        Edit::insert_shared(0, import)
                    } else {
                        Edit::insert(0, import)
                    },
                ],
                Applicability::Unsafe,
                "build a DaskCluster with `make_cluster_spec`",
            ),
        };
        let text = "a = mps()\nb = mps()\n";
        let edits = |kept: &[Candidate]| once_each(kept.iter().flat_map(|c| &c.fix.edits));
        let kept = non_overlapping(vec![fix(4, "mcs", true), fix(14, "mcs", true)]);
        assert_eq!(kept.len(), 2);
        assert_eq!(
            apply_edits(text, &edits(&kept)).unwrap(),
            format!("{import}a = mcs()\nb = mcs()\n")
        );
        // Either fix alone still makes the import.
        for one in &kept {
            let alone = apply_edits(text, &edits(std::slice::from_ref(one))).unwrap();
            assert!(alone.starts_with(import), "{alone}");
        }
        // The same insertion, not shared, is a clash: the second fix waits a pass.
        assert_eq!(
            non_overlapping(vec![fix(4, "mcs", false), fix(14, "mcs", false)]).len(),
            1
        );
        assert_eq!(
            non_overlapping(vec![fix(4, "mcs", true), fix(14, "mcs", false)]).len(),
            1
        );
    }

    #[test]
    fn ranges_overlap_when_they_share_bytes_or_insert_inside() {
        let r = TextRange::new;
        assert!(overlaps(r(0, 4), r(2, 6)));
        assert!(overlaps(r(0, 4), r(2, 2)));
        assert!(overlaps(r(3, 3), r(3, 3)));
        assert!(!overlaps(r(0, 4), r(4, 6)));
        assert!(!overlaps(r(4, 4), r(4, 6)));
    }
}
