//! `POST /follow`: remote follow. The visitor gives their own account
//! (`@me@their.server`); pkgfed looks up that account with WebFinger on their
//! server, takes the `http://ostatus.org/schema/1.0/subscribe` link's template (the
//! one Mastodon and Fedify publish, e.g. `https://their.server/authorize_interaction?uri={uri}`)
//! and redirects (303) there with the package's actor URI filled in, so the
//! visitor confirms the follow on their own server.
//!
//! The WebFinger request goes through the SSRF-safe fetcher (no private or loopback
//! addresses unless `federation.allow_private_addresses`, the local-testing switch,
//! which also makes this lookup use `http://`, as loopback test peers have no TLS).

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::error_page;
use crate::error::{Error, Result};
use crate::packages;
use crate::web::AppState;

/// The WebFinger link relation of a remote-follow (subscribe) URL template.
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";

/// The remote-follow form.
#[derive(Debug, Deserialize)]
pub struct FollowForm {
    /// The package's local handle.
    package: String,
    /// The visitor's account, `@me@their.server`.
    #[serde(default)]
    account: String,
}

/// `POST /follow`
pub async fn follow(State(state): State<AppState>, Form(form): Form<FollowForm>) -> Response {
    let back = (
        state.urls.actor(&form.package),
        "Back to the package".to_owned(),
    );
    match redirect_target(&state, &form).await {
        Ok(target) => match HeaderValue::from_str(&target) {
            Ok(location) => {
                let mut res = StatusCode::SEE_OTHER.into_response();
                res.headers_mut().insert(header::LOCATION, location);
                res
            }
            Err(_) => error_page(
                &state,
                Error::BadRequest(
                    "the remote-follow address of that server is not a valid URL".into(),
                ),
                Some(back),
            ),
        },
        Err(e) => error_page(&state, e, Some(back)),
    }
}

/// Where to send the visitor: their server's subscribe template with this package's
/// actor URI.
async fn redirect_target(state: &AppState, form: &FollowForm) -> Result<String> {
    let package = packages::find_by_handle(&state.store, &state.settings.ecosystems, &form.package)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no package actor `{}`", form.package)))?;
    let (user, host) = parse_account(&form.account)?;
    let scheme = if state.settings.fetch.allow_private_addresses {
        "http"
    } else {
        "https"
    };
    let resource = format!("acct:{user}@{host}");
    let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
        .map_err(|_| Error::BadRequest(format!("`{host}` is not a server name")))?;
    url.query_pairs_mut().append_pair("resource", &resource);
    let fetched = state
        .outbound
        .fetcher
        .get(&url, "application/jrd+json, application/json", None)
        .await
        .map_err(|e| {
            Error::BadRequest(format!(
                "could not reach {host} to look up @{user}@{host} ({e}): check the server name"
            ))
        })?;
    match fetched.status.as_u16() {
        200 => {}
        404 | 410 => {
            return Err(Error::NotFound(format!(
                "{host} says it has no account @{user}@{host}: check the spelling"
            )));
        }
        other => {
            return Err(Error::BadRequest(format!(
                "{host} answered {other} to the WebFinger lookup of @{user}@{host}; is it a fediverse server?"
            )));
        }
    }
    let jrd: Value = serde_json::from_slice(&fetched.body).map_err(|_| {
        Error::BadRequest(format!(
            "{host} did not answer the WebFinger lookup with JSON; is it a fediverse server?"
        ))
    })?;
    let template = subscribe_template(&jrd).ok_or_else(|| {
        Error::BadRequest(format!(
            "{host} does not offer remote follow (no {SUBSCRIBE_REL} template): search for @{}@{} on your server instead",
            package.handle,
            state.urls.host()
        ))
    })?;
    fill_template(template, &state.urls.actor(&package.handle)).ok_or_else(|| {
        Error::BadRequest(format!(
            "{host}'s remote-follow template is not an http(s) URL template with {{uri}}"
        ))
    })
}

/// `@me@their.server`, `me@their.server` or `acct:me@their.server` → (`me`,
/// `their.server`).
pub fn parse_account(raw: &str) -> Result<(String, String)> {
    let bad = || {
        Error::BadRequest(format!(
            "`{}` is not a fediverse account: enter it as @you@your.server",
            raw.trim()
        ))
    };
    let text = raw.trim();
    let text = text.strip_prefix("acct:").unwrap_or(text);
    let text = text.strip_prefix('@').unwrap_or(text);
    let (user, host) = text.split_once('@').ok_or_else(bad)?;
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    let user_ok = !user.is_empty()
        && user.len() <= 100
        && user
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '+'));
    if !host_ok || !user_ok {
        return Err(bad());
    }
    Ok((user.to_owned(), host.to_ascii_lowercase()))
}

/// The subscribe link's template of a JRD.
pub fn subscribe_template(jrd: &Value) -> Option<&str> {
    jrd["links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == SUBSCRIBE_REL)?
        .get("template")?
        .as_str()
}

/// The template with `{uri}` replaced by the percent-encoded `uri`; `None` unless
/// the result is an http(s) URL.
pub fn fill_template(template: &str, uri: &str) -> Option<String> {
    if !template.contains("{uri}") {
        return None;
    }
    let filled = template.replace(
        "{uri}",
        &utf8_percent_encode(uri, NON_ALPHANUMERIC).to_string(),
    );
    let url = Url::parse(&filled).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_in_every_spelling() {
        let ok = |s: &str| parse_account(s).ok();
        let me = Some(("me".to_owned(), "social.example".to_owned()));
        assert_eq!(ok("@me@social.example"), me);
        assert_eq!(ok("me@Social.Example"), me);
        assert_eq!(ok(" acct:me@social.example "), me);
        assert_eq!(
            ok("@me@127.0.0.1:8080"),
            Some(("me".to_owned(), "127.0.0.1:8080".to_owned()))
        );
        for bad in [
            "",
            "me",
            "@me",
            "@me@",
            "@@social.example",
            "me@a/b",
            "me@a b",
            "a@b@c",
        ] {
            assert!(ok(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn templates_are_filled_and_checked() {
        let uri = "https://pkgs.example/packages/cargo.serde";
        assert_eq!(
            fill_template(
                "https://social.example/authorize_interaction?uri={uri}",
                uri
            )
            .as_deref(),
            Some(
                "https://social.example/authorize_interaction?uri=https%3A%2F%2Fpkgs%2Eexample%2Fpackages%2Fcargo%2Eserde"
            )
        );
        assert_eq!(fill_template("https://social.example/follow", uri), None);
        assert_eq!(fill_template("javascript:alert({uri})", uri), None);
        let jrd = serde_json::json!({"links": [
            {"rel": "self", "href": "https://social.example/users/me"},
            {"rel": SUBSCRIBE_REL, "template": "https://social.example/authorize_interaction?uri={uri}"}
        ]});
        assert_eq!(
            subscribe_template(&jrd),
            Some("https://social.example/authorize_interaction?uri={uri}")
        );
        assert_eq!(subscribe_template(&serde_json::json!({"links": []})), None);
    }
}
