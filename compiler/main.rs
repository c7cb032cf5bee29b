//! The `schemac` binary: parse the command line and hand over to the CLI.

use clap::Parser;

/// The compiler builds large trees of small strings and drops them at exit;
/// mimalloc serves that pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = schemac::cli::Cli::parse();
    // Deeply nested (but accepted) schemas recurse; give the compiler room.
    let worker = std::thread::Builder::new().stack_size(64 * 1024 * 1024).spawn(move || schemac::cli::run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: schemac stopped unexpectedly; please report this with the input that caused it");
            std::process::ExitCode::from(2)
        }
    }
}
