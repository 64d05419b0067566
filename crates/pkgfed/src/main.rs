//! The `pkgfed` binary: parse arguments, run. Logging is set up by the command,
//! once the configuration (`log.format`) is known.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = pkgfed::cli::Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(pkgfed::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
