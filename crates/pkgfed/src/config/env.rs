//! `PKGFED_*` environment overrides.
//!
//! Each key `section.key` of the configuration is overridden by
//! `PKGFED_SECTION_KEY` (upper case). The variable's text is read as the key's type:
//! integers, booleans (`true`/`false`/`1`/`0`), strings, and comma-separated arrays.
//! The names are derived from the configuration itself, so every key has one.

use toml::Value;

use super::{Config, ConfigError};

/// Variables with the `PKGFED_` prefix that are not configuration keys:
/// `PKGFED_ROLE` is `serve --role`'s; `PKGFED_TEST_POSTGRES_URL` and
/// `PKGFED_TEST_AMQP_URL` name the test suite's PostgreSQL and RabbitMQ servers
/// (exported in a developer's shell or in CI, they must not stop pkgfed from starting).
const NON_KEYS: &[&str] = &[
    "PKGFED_CONFIG",
    "PKGFED_LOG",
    "PKGFED_ROLE",
    "PKGFED_TEST_AMQP_URL",
    "PKGFED_TEST_POSTGRES_CA",
    "PKGFED_TEST_POSTGRES_TLS_URL",
    "PKGFED_TEST_POSTGRES_URL",
];

/// Applies every `PKGFED_*` variable in `vars` to `config`.
///
/// An unknown `PKGFED_*` variable is an error so a typo never goes unnoticed.
pub fn apply_env_overrides(
    config: &Config,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut root = Value::try_from(config).map_err(|e| ConfigError::Parse {
        origin: None,
        message: e.to_string(),
    })?;
    let Value::Table(sections) = &mut root else {
        return Ok(config.clone());
    };
    let mut changed = false;
    for (var, text) in vars {
        if !var.starts_with("PKGFED_") || NON_KEYS.contains(&var.as_str()) {
            continue;
        }
        let slot = sections.iter_mut().find_map(|(section, table)| {
            let Value::Table(table) = table else {
                return None;
            };
            table
                .iter_mut()
                .find(|(key, _)| env_name(section, key) == var)
                .map(|(_, v)| v)
        });
        let Some(slot) = slot else {
            return Err(ConfigError::Env {
                var,
                message: "is not a configuration key (see docs/configuration.md for the list)"
                    .into(),
            });
        };
        *slot = parse_like(slot, &text).map_err(|message| ConfigError::Env {
            var: var.clone(),
            message,
        })?;
        changed = true;
    }
    if !changed {
        return Ok(config.clone());
    }
    root.try_into()
        .map_err(|e: toml::de::Error| ConfigError::Parse {
            origin: None,
            message: e.to_string(),
        })
}

/// `server.base_url` → `PKGFED_SERVER_BASE_URL`.
pub fn env_name(section: &str, key: &str) -> String {
    format!("PKGFED_{}_{}", section, key).to_ascii_uppercase()
}

fn parse_like(current: &Value, text: &str) -> Result<Value, String> {
    Ok(match current {
        Value::String(_) => Value::String(text.to_owned()),
        Value::Integer(_) => Value::Integer(
            text.trim()
                .parse()
                .map_err(|_| format!("`{text}` is not a whole number"))?,
        ),
        Value::Boolean(_) => Value::Boolean(match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(format!("`{text}` is not true or false")),
        }),
        Value::Array(_) => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Value::Float(_) => Value::Float(
            text.trim()
                .parse()
                .map_err(|_| format!("`{text}` is not a number"))?,
        ),
        other => {
            return Err(format!(
                "cannot be set from the environment ({})",
                other.type_str()
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn overrides_each_type() {
        let c = apply_env_overrides(
            &Config::default(),
            vars(&[
                ("PKGFED_SERVER_BASE_URL", "https://pkgs.example.org"),
                ("PKGFED_SERVER_ALLOW_HTTP", "true"),
                ("PKGFED_FEDERATION_MAX_BODY_BYTES", "4096"),
                (
                    "PKGFED_FEDERATION_BLOCKED_DOMAINS",
                    "bad.example, worse.example",
                ),
                ("PKGFED_PACKAGES_ECOSYSTEMS", "cargo"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.base_url, "https://pkgs.example.org");
        assert!(c.server.allow_http);
        assert_eq!(c.federation.max_body_bytes, 4096);
        assert_eq!(
            c.federation.blocked_domains,
            vec!["bad.example", "worse.example"]
        );
        assert_eq!(
            c.packages.ecosystems,
            vec![pkgfed_registries::Ecosystem::Cargo]
        );
    }

    #[test]
    fn unknown_variable_is_named() {
        let err = apply_env_overrides(&Config::default(), vars(&[("PKGFED_SERVER_BASEURL", "x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("PKGFED_SERVER_BASEURL"), "{err}");
    }

    #[test]
    fn bad_values_are_explained() {
        let err = apply_env_overrides(
            &Config::default(),
            vars(&[("PKGFED_SERVER_ALLOW_HTTP", "maybe")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not true or false"), "{err}");
        let err = apply_env_overrides(
            &Config::default(),
            vars(&[("PKGFED_PACKAGES_ECOSYSTEMS", "maven")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("maven"), "{err}");
    }
}
