//! `pkgfed completions <shell>`: shell completion scripts, generated from the same
//! clap definition the binary parses with, so they never drift from the real flags.
//! Packages install them (the Nix flake through `installShellFiles`).

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Writes the completion script for `shell` to stdout.
pub fn print(shell: Shell) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "pkgfed", &mut out);
    out.flush()?;
    Ok(())
}
