//! Front-ends: documents → [`model::Construct`]s, one module per input kind.

pub mod argo;
pub mod classic;
pub mod command;
pub mod dask_config;
pub mod dockerfile;
pub mod helm_values;
pub mod manifest;
pub mod model;
pub mod pod_template;
pub mod python;
pub mod yaml;
