//! YAML front-ends: classify each document and extract its constructs. (Being written.)

use super::model::Construct;
use crate::source::yaml::YamlFile;
use std::path::Path;

/// What the YAML front-ends may know about a file besides its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct YamlContext {
    /// A `Chart.yaml` sits in the same directory (so `values*.yaml` are Helm values).
    pub beside_chart: bool,
}

/// Every construct of every document of a YAML file.
pub fn constructs<'a>(
    _path: &Path,
    _text: &'a str,
    _file: &'a YamlFile,
    _cx: YamlContext,
) -> Vec<Construct<'a>> {
    Vec::new()
}
