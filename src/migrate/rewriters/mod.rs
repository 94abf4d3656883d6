//! The named rewriters, one file each. Each file opens with what it rewrites, its output,
//! its fix safety and what it does not handle; each exposes one `rewrite(&Context) ->
//! Result<Fix, Declined>` (a fix, or why not, in words a user can act on), registered in `migrate::rewriter`.

pub mod add_worker_name;
pub mod argo_to_daskcluster;
pub mod dask_config;
pub mod hand_rolled_to_daskcluster;
pub mod helm_values_to_daskcluster;
pub mod pod_template_to_daskcluster;
pub mod python_classic_cluster;
pub mod python_import_operator;
pub mod python_make_pod_spec;
pub mod python_remove_keyword;
pub mod python_string_reference;
pub mod quote_quantity;
pub mod remove_field;
pub mod rename_service_ports;
pub mod replace_command;
pub mod replace_flag;
pub(crate) mod stack_scope;
