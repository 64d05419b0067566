//! The admin API's bearer token: where it comes from, and the check in front of
//! every admin route except the OpenAPI document.
//!
//! The token is `admin.token` when configured, else one generated at first start and
//! kept in the store beside the instance key (first writer wins, so a server and a
//! CLI racing on an empty database agree). It is never logged.

use aws_lc_rs::{constant_time, digest, rand};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};
use crate::store::SharedStore;
use crate::web::AppState;

/// Name of the generated token in the store's instance keys.
pub const TOKEN_KEY: &str = "admin-token";

/// The configured token, or the stored one (generated and stored when missing).
pub async fn load_or_create_token(store: &SharedStore, configured: &str) -> Result<String> {
    if !configured.is_empty() {
        return Ok(configured.to_owned());
    }
    if let Some(token) = store.instance_key(TOKEN_KEY).await? {
        return Ok(token);
    }
    let stored = store.put_instance_key(TOKEN_KEY, &generate()?).await?;
    tracing::info!("generated the admin API token; print it with `pkgfed admin token`");
    Ok(stored)
}

/// A fresh admin token: 32 random bytes, base64url without padding (43 characters).
/// `pkgfed init` writes one into a new configuration file.
pub fn generate() -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes)
        .map_err(|_| Error::Internal("the system random generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `given` is `expected`, in time independent of where they differ. Both are
/// hashed first so the comparison does not reveal the token's length either.
pub fn token_matches(given: &str, expected: &str) -> bool {
    let a = digest::digest(&digest::SHA256, given.as_bytes());
    let b = digest::digest(&digest::SHA256, expected.as_bytes());
    constant_time::verify_slices_are_equal(a.as_ref(), b.as_ref()).is_ok()
}

/// Lets the request through only with `Authorization: Bearer <admin token>`;
/// otherwise 401 with `WWW-Authenticate: Bearer` (RFC 6750) and nothing else done.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    match given {
        Some(token) if token_matches(token, &state.admin_token) => next.run(request).await,
        Some(_) => refuse(
            "invalid_token",
            "the admin token is wrong: print the right one with `pkgfed admin token`",
        ),
        None => refuse(
            "",
            "the admin API needs `Authorization: Bearer <token>`: print the token with `pkgfed admin token`",
        ),
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn refuse(error_code: &str, message: &str) -> Response {
    let challenge = if error_code.is_empty() {
        "Bearer realm=\"pkgfed admin\"".to_owned()
    } else {
        format!("Bearer realm=\"pkgfed admin\", error=\"{error_code}\"")
    };
    let mut response = Error::Unauthorized(message.to_owned()).into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_needs_a_token() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(token_matches("secret-token", "secret-token"));
        assert!(!token_matches("secret-toke", "secret-token"));
        assert!(!token_matches("", "secret-token"));
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let (Ok(a), Ok(b)) = (generate(), generate()) else {
            panic!("random generator failed");
        };
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
