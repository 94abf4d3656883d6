//! Front-ends: documents → [`model::Construct`]s, one module per input kind.

pub mod command;
pub mod model;
pub mod python;
pub mod yaml;
