//! Tests of configuration loading and validation.

use super::*;

fn with_base(url: &str, allow_http: bool) -> Config {
    let mut c = Config::default();
    c.server.base_url = url.into();
    c.server.allow_http = allow_http;
    c
}

/// docs/configuration.md documents every key, under its section.
#[test]
fn every_key_is_documented() {
    let docs = include_str!("../../../../docs/configuration.md");
    let value = toml::Value::try_from(Config::default()).unwrap();
    for (section, table) in value.as_table().unwrap() {
        let heading = format!("## `[{section}]`");
        let start = docs
            .find(&heading)
            .unwrap_or_else(|| panic!("no section {heading}"));
        let body = &docs[start + heading.len()..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        for key in table.as_table().unwrap().keys() {
            assert!(
                body.contains(&format!("| `{key}` |")),
                "{section}.{key} is not documented"
            );
        }
    }
}

#[test]
fn missing_base_url_names_the_key() {
    let err = Config::default().validate().unwrap_err().to_string();
    assert!(err.contains("server.base_url"), "{err}");
    assert!(err.contains("PKGFED_SERVER_BASE_URL"), "{err}");
}

#[test]
fn http_needs_explicit_setting() {
    let err = with_base("http://pkgs.example.org", false)
        .validate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("allow_http"), "{err}");
    let ok = with_base("http://127.0.0.1:8080", true).validate().unwrap();
    assert_eq!(ok.base_url.as_str(), "http://127.0.0.1:8080/");
}

#[test]
fn base_url_with_path_is_refused() {
    let err = with_base("https://pkgs.example.org/sub", false)
        .validate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("scheme, host and optional port"), "{err}");
}

#[test]
fn unknown_keys_are_errors() {
    let err = Config::from_toml("[server]\nlisten_addr = \"x\"\n", None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("listen_addr"), "{err}");
}

#[test]
fn actor_type_is_checked() {
    let mut c = with_base("https://pkgs.example.org", false);
    c.federation.actor_type = "Person".into();
    let err = c.validate().unwrap_err().to_string();
    assert!(err.contains("federation.actor_type"), "{err}");
    c.federation.actor_type = "Service".into();
    assert_eq!(c.validate().unwrap().actor_type, "Service");
}

#[test]
fn dev_profile_allows_http_and_private_addresses() {
    let mut c = Config::default();
    c.apply_dev_profile();
    let s = c.validate().unwrap();
    assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
    assert!(s.fetch.allow_private_addresses);
}
