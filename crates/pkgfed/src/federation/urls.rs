//! Every URL pkgfed emits, built from the one configured base URL.
//!
//! Keeping them in one place guarantees that each document's `id` is the URL it is
//! served at, and lets the router and the documents agree on paths.

use url::Url;

/// Builds pkgfed's public URLs.
#[derive(Clone, Debug)]
pub struct Urls {
    base: String,
    host: String,
}

/// Path prefix of package actors.
pub const PACKAGES_PATH: &str = "/packages/";

impl Urls {
    /// From the validated base URL.
    pub fn new(base: &Url) -> Self {
        let host = match base.port() {
            Some(port) => format!("{}:{port}", base.host_str().unwrap_or_default()),
            None => base.host_str().unwrap_or_default().to_owned(),
        };
        Self {
            base: base.as_str().trim_end_matches('/').to_owned(),
            host,
        }
    }

    /// `https://host[:port]` without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The host (with port when not default): the domain part of `acct:` handles.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// A URL for `path` (which starts with `/`).
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The instance actor.
    pub fn instance_actor(&self) -> String {
        self.at("/actor")
    }

    /// The instance actor's key id.
    pub fn instance_key_id(&self) -> String {
        format!("{}#main-key", self.instance_actor())
    }

    /// The shared inbox.
    pub fn shared_inbox(&self) -> String {
        self.at("/inbox")
    }

    /// A package actor.
    pub fn actor(&self, handle: &str) -> String {
        format!("{}{PACKAGES_PATH}{handle}", self.base)
    }

    /// A package actor's key id.
    pub fn key_id(&self, handle: &str) -> String {
        format!("{}#main-key", self.actor(handle))
    }

    /// A package actor's sub-resource: `inbox`, `outbox`, `followers`, `following`.
    pub fn actor_sub(&self, handle: &str, what: &str) -> String {
        format!("{}/{what}", self.actor(handle))
    }

    /// If `url` is a package actor URL of this instance, its handle.
    pub fn handle_of_actor(&self, url: &str) -> Option<String> {
        let rest = url.strip_prefix(&self.base)?.strip_prefix(PACKAGES_PATH)?;
        let rest = rest.split(['#', '?']).next().unwrap_or_default();
        (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_owned())
    }

    /// Whether `url` is on this instance's host.
    pub fn is_local(&self, url: &str) -> bool {
        url.strip_prefix(&self.base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '#', '?']))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_use_the_base_and_round_trip_handles() {
        let urls = Urls::new(&Url::parse("https://pkgs.example.org").unwrap());
        assert_eq!(
            urls.actor("serde"),
            "https://pkgs.example.org/packages/serde"
        );
        assert_eq!(
            urls.key_id("serde"),
            "https://pkgs.example.org/packages/serde#main-key"
        );
        assert_eq!(
            urls.handle_of_actor(&urls.actor("types.node")).as_deref(),
            Some("types.node")
        );
        assert_eq!(
            urls.handle_of_actor("https://pkgs.example.org/packages/serde/inbox"),
            None
        );
        assert_eq!(
            urls.handle_of_actor("https://other.example/packages/serde"),
            None
        );
        assert!(urls.is_local("https://pkgs.example.org/inbox"));
        assert!(!urls.is_local("https://pkgs.example.org.evil/inbox"));
        let with_port = Urls::new(&Url::parse("http://127.0.0.1:8080/").unwrap());
        assert_eq!(with_port.host(), "127.0.0.1:8080");
        assert_eq!(with_port.shared_inbox(), "http://127.0.0.1:8080/inbox");
    }
}
