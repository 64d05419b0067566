//! `flake.nix` and `nix/`: every Nix file parses, and the NixOS module, the package
//! and the flake's outputs are evaluated with `nix eval` — against the stand-in for
//! nixpkgs' `lib`/`pkgs` and the module system in `tests/packaging/nix/stand-in.nix`,
//! because no nixpkgs can be fetched here. The nixosTest (`nix/test.nix`) is written
//! and its shape checked, but not run (it needs nixpkgs and a VM).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use super::systemd::service_directives;
use super::tools::{assert_config_accepted, both, repo_root, require, run};

pub(super) const NIX: &str = "apt-get install nix-bin";

fn fixtures() -> PathBuf {
    repo_root().join("crates/pkgfed/tests/packaging/nix")
}

fn nix_command(tool: &Path) -> Command {
    let mut cmd = Command::new(tool);
    // Nix as installed by Debian expects a build group; evaluation builds nothing.
    cmd.env("NIX_CONFIG", "build-users-group =")
        .env_remove("NIX_PATH");
    cmd
}

/// `nix eval --json` of `expr` (may refer to `repo`, `fixtures`).
fn eval(nix: &Path, expr: &str) -> Output {
    let expr = expr
        .replace(
            "@repo@",
            &repo_root().canonicalize().unwrap().display().to_string(),
        )
        .replace(
            "@fixtures@",
            &fixtures().canonicalize().unwrap().display().to_string(),
        );
    run(nix_command(nix)
        .args(["--extra-experimental-features", "nix-command flakes"])
        .args(["eval", "--impure", "--json", "--expr", &expr]))
}

