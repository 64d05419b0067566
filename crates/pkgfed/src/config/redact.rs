//! Printing the effective configuration without its secrets.

use toml::Value;

use super::Config;

/// Key names whose values are secrets wherever they appear.
const SECRET_WORDS: &[&str] = &["token", "secret", "password", "private_key"];

/// The configuration as TOML with secrets replaced by `"<redacted>"` and passwords
/// inside URLs (`postgres://user:pw@host`) masked.
pub fn redacted_toml(config: &Config) -> String {
    let mut value = match Value::try_from(config) {
        Ok(v) => v,
        Err(e) => return format!("# configuration cannot be printed: {e}\n"),
    };
    redact(&mut value, "");
    toml::to_string_pretty(&value)
        .unwrap_or_else(|e| format!("# configuration cannot be printed: {e}\n"))
}

fn redact(value: &mut Value, key: &str) {
    match value {
        Value::Table(t) => t.iter_mut().for_each(|(k, v)| redact(v, k)),
        Value::Array(a) => a.iter_mut().for_each(|v| redact(v, key)),
        Value::String(s) if SECRET_WORDS.iter().any(|w| key.contains(w)) && !s.is_empty() => {
            *s = "<redacted>".into();
        }
        Value::String(s) => *s = crate::store::redacted_url(s),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_admin_token() {
        let mut c = Config::default();
        c.admin.token = "a-very-secret-token-that-is-long-enough".into();
        c.server.base_url = "https://pkgs.example.org".into();
        let shown = format!("{c:?} {:?}", c.validate().map(|s| format!("{s:?}")));
        assert!(!shown.contains("a-very-secret"), "{shown}");
    }

    #[test]
    fn url_passwords_are_masked() {
        let mut c = Config::default();
        c.storage.database_url = "sqlite://user:hunter2@localhost/x.db".into();
        let out = redacted_toml(&c);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("redacted"), "{out}");
    }
}
