//! Rules: packs as data (`pack`), compiled and indexed (`compile`), matched against
//! constructs (`matcher`), graded by version window (`version`), and silenced by comments
//! (`suppress`). For pack maintainers: `policy` checks packs, `harness` runs rule tests,
//! `docs` and `timeline` describe them.

pub mod compile;
pub mod docs;
pub mod harness;
pub mod matcher;
pub mod pack;
pub mod policy;
pub mod suppress;
pub mod timeline;
pub mod trigger;
pub mod version;

pub use compile::{LoadError, Rule, RuleSet};
pub use version::{Status, Version, Window};

use std::collections::BTreeMap;

/// The version each component is graded at.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Versions the user asked for, per component.
    pub explicit: BTreeMap<String, Version>,
}

impl Targets {
    /// The version `rule` is graded at: the user's target for its component, else the
    /// newest release the packs know, else the rule's own removal (so a rule of a component
    /// with no known releases is graded as of its end state).
    pub fn for_rule<'a>(&'a self, set: &'a RuleSet, rule: &'a Rule) -> Option<&'a Version> {
        self.explicit
            .get(&rule.component)
            .or_else(|| set.default_target(&rule.component))
            .or(rule.window.removed_in.as_ref())
            .or(rule.window.deprecated_in.as_ref())
    }
}

/// Ids of the findings dusk makes itself, not from a pack. They can be selected and ignored
/// like pack rules.
pub mod builtin_ids {
    /// A file that is not valid YAML, Python or notebook JSON.
    pub const SYNTAX_ERROR: &str = "syntax-error";
    /// A file that could not be read: unreadable, not UTF-8, too large, a broken link.
    pub const INPUT_ERROR: &str = "input-error";
    /// A `# dusk: ignore` comment that silenced nothing.
    pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
    pub const ALL: &[(&str, &str)] = &[
        (SYNTAX_ERROR, "a file dusk should read does not parse"),
        (INPUT_ERROR, "a file dusk should read cannot be read"),
        (
            UNUSED_SUPPRESSION,
            "a `# dusk: ignore` comment silences nothing",
        ),
    ];
}