fn eval_ok(nix: &Path, expr: &str) -> Value {
    let out = eval(nix, expr);
    assert!(out.status.success(), "{}", both(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// services.pkgfed set to `user` (Nix syntax), evaluated by eval-module.nix.
pub(super) fn eval_module(nix: &Path, user: &str) -> Output {
    eval(
        nix,
        &format!("import @fixtures@/eval-module.nix {{ repo = @repo@; user = {user}; }}"),
    )
}

pub(super) fn eval_module_ok(nix: &Path, user: &str) -> Value {
    let out = eval_module(nix, user);
    assert!(out.status.success(), "{user}: {}", both(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

const USER: &str = r#"{
  enable = true;
  settings.server.base_url = "https://pkgs.example.org";
  settings.server.listen = "0.0.0.0:8443";
  settings.packages.ecosystems = [ "cargo" ];
  settings.cargo.index_url = "https://index.cargo-registry.example/";
  settings.federation.blocked_domains = [ "spam.example" ];
  environmentFile = "/run/secrets/pkgfed.env";
  openFirewall = true;
}"#;

#[test]
fn every_nix_file_parses() {
    let Some(instantiate) = require("nix-instantiate", NIX) else {
        return;
    };
    let mut files = vec![repo_root().join("flake.nix")];
    for dir in [repo_root().join("nix"), fixtures()] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "nix") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let out = run(nix_command(&instantiate).arg("--parse").arg(&file));
        assert!(out.status.success(), "{}: {}", file.display(), both(&out));
    }
}

#[test]
fn module_renders_settings_pkgfed_accepts_with_secrets_outside_the_store() {
    let Some(nix) = require("nix", NIX) else {
        return;
    };
    let v = eval_module_ok(&nix, USER);
    assert_eq!(v["failedAssertions"], json!([]));
    // The module's default database and the user's freeform keys are both there.
    let settings = &v["settings"];
    assert_eq!(
        settings["storage"]["database_url"],
        "sqlite:///var/lib/pkgfed/pkgfed.db"
    );
    assert_eq!(
        settings["federation"]["blocked_domains"],
        json!(["spam.example"])
    );
    // Rendered to TOML, it is a configuration `pkgfed config check` accepts.
    assert_config_accepted(&toml::to_string(settings).unwrap());

    let service = &v["serviceConfig"];
    let store_config = v["etcConfig"].as_str().unwrap();
    assert_eq!(
        service["ExecStart"],
        format!(
            "/nix/store/00000000000000000000000000000000-pkgfed-0.1.0/bin/pkgfed --config {store_config} serve"
        )
    );
    assert_eq!(v["restartTriggers"], json!([store_config]));
    assert_eq!(
        service["EnvironmentFile"],
        json!(["/run/secrets/pkgfed.env"])
    );
    assert_eq!(service["TimeoutStopSec"], "30s");
    assert!(service.get("ExecReload").is_none());
    assert_eq!(v["firewallPorts"], json!([8443]));
    assert_eq!(v["unit"]["wantedBy"], json!(["multi-user.target"]));
}

#[test]
fn module_service_is_hardened_exactly_like_the_unit_file() {
    let Some(nix) = require("nix", NIX) else {
        return;
    };
    let v = eval_module_ok(&nix, USER);
    let service = v["serviceConfig"].as_object().unwrap();
    let unit = service_directives();
    // Where the two differ by nature: paths of the binary, configuration and secrets.
    let by_nature = ["ExecStart", "EnvironmentFile", "Environment", "User"];
    let as_unit = |value: &Value| -> Vec<String> {
        match value {
            Value::Bool(true) => vec!["yes".into()],
            Value::Bool(false) => vec!["no".into()],
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
                .collect(),
            other => vec![other.to_string()],
        }
    };
    for (key, values) in &unit {
        if by_nature.contains(&key.as_str()) {
            continue;
        }
        let module = service
            .get(key)
            .unwrap_or_else(|| panic!("the module's service lacks {key}={values:?}"));
        let module = as_unit(module);
        assert!(
            &module == values || vec![module.join(" ")] == *values,
            "{key}: unit {values:?}, module {module:?}"
        );
    }
    for key in service.keys() {
        assert!(
            unit.contains_key(key) || by_nature.contains(&key.as_str()),
            "the unit file lacks the module's {key}"
        );
    }
}

#[test]
fn module_option_tree_has_the_typed_options() {
    let Some(nix) = require("nix", NIX) else {
        return;
    };
    let v = eval_module_ok(
        &nix,
        "{ enable = true; settings.server.base_url = \"https://pkgs.example.org\"; }",
    );
    let options: BTreeMap<String, (String, bool)> = v["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("services.pkgfed.")
                    .to_owned(),
                (
                    o["type"].as_str().unwrap().to_owned(),
                    o["hasDefault"].as_bool().unwrap(),
                ),
            )
        })
        .collect();
    let want = [
        ("enable", "bool"),
        ("package", "package"),
        ("settings", "submodule"),
        ("settings.server.base_url", "str"),
        ("settings.server.listen", "str"),
        (
            "settings.packages.ecosystems",
            r#"non-empty list of one of ["cargo","npm","pypi","generic"]"#,
        ),
        ("environmentFile", "null or path"),
        ("database.type", r#"one of ["sqlite","postgresql"]"#),
        ("database.createLocally", "bool"),
        ("role", r#"one of ["all","web","worker"]"#),
        ("openFirewall", "bool"),
    ];
    for (path, ty) in want {
        let (got, _) = options
            .get(path)
            .unwrap_or_else(|| panic!("no option {path}: {options:?}"));
        assert_eq!(got, ty, "{path}");
    }
    // Only the base URL (and the package, which the flake supplies) must be set.
    assert!(!options["settings.server.base_url"].1);
    assert!(options["settings.server.listen"].1);
}

#[test]
fn module_refuses_bad_settings_naming_the_option() {
    let Some(nix) = require("nix", NIX) else {
        return;
    };
    let cases = [
        (
            r#"{ enable = true; settings.server.base_url = "https://pkgs.example.org"; settings.packages.ecosystems = [ "maven" ]; }"#,
            "services.pkgfed.settings.packages.ecosystems' is not of type",
        ),
        (
            "{ enable = true; }",
            "services.pkgfed.settings.server.base_url' is used but not defined",
        ),
        (
            r#"{ enable = true; settings.server.base_url = "https://pkgs.example.org"; openFirewall = "yes"; }"#,
            "services.pkgfed.openFirewall' is not of type bool",
        ),
    ];
    for (user, want) in cases {
        let out = eval_module(&nix, user);
        assert!(!out.status.success(), "{user}: {}", both(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{user}: {err}");
    }
    // Valid types, but values pkgfed cannot run with: the module's assertions say why.
    let failed = |user: &str| eval_module_ok(&nix, user)["failedAssertions"].to_string();
    let http = failed(
        r#"{ enable = true; settings.server.base_url = "http://pkgs.example.org"; database.type = "postgresql"; }"#,
    );
    assert!(http.contains("base_url must be an https URL"), "{http}");
    let web_on_sqlite = failed(
        r#"{ enable = true; settings.server.base_url = "https://pkgs.example.org"; role = "web"; }"#,
    );
    assert!(
        web_on_sqlite.contains(r#"role = \"web\" needs services.pkgfed.database.type"#),
        "{web_on_sqlite}"
    );
    let nowhere = failed(
        r#"{ enable = true; settings.server.base_url = "https://pkgs.example.org"; database.type = "postgresql"; database.createLocally = false; }"#,
    );
    assert!(
        nowhere.contains("PKGFED_STORAGE_DATABASE_URL"),
        "a remote database without a URL: {nowhere}"
    );
}

#[test]
fn flake_outputs_evaluate_against_the_stand_in() {
    let Some(nix) = require("nix", NIX) else {
        return;
    };
    let v = eval_ok(&nix, "import @fixtures@/eval-flake.nix { repo = @repo@; }");
    // No registry host: nixpkgs comes through the user's flake registry.
    assert_eq!(v["inputs"], "nixpkgs/nixos-24.11");
    assert_eq!(v["systems"], json!(["aarch64-linux", "x86_64-linux"]));
    let package = &v["package"];
    assert_eq!(package["pname"], "pkgfed");
    assert_eq!(package["lockFile"], "Cargo.lock");
    assert_eq!(package["doCheck"], false);
    assert_eq!(package["cargoBuildFlags"], json!(["--package", "pkgfed"]));
    assert_eq!(package["mainProgram"], "pkgfed");
    assert_eq!(package["licenses"], json!(["MIT", "Apache-2.0"]));
    let post = package["postInstall"].as_str().unwrap();
    for step in [
        "pkgfed man --dir man1",
        "installManPage man1/*.1",
        "completions bash",
        "completions zsh",
        "completions fish",
    ] {
        assert!(post.contains(step), "{step}: {post}");
    }
    // The source is the Cargo workspace without build outputs or packaging files.
    assert_eq!(v["source"]["keeps"], json!([true, true, true, true]));
    assert_eq!(
        v["source"]["drops"],
        json!([false, false, false, false, false])
    );
    assert_eq!(v["module"]["imports"], json!(["module.nix"]));
    assert_eq!(v["module"]["packageIsTheFlakes"], true);
    // The nixosTest is written (not run here): boots, adds a package, WebFinger, stop.
    let test = &v["nixosTest"];
    assert_eq!(test["nodes"], json!(["machine"]));
    let script = test["testScript"].as_str().unwrap();
    for step in [
        "wait_for_unit(\"pkgfed.service\")",
        "/readyz",
        "webfinger?resource=acct:serde@",
        "systemctl stop pkgfed.service",
    ] {
        assert!(script.contains(step), "{step}");
    }
}
