//! `--format sarif`: SARIF 2.1.0. (Being written.)

use super::FileReport;

pub fn render(_reports: &[FileReport], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(out, "{{}}")
}
