//! `--format github`: GitHub Actions workflow commands. (Being written.)

use super::FileReport;

pub fn render(_reports: &[FileReport], _out: &mut dyn std::io::Write) -> std::io::Result<()> {
    Ok(())
}
