//! draft-cavage-http-signatures-12, the scheme most of the fediverse speaks.
//!
//! The signing string is one `name: value` line per entry of the `headers`
//! parameter, joined by `\n`; `(request-target)` is the lowercase method, a
//! space and the path with query. pkgfed insists that `(request-target)`,
//! `host`, `date` (or `(created)`) and, for requests with a body, `digest` are
//! signed — anything less lets a signature be replayed against another
//! endpoint, host, time or body.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::{DATE, HOST, HeaderName};

use super::digest::{check_digest, digest_header};
use super::structured::decode_base64_lenient;
use super::{
    Algorithm, ParsedSignature, Request, Scheme, SignatureError, check_expires,
    check_signature_len, check_skew, header_value, to_header_value, unix_time, url_parts,
};
use crate::keys::RsaPrivateKey;

/// Signs an outgoing request the way Mastodon does: sets `Host`, `Date`,
/// `Digest` (when there is a body) and `Signature` with `rsa-sha256`.
pub fn sign_cavage(
    method: &http::Method,
    url: &url::Url,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    key: &RsaPrivateKey,
) -> Result<(), SignatureError> {
    if key_id.is_empty() || key_id.contains('"') {
        return Err(SignatureError::Signing(format!(
            "key id `{key_id}` is empty or has a quote"
        )));
    }
    let (authority, target) = url_parts(url)?;
    headers.insert(HOST, to_header_value(authority.to_owned())?);
    headers.insert(
        DATE,
        to_header_value(httpdate::fmt_http_date(SystemTime::now()))?,
    );
    let mut covered = vec!["(request-target)", "host", "date"];
    if let Some(body) = body {
        headers.insert(
            HeaderName::from_static("digest"),
            to_header_value(digest_header(body))?,
        );
        covered.push("digest");
    }
    let covered: Vec<String> = covered.into_iter().map(str::to_owned).collect();
    let params = Params::default();
    let signing_string = signing_string(&covered, method, target, headers, &params)?;
    let signature = key
        .sign_pkcs1_sha256(signing_string.as_bytes())
        .map_err(|e| SignatureError::Signing(e.to_string()))?;
    let value = format!(
        r#"keyId="{key_id}",algorithm="rsa-sha256",headers="{}",signature="{}""#,
        covered.join(" "),
        STANDARD.encode(signature)
    );
    headers.insert(
        HeaderName::from_static("signature"),
        to_header_value(value)?,
    );
    Ok(())
}

/// The parameters of a `Signature` header.
#[derive(Debug, Default)]
struct Params {
    key_id: Option<String>,
    algorithm: Option<String>,
    headers: Option<String>,
    signature: Option<String>,
    created: Option<i64>,
    expires: Option<i64>,
}

/// Parses and pre-checks a draft-cavage signature (`value` is the `Signature`
/// header, or what follows `Signature ` in `Authorization`).
pub(super) fn parse(req: &Request<'_>, value: &str) -> Result<ParsedSignature, SignatureError> {
    let params = parse_params(value)?;
    let malformed = |m: &str| SignatureError::Malformed(m.to_owned());
    let key_id = params.key_id.clone().filter(|k| !k.is_empty());
    let key_id = key_id.ok_or_else(|| malformed("no `keyId` parameter"))?;
    let algorithm = match params
        .algorithm
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("hs2019") => Algorithm::FromKey,
        Some("rsa-sha256") => Algorithm::RsaPkcs1Sha256,
        Some(_) => {
            let other = params.algorithm.clone().unwrap_or_default();
            return Err(SignatureError::UnsupportedAlgorithm(other));
        }
    };
    // Per the draft, a missing `headers` means only the date is signed; that
    // then fails the coverage check below with a precise message.
    let covered: Vec<String> = params
        .headers
        .as_deref()
        .unwrap_or("date")
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if covered.is_empty() {
        return Err(malformed("the `headers` parameter is empty"));
    }
    let signature = params
        .signature
        .as_deref()
        .ok_or_else(|| malformed("no `signature` parameter"))?;
    let signature = decode_base64_lenient(signature)
        .ok_or_else(|| malformed("the `signature` parameter is not base64"))?;
    let signature = check_signature_len(signature)?;

    let digest = header_value(req.headers, "digest")?;
    match &digest {
        Some(digest) => check_digest(digest, req.body)?,
        None if !req.body.is_empty() => return Err(SignatureError::MissingDigest),
        None => {}
    }

    let covers = |name: &str| covered.iter().any(|c| c == name);
    for required in ["(request-target)", "host"] {
        if !covers(required) {
            return Err(SignatureError::MissingCoverage(required.to_owned()));
        }
    }
    if !covers("date") && !covers("(created)") {
        return Err(SignatureError::MissingCoverage("date".to_owned()));
    }
    if !req.body.is_empty() && !covers("digest") {
        return Err(SignatureError::MissingCoverage("digest".to_owned()));
    }

    if covers("date") {
        let date = header_value(req.headers, "date")?
            .ok_or_else(|| SignatureError::MissingHeader("date".to_owned()))?;
        let at = httpdate::parse_http_date(&date).map_err(|_| {
            SignatureError::Malformed(format!("`Date: {date}` is not an HTTP date"))
        })?;
        check_skew("Date", at, req.opts)?;
    }
    if covers("(created)") {
        let created = params.created.ok_or_else(|| {
            malformed("`(created)` is signed but there is no `created` parameter")
        })?;
        check_skew("created", unix_time(created, "created")?, req.opts)?;
    }
    if let Some(expires) = params.expires {
        check_expires(expires, req.opts)?;
    }

    let base = signing_string(
        &covered,
        req.method,
        req.path_and_query,
        req.headers,
        &params,
    )?;
    Ok(ParsedSignature {
        key_id,
        scheme: Scheme::Cavage,
        algorithm,
        base: base.into_bytes(),
        signature,
    })
}

