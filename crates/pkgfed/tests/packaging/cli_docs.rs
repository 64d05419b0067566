//! `pkgfed completions` and `pkgfed man`: what packages install must be real,
//! loadable files that describe the actual command line.

use std::process::Command;

use super::tools::{both, pkgfed, require, run};

fn generate(args: &[&str]) -> String {
    let out = run(Command::new(pkgfed()).args(args).env_clear());
    assert!(out.status.success(), "{}", both(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completion_loads_and_completes_subcommands_and_flags() {
    let Some(bash) = require("bash", "apt-get install bash") else {
        return;
    };
    let script = generate(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pkgfed.bash");
    std::fs::write(&file, &script).unwrap();
    // Load it into a real bash and ask it what `pkgfed se<TAB>` and
    // `pkgfed packages add --<TAB>` complete to.
    let probe = format!(
        r#"source {file}
complete -p pkgfed
COMP_WORDS=(pkgfed se); COMP_CWORD=1; COMP_LINE="pkgfed se"; COMP_POINT=${{#COMP_LINE}}
_pkgfed pkgfed se pkgfed; echo "subcommands: ${{COMPREPLY[*]}}"
COMP_WORDS=(pkgfed packages add --); COMP_CWORD=3; COMP_LINE="pkgfed packages add --"; COMP_POINT=${{#COMP_LINE}}
_pkgfed pkgfed -- add; echo "flags: ${{COMPREPLY[*]}}""#,
        file = file.display()
    );
    let out = run(Command::new(bash).args(["--norc", "--noprofile", "-c", &probe]));
    assert!(out.status.success(), "{}", both(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-F _pkgfed pkgfed"), "{text}");
    let subcommands = text
        .lines()
        .find(|l| l.starts_with("subcommands:"))
        .unwrap();
    assert!(
        subcommands.split_whitespace().any(|w| w == "serve"),
        "{text}"
    );
    let flags = text.lines().find(|l| l.starts_with("flags:")).unwrap();
    for flag in ["--description", "--homepage", "--license"] {
        assert!(
            flags.split_whitespace().any(|w| w == flag),
            "{flag}: {text}"
        );
    }
}

#[test]
fn every_shell_gets_a_completion_script_naming_the_commands() {
    for (shell, marker) in [
        ("bash", "_pkgfed()"),
        ("zsh", "#compdef pkgfed"),
        ("fish", "complete -c pkgfed"),
        ("elvish", "edit:completion:arg-completer[pkgfed]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = generate(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for sub in ["serve", "healthcheck", "packages"] {
            assert!(script.contains(sub), "{shell}: no `{sub}`");
        }
    }
}

#[test]
fn completions_need_no_configuration_and_reject_unknown_shells() {
    // A packager's build sandbox has no configuration; a stray invalid one must not
    // matter either.
    let out = run(Command::new(pkgfed())
        .args(["completions", "bash"])
        .env_clear()
        .env("PKGFED_NO_SUCH_KEY", "x")
        .env("PKGFED_CONFIG", "/nonexistent/pkgfed.toml"));
    assert!(out.status.success(), "{}", both(&out));
    let out = run(Command::new(pkgfed())
        .args(["completions", "tcsh"])
        .env_clear());
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
}

#[test]
fn man_page_renders_with_man_and_has_the_sections() {
    let page = generate(&["man"]);
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH SIGNALS",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(page.contains(section), "no {section} in:\n{page}");
    }
    let Some(man) = require("man", "apt-get install man-db") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pkgfed.1");
    std::fs::write(&file, &page).unwrap();
    let out = run(Command::new(man)
        .arg("-l")
        .arg(&file)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat"));
    assert!(out.status.success(), "{}", both(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "NAME",
        "pkgfed-serve(1)",
        "PKGFED_SECTION_KEY",
        "SIGTERM",
        "--config",
    ] {
        assert!(text.contains(want), "rendered page lacks {want}:\n{text}");
    }
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        both(&out)
    );
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("man1");
    let out = run(Command::new(pkgfed())
        .args(["man", "--dir"])
        .arg(&target)
        .env_clear());
    assert!(out.status.success(), "{}", both(&out));
    for page in [
        "pkgfed.1",
        "pkgfed-serve.1",
        "pkgfed-config-check.1",
        "pkgfed-packages-add.1",
        "pkgfed-admin-events.1",
        "pkgfed-healthcheck.1",
    ] {
        let text =
            std::fs::read_to_string(target.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".SH NAME"), "{page}");
    }
    // The main page in the directory is the full one, not clap's plain one.
    let main = std::fs::read_to_string(target.join("pkgfed.1")).unwrap();
    assert!(main.contains(".SH ENVIRONMENT"));
    assert!(!target.join("pkgfed-help.1").exists());
}
