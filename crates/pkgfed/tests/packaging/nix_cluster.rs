//! The NixOS module in cluster mode, evaluated against the stand-in like
//! `packaging::nix`: `role` reaches `pkgfed serve --role`, `database.type =
//! "postgresql"` with `createLocally` creates the database and its role and reaches
//! them over the Unix socket by peer authentication, and a remote database or broker
//! comes through environmentFile without landing in the store.

use std::process::Command;

use serde_json::json;

use super::nix::{NIX, eval_module_ok};
use super::tools::{both, pkgfed, require, run};

const STORE_BIN: &str = "/nix/store/00000000000000000000000000000000-pkgfed-0.1.0/bin/pkgfed";

#[test]
fn worker_on_local_postgresql_gets_its_role_database_and_unit_ordering() {
    let Some(nix) = require("nix", NIX) else {
        return;
    };
    let v = eval_module_ok(
        &nix,
        r#"{
          enable = true;
          settings.server.base_url = "https://pkgs.example.org";
          settings.packages.ecosystems = [ "cargo" ];
          settings.cargo.index_url = "https://index.cargo-registry.example/";
          role = "worker";
          database.type = "postgresql";
          environmentFile = "/run/secrets/pkgfed.env";
        }"#,
    );
    assert_eq!(v["failedAssertions"], json!([]));
    let config = v["etcConfig"].as_str().unwrap();
    assert_eq!(
        v["serviceConfig"]["ExecStart"],
        format!("{STORE_BIN} --config {config} serve --role worker")
    );
    // Peer authentication over the socket: no password anywhere.
    let settings = &v["settings"];
    assert_eq!(
        settings["storage"]["database_url"],
        "postgres:///pkgfed?host=/run/postgresql&user=pkgfed"
    );
    assert_eq!(v["serviceConfig"]["User"], "pkgfed");
    assert_eq!(
        v["postgresql"],
        json!({
            "enable": true,
            "ensureDatabases": ["pkgfed"],
            "ensureUsers": [{ "name": "pkgfed", "ensureDBOwnership": true }],
        })
    );
    assert_eq!(
        v["unit"]["after"],
        json!(["network-online.target", "postgresql.service"])
    );
    assert_eq!(v["unit"]["requires"], json!(["postgresql.service"]));
    // The broker URL comes from the environment file (PKGFED_BROKER_URL).
    assert_eq!(
        v["serviceConfig"]["EnvironmentFile"],
        json!(["/run/secrets/pkgfed.env"])
    );

    // The rendered file is one pkgfed accepts, on that database, as a worker.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pkgfed.toml");
    std::fs::write(&file, toml::to_string(settings).unwrap()).unwrap();
    let out = run(Command::new(pkgfed())
        .arg("--config")
        .arg(&file)
        .args(["config", "check"])
        .env_clear()
        .env(
            "PKGFED_BROKER_URL",
            "amqp://pkgfed:hunter2@127.0.0.1:5672/%2f",
        ));
    assert!(out.status.success(), "{}", both(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("host=/run/postgresql"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn web_on_a_remote_database_takes_its_url_from_the_environment_file() {
    let Some(nix) = require("nix", NIX) else {
        return;
    };
    let v = eval_module_ok(
        &nix,
        r#"{
          enable = true;
          settings.server.base_url = "https://pkgs.example.org";
          role = "web";
          database.type = "postgresql";
          database.createLocally = false;
          environmentFile = "/run/secrets/pkgfed.env";
        }"#,
    );
    assert_eq!(v["failedAssertions"], json!([]));
    let config = v["etcConfig"].as_str().unwrap();
    assert_eq!(
        v["serviceConfig"]["ExecStart"],
        format!("{STORE_BIN} --config {config} serve --role web")
    );
    // No PostgreSQL on this host, no default URL in the (world-readable) store file:
    // PKGFED_STORAGE_DATABASE_URL in the environment file names the database.
    assert_eq!(v["postgresql"], json!(null));
    assert!(v["settings"]["storage"].get("database_url").is_none());
    assert_eq!(v["unit"]["requires"], json!([]));

    // The default role keeps the single-process command line.
    let v = eval_module_ok(
        &nix,
        r#"{ enable = true; settings.server.base_url = "https://pkgs.example.org"; }"#,
    );
    assert!(
        v["serviceConfig"]["ExecStart"]
            .as_str()
            .unwrap()
            .ends_with(" serve"),
        "{}",
        v["serviceConfig"]["ExecStart"]
    );
}
