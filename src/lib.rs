//! dusk finds the classic ways of running Dask on Kubernetes, grades them against rule packs
//! whose deprecation windows are CalVer versions, and rewrites them into Dask Operator
//! resources and operator-API code.
//!
//! The pipeline, in module order:
//! 1. [`discover`]: paths → source files, classified, prefiltered by trigger literals;
//! 2. [`source`]: text → spanned documents (YAML, Python, notebooks);
//! 3. [`extract`]: documents → constructs (typed, spanned facts), and the one model of a
//!    classic cluster ([`extract::classic`]) that [`migrate::build`] turns into operator
//!    resources;
//! 4. [`rules`]: constructs → findings, graded by each rule's window at the target version;
//! 5. [`report`]: findings → text, JSON, SARIF, GitHub annotations or JUnit.
//!
//! [`lint`] runs stages 2–4 for one file; [`cli`] wires the stages to the command line.

pub mod cli;
pub mod cluster;
pub mod dask;
pub mod diff;
pub mod discover;
pub mod extract;
pub mod lint;
pub mod migrate;
pub mod project;
pub mod report;
pub mod rules;
pub mod source;
pub mod write;
