//! dusk's integration tests, as ONE test binary (`cargo test --test it`): each module was a
//! tests/*.rs file of its own, linked against the whole crate; one binary links it once.
//! A new test file goes here as `tests/it/NAME.rs` with a `mod NAME;` line below; its
//! snapshots are `tests/it/snapshots/it__NAME__*.snap`. Run one module with
//! `cargo test --test it NAME::` (scripts/one-test-binary.sh made this layout).

mod adoption;
mod argo_migration;
mod bad_input;
mod baseline;
mod chart_migration;
mod cli;
mod cluster;
mod contract;
mod corpus;
mod counts;
mod fix;
mod fix_json;
mod fix_support;
mod frontend_dockerfile;
mod frontend_python;
mod frontend_yaml;
mod notebook_cells;
mod oracle;
mod prefilter;
mod readme;
mod report;
mod rewriters;
mod rules;
mod run;
mod safe_fixes;
mod scale;
mod scheduler_in_code;
mod scheduler_template;
mod selection;
mod split_stack;
mod stack_layouts;
mod support;
mod template_loaders;
mod toolkit;
