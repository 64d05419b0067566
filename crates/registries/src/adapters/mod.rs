//! The registry adapters: one [`RegistryAdapter`](crate::adapter::RegistryAdapter)
//! implementation per registry protocol, each built from a configuration struct
//! whose endpoints are all given by the operator (pkgfed names no registry host).
//!
//! - [`cargo`]: a Cargo sparse index, plus optionally the registry's web API for
//!   package metadata.
//! - [`npm`]: an npm registry's packuments.
//! - [`pypi`]: a PyPI-style JSON API or Simple API (JSON form), and optionally the
//!   registry-wide RSS feed of recent releases as a change feed.
//! - [`feed`]: projects outside registries, followed through one Atom or RSS
//!   releases feed per package.
//!
//! All of them share [`http`]: the rate-limited, conditional HTTP client.

pub mod cargo;
pub mod feed;
pub mod http;
pub mod npm;
pub mod pypi;
pub(crate) mod xml;

use url::Url;

pub use http::HttpSettings;

/// An adapter configuration pkgfed cannot use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid registry adapter configuration: {0}")]
pub struct ConfigError(pub String);

/// `lookup` for adapters whose one request answers both questions: an unconditional
/// check, its metadata when the package exists, `None` when the registry says
/// there is no such package.
pub(crate) async fn lookup_by_check<A: crate::adapter::RegistryAdapter + ?Sized>(
    adapter: &A,
    package: &crate::PackageId,
) -> Result<Option<crate::adapter::PackageMetadata>, crate::adapter::RegistryError> {
    use crate::adapter::{CheckOutcome, PackageMetadata, RegistryError, Validators};
    match adapter.check(package, &Validators::default()).await {
        Ok(CheckOutcome::Changed { snapshot, .. }) => Ok(Some(snapshot.metadata)),
        Ok(CheckOutcome::NotModified) => Ok(Some(PackageMetadata {
            name: package.name().to_owned(),
            ..PackageMetadata::default()
        })),
        Err(RegistryError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Fills a package page template: `{name}` becomes the package name and
/// `{version}` the version. Without a version, `{version}` is removed together
/// with one `/`, `@` or `#` right before it, so one template serves both
/// `https://registry.test/crates/{name}/{version}` and the package's own page.
pub(crate) fn render_page(template: &str, name: &str, version: Option<&str>) -> String {
    let with_version = match version {
        Some(v) => template.replace("{version}", v),
        None => {
            let mut t = template.to_owned();
            while let Some(i) = t.find("{version}") {
                let start = if t[..i].ends_with(['/', '@', '#']) {
                    i - 1
                } else {
                    i
                };
                t.replace_range(start..i + "{version}".len(), "");
            }
            t
        }
    };
    with_version.replace("{name}", name)
}

/// `base` with `path` appended below it, whether or not `base` ends in `/`.
/// `path` is used as given: callers percent-encode what needs it.
pub(crate) fn url_below(base: &Url, path: &str) -> Result<Url, crate::adapter::RegistryError> {
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&joined).map_err(|e| crate::adapter::RegistryError::Malformed {
        reason: format!("cannot build a request URL from {joined:?}: {e}"),
    })
}

/// Checks that a configured base URL can have paths below it.
pub(crate) fn check_base(what: &str, url: &Url) -> Result<(), ConfigError> {
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError(format!(
            "{what} must be an http(s) URL that paths can be added to; got {url}"
        )));
    }
    Ok(())
}

/// Parses an RFC 3339 timestamp into Unix seconds.
pub(crate) fn rfc3339_secs(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Parses JSON, naming the document in the error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, crate::adapter::RegistryError> {
    serde_json::from_slice(bytes).map_err(|e| crate::adapter::RegistryError::Malformed {
        reason: format!("{what} is not the expected JSON: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_templates() {
        let t = "https://registry.test/crates/{name}/{version}";
        assert_eq!(
            render_page(t, "serde", Some("1.0.0")),
            "https://registry.test/crates/serde/1.0.0"
        );
        assert_eq!(
            render_page(t, "serde", None),
            "https://registry.test/crates/serde"
        );
        assert_eq!(
            render_page(
                "https://npm.test/package/{name}/v/{version}",
                "@types/node",
                None
            ),
            "https://npm.test/package/@types/node/v"
        );
        assert_eq!(
            render_page("https://pypi.test/project/{name}/", "requests", Some("2.0")),
            "https://pypi.test/project/requests/"
        );
    }

    #[test]
    fn urls_below_a_base() {
        let base = Url::parse("http://127.0.0.1:1/index").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            url_below(&base, "se/rd/serde")
                .map(String::from)
                .ok()
                .as_deref(),
            Some("http://127.0.0.1:1/index/se/rd/serde")
        );
        let slash = Url::parse("http://127.0.0.1:1/npm/").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            url_below(&slash, "@scope%2fname")
                .map(String::from)
                .ok()
                .as_deref(),
            Some("http://127.0.0.1:1/npm/@scope%2fname")
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_secs("2014-12-05T20:20:39Z"), Some(1_417_810_839));
        assert_eq!(
            rfc3339_secs("2012-01-22T05:08:17.091441Z"),
            Some(1_327_208_897)
        );
        assert_eq!(
            rfc3339_secs("2025-10-03T23:09:58.588000+00:00"),
            Some(1_759_532_998)
        );
        assert_eq!(rfc3339_secs("yesterday"), None);
    }
}
