//! The `dusk` binary: parse arguments, run, map the outcome to an exit code. Nothing else.

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Errors are not wrapped: a wrapped help breaks `--target dask-kubernetes=…` at its hyphen,
    // and what it suggests must be copyable as printed.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
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
