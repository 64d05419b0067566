//! Content negotiation for actors and collections.
//!
//! ActivityPub clients get JSON (`application/activity+json`, or
//! `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`), browsers
//! get HTML, anything else 406. `*/*` and a missing `Accept` prefer JSON.

use axum::http::HeaderMap;

use crate::error::{Error, Result};

/// The ActivityStreams profile of `application/ld+json`.
pub const AS_PROFILE: &str = "https://www.w3.org/ns/activitystreams";

/// What to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Representation {
    /// `application/activity+json`.
    ActivityJson,
    /// `application/ld+json; profile="…activitystreams"`.
    LdJson,
    /// `text/html`.
    Html,
}

impl Representation {
    /// The `Content-Type` to send.
    pub fn content_type(self) -> &'static str {
        match self {
            Representation::ActivityJson => "application/activity+json; charset=utf-8",
            Representation::LdJson => {
                r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams"; charset=utf-8"#
            }
            Representation::Html => "text/html; charset=utf-8",
        }
    }
}

/// Picks a representation from the `Accept` header; `html_available` is false for
/// resources without a page (collections).
pub fn negotiate(headers: &HeaderMap, html_available: bool) -> Result<Representation> {
    let accept = headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return Ok(Representation::ActivityJson);
    }
    let mut best: Option<(f32, u8, Representation)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0_f32;
        let mut profile: Option<String> = None;
        for p in parts {
            if let Some((k, v)) = p.split_once('=') {
                let v = v.trim().trim_matches('"');
                match k.trim().to_ascii_lowercase().as_str() {
                    "q" => q = v.parse().unwrap_or(0.0),
                    "profile" => profile = Some(v.to_owned()),
                    _ => {}
                }
            }
        }
        if q <= 0.0 {
            continue;
        }
        // (representation, server preference: lower wins ties)
        let candidate = match media.as_str() {
            "application/activity+json" => Some((Representation::ActivityJson, 0)),
            "application/ld+json" => match profile.as_deref() {
                None => Some((Representation::LdJson, 1)),
                Some(p) if p.split_whitespace().any(|p| p == AS_PROFILE) => {
                    Some((Representation::LdJson, 1))
                }
                Some(_) => None,
            },
            "text/html" | "application/xhtml+xml" if html_available => {
                Some((Representation::Html, 2))
            }
            "*/*" | "application/*" => Some((Representation::ActivityJson, 3)),
            "text/*" if html_available => Some((Representation::Html, 3)),
            _ => None,
        };
        if let Some((rep, pref)) = candidate {
            let better = match best {
                None => true,
                Some((bq, bp, _)) => q > bq || (q == bq && pref < bp),
            };
            if better {
                best = Some((q, pref, rep));
            }
        }
    }
    best.map(|(_, _, r)| r).ok_or(Error::NotAcceptable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str) -> Result<Representation> {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::ACCEPT, accept.parse().unwrap());
        negotiate(&h, true)
    }

    #[test]
    fn matrix() {
        use Representation::*;
        assert_eq!(pick("application/activity+json").unwrap(), ActivityJson);
        assert_eq!(
            pick(r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#)
                .unwrap(),
            LdJson
        );
        assert_eq!(
            pick("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").unwrap(),
            Html
        );
        assert_eq!(pick("*/*").unwrap(), ActivityJson);
        assert_eq!(
            pick("application/activity+json, text/html;q=0.5").unwrap(),
            ActivityJson
        );
        assert!(matches!(pick("image/png"), Err(Error::NotAcceptable)));
        assert!(matches!(
            pick("application/json"),
            Err(Error::NotAcceptable)
        ));
        assert!(matches!(
            pick(r#"application/ld+json; profile="https://example.org/other""#),
            Err(Error::NotAcceptable)
        ));
        assert!(matches!(
            pick("application/activity+json;q=0"),
            Err(Error::NotAcceptable)
        ));
        assert!(matches!(
            negotiate(
                &{
                    let mut h = HeaderMap::new();
                    h.insert(axum::http::header::ACCEPT, "text/html".parse().unwrap());
                    h
                },
                false
            ),
            Err(Error::NotAcceptable)
        ));
    }
}
