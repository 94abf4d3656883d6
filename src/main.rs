//! The `dusk` binary: parse arguments, run, map the outcome to an exit code. Nothing else.

use clap::Parser;

fn main() {
    let cli = dusk::cli::args::Cli::parse();
    let code = match dusk::cli::run(cli) {
        Ok(status) => status.code(),
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            dusk::cli::ExitStatus::Error.code()
        }
    };
    std::process::exit(code);
}