/// Builds the signing string for the `covered` entries.
fn signing_string(
    covered: &[String],
    method: &http::Method,
    target: &str,
    headers: &HeaderMap,
    params: &Params,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(covered.len());
    for name in covered {
        let value = match name.as_str() {
            "(request-target)" => format!("{} {target}", method.as_str().to_ascii_lowercase()),
            "(created)" | "(expires)" => {
                let v = if name == "(created)" {
                    params.created
                } else {
                    params.expires
                };
                let v = v.ok_or_else(|| {
                    SignatureError::Malformed(format!(
                        "`{name}` is signed but its parameter is missing"
                    ))
                })?;
                v.to_string()
            }
            pseudo if pseudo.starts_with('(') => {
                return Err(SignatureError::Malformed(format!(
                    "unknown pseudo-header `{pseudo}`"
                )));
            }
            header => header_value(headers, header)?
                .ok_or_else(|| SignatureError::MissingHeader(header.to_owned()))?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"` in any order,
/// with optional whitespace, parameter names case-insensitive. Values are
/// quoted strings, or bare for the integers `created` / `expires`.
fn parse_params(value: &str) -> Result<Params, SignatureError> {
    let malformed = |m: String| SignatureError::Malformed(m);
    let mut params = Params::default();
    let mut rest = value.trim_start_matches([' ', '\t', ',']);
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| malformed(format!("parameter without `=` near `{}`", excerpt(rest))))?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.trim_start_matches([' ', '\t']);
        let (raw, remaining) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| malformed(format!("unterminated quote in `{name}`")))?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim_end(), &after[end..])
            }
        };
        let remaining = remaining.trim_start_matches([' ', '\t']);
        if !(remaining.is_empty() || remaining.starts_with(',')) {
            return Err(malformed(format!("expected `,` after `{name}`")));
        }
        rest = remaining.trim_start_matches([' ', '\t', ',']);

        let integer = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| malformed(format!("`{name}` = `{v}` is not an integer")))
        };
        let slot_taken = match name.as_str() {
            "keyid" => params.key_id.replace(raw.to_owned()).is_some(),
            "algorithm" => params.algorithm.replace(raw.to_owned()).is_some(),
            "headers" => params.headers.replace(raw.to_owned()).is_some(),
            "signature" => params.signature.replace(raw.to_owned()).is_some(),
            "created" => params.created.replace(integer(raw)?).is_some(),
            "expires" => params.expires.replace(integer(raw)?).is_some(),
            _ => false, // unknown parameters are ignored, as the draft says
        };
        if slot_taken {
            return Err(malformed(format!("parameter `{name}` appears twice")));
        }
    }
    Ok(params)
}

/// The first few characters of `s`, for error messages.
fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn params_in_any_order_with_spaces() {
        let p = parse_params(
            r#" signature = "c2ln" , headers="(request-target) host date",KEYID="https://a.example/u#main-key",  algorithm="hs2019", created=1402170695 "#,
        )
        .unwrap();
        assert_eq!(p.key_id.as_deref(), Some("https://a.example/u#main-key"));
        assert_eq!(p.algorithm.as_deref(), Some("hs2019"));
        assert_eq!(p.headers.as_deref(), Some("(request-target) host date"));
        assert_eq!(p.signature.as_deref(), Some("c2ln"));
        assert_eq!(p.created, Some(1_402_170_695));
    }

    #[test]
    fn bad_params_are_errors() {
        for bad in [
            r#"keyId="a",keyId="b""#,
            r#"keyId="a"#,
            r#"keyId"#,
            r#"keyId="a" signature="b""#,
            r#"created=soon"#,
        ] {
            assert!(
                matches!(parse_params(bad), Err(SignatureError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
