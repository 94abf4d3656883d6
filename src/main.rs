//! The `dusk` binary: parse arguments, run, map the outcome to an exit code. Nothing else.

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// tree-sitter's C code allocates with libc's `malloc` unless told otherwise; parsing is a
/// fifth of a run, and its many small allocations cost less in the allocator Rust code uses.
mod parser_allocator {
    use core::ffi::c_void;
    use libmimalloc_sys as mi;

    /// tree-sitter requires non-null results for non-zero sizes: out of memory ends the
    /// process, as tree-sitter's own default allocator does, and as Rust's allocations do.
    fn non_null(p: *mut c_void, size: usize) -> *mut c_void {
        if p.is_null() && size != 0 {
            let layout = std::alloc::Layout::array::<u8>(size)
                .unwrap_or_else(|_| std::alloc::Layout::new::<u8>());
            std::alloc::handle_alloc_error(layout);
        }
        p
    }
    unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
        non_null(unsafe { mi::mi_malloc(size) }, size)
    }
    unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
        non_null(unsafe { mi::mi_calloc(n, size) }, n.saturating_mul(size))
    }
    unsafe extern "C" fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
        non_null(unsafe { mi::mi_realloc(p, size) }, size)
    }
    unsafe extern "C" fn free(p: *mut c_void) {
        unsafe { mi::mi_free(p) }
    }

    pub fn install() {
        // SAFETY: called first thing in `main`, on the only thread, before any tree-sitter
        // object exists; the four functions are one allocator family whose blocks have
        // libc `malloc`'s alignment.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc,
                calloc,
                realloc,
                free,
            }))
        };
    }
}

fn main() {
    parser_allocator::install();
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
