//! `--format junit`: JUnit XML. (Being written.)

use super::{FileReport, Summary};

pub fn render(
    _reports: &[FileReport],
    _summary: &Summary,
    _out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    Ok(())
}
