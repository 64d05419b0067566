//! `pkgfed man [--dir DIR]`: the manual pages, rendered from the clap definition (so
//! options and subcommands match the binary). Without `--dir` the main page `pkgfed(1)`
//! goes to stdout; with it, `pkgfed.1` and one page per subcommand (`pkgfed-serve.1`,
//! `pkgfed-config-check.1`, …) are written there for packagers.
//!
//! The main page adds what clap does not know: ENVIRONMENT, FILES, SIGNALS and EXIT
//! STATUS.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use super::Cli;

/// Prints `pkgfed.1` to stdout, or writes every page into `dir` (created if missing).
pub fn run(dir: Option<&Path>) -> anyhow::Result<()> {
    // No `help` subcommand page: `--help` is documented on every page instead.
    let cmd = Cli::command().disable_help_subcommand(true);
    match dir {
        None => {
            let mut out = std::io::stdout().lock();
            render_main(&Man::new(cmd), &mut out)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create the man page directory {}", dir.display())
            })?;
            let written = || format!("cannot write man pages into {}", dir.display());
            clap_mangen::generate_to(cmd.clone(), dir).with_context(written)?;
            // Replace clap's plain main page with the one carrying the extra sections.
            let man = Man::new(cmd);
            let mut file =
                std::fs::File::create(dir.join(man.get_filename())).with_context(written)?;
            render_main(&man, &mut file).with_context(written)?;
            eprintln!("man pages written to {}", dir.display());
        }
    }
    Ok(())
}

fn render_main(man: &Man, out: &mut dyn Write) -> std::io::Result<()> {
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    let mut roff = Roff::new();
    section(
        &mut roff,
        "ENVIRONMENT",
        &[
            (
                "PKGFED_SECTION_KEY",
                "overrides the configuration key section.key, e.g. PKGFED_SERVER_BASE_URL for server.base_url; an unknown PKGFED_ variable is an error.",
            ),
            ("PKGFED_CONFIG", "the configuration file, as --config."),
            (
                "PKGFED_LOG",
                "the log filter (default info, e.g. pkgfed=debug). Logs go to stderr.",
            ),
        ],
    );
    section(
        &mut roff,
        "FILES",
        &[
            (
                "./pkgfed.toml",
                "read when neither --config nor PKGFED_CONFIG is given and it exists.",
            ),
            (
                "sqlite://pkgfed.db",
                "the default database (storage.database_url), relative to the working directory.",
            ),
        ],
    );
    section(
        &mut roff,
        "SIGNALS",
        &[
            (
                "SIGTERM, SIGINT",
                "pkgfed serve stops accepting connections, lets in-flight requests finish for at most server.shutdown_grace_seconds (default 10), then exits 0.",
            ),
            (
                "SIGHUP",
                "not handled: there is no configuration reload; restart the process to apply changes.",
            ),
        ],
    );
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(
        "0 on success; 1 on any error (the message on stderr names the key or input to fix); 2 on a command line error.",
    )]);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "docs/configuration.md (every key) and docs/deploy.md (systemd, NixOS, container, Kubernetes) in the pkgfed sources.",
    )]);
    roff.to_writer(out)?;
    man.render_version_section(out)
}

fn section(roff: &mut Roff, title: &str, items: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (name, text) in items {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*text)]);
    }
}
