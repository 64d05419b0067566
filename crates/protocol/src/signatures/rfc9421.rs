//! RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`).
//!
//! The signature base (§2.5) is one `"component": value` line per covered
//! component, then the `"@signature-params"` line holding the canonical
//! serialisation of the `Signature-Input` member. pkgfed requires `@method`, the
//! target (`@target-uri`, or `@path`/`@request-target` plus `@authority`/`host`)
//! and, for requests with a body, `content-digest`. Component parameters
//! (`;sf`, `;key`, `;req`, …) are not supported; fediverse signers do not use them.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::{DATE, HOST, HeaderName};

use super::components::{Context, normalize_authority, signature_base};
use super::digest::{check_content_digest, content_digest_header};
use super::structured::{
    BareItem, Item, Member, Params, is_sf_string, parse_dictionary, serialize_inner_list,
};
use super::{
    Algorithm, ParsedSignature, Request, Scheme, SignatureError, check_expires,
    check_signature_len, check_skew, header_value, to_header_value, unix_time, url_parts,
};
use crate::keys::{Ed25519PrivateKey, RsaPrivateKey};

/// Most components a signature may cover; real ones cover under ten.
const MAX_COMPONENTS: usize = 64;

/// The key, and with it the algorithm, for an RFC 9421 signature.
#[derive(Debug, Clone, Copy)]
pub enum Rfc9421Key<'a> {
    /// `rsa-v1_5-sha256`.
    RsaV15Sha256(&'a RsaPrivateKey),
    /// `rsa-pss-sha512`.
    RsaPssSha512(&'a RsaPrivateKey),
    /// `ed25519`.
    Ed25519(&'a Ed25519PrivateKey),
}

/// Signs an outgoing request per RFC 9421 under the label `sig1`.
///
/// `components` are covered in the given order, e.g.
/// `["@method", "@target-uri", "content-digest"]`. When there is a body and
/// `content-digest` is listed, `Content-Digest` is set first; a listed `host` or
/// `date` header that is absent is set from the URL / `created`.
#[allow(clippy::too_many_arguments)] // the shape is fixed by the app crate
pub fn sign_rfc9421(
    method: &http::Method,
    url: &url::Url,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    key: Rfc9421Key<'_>,
    components: &[&str],
    created: SystemTime,
) -> Result<(), SignatureError> {
    let signing = |m: String| SignatureError::Signing(m);
    let (authority, target) = url_parts(url)?;
    let lists = |name: &str| components.contains(&name);
    if let Some(body) = body
        && lists("content-digest")
    {
        let name = HeaderName::from_static("content-digest");
        headers.insert(name, to_header_value(content_digest_header(body))?);
    }
    if lists("host") && !headers.contains_key(HOST) {
        headers.insert(HOST, to_header_value(authority.to_owned())?);
    }
    if lists("date") && !headers.contains_key(DATE) {
        headers.insert(DATE, to_header_value(httpdate::fmt_http_date(created))?);
    }
    let created = created
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| signing("`created` is before 1970".into()))?
        .as_secs();
    let alg = match key {
        Rfc9421Key::RsaV15Sha256(_) => "rsa-v1_5-sha256",
        Rfc9421Key::RsaPssSha512(_) => "rsa-pss-sha512",
        Rfc9421Key::Ed25519(_) => "ed25519",
    };
    if !is_sf_string(key_id) || key_id.is_empty() {
        return Err(signing(format!(
            "key id `{key_id}` must be non-empty printable ASCII"
        )));
    }
    let mut items = Vec::with_capacity(components.len());
    for component in components {
        if !is_sf_string(component) || component.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(signing(format!(
                "component `{component}` must be lowercase ASCII"
            )));
        }
        items.push(Item {
            bare: BareItem::String((*component).to_owned()),
            params: vec![],
        });
    }
    let params: Params = vec![
        (
            "created".into(),
            BareItem::Integer(i64::try_from(created).unwrap_or(i64::MAX)),
        ),
        ("keyid".into(), BareItem::String(key_id.to_owned())),
        ("alg".into(), BareItem::String(alg.to_owned())),
    ];
    let signature_params = serialize_inner_list(&items, &params);
    let ctx = Context {
        method,
        scheme: url.scheme(),
        authority: Some(normalize_authority(authority, url.scheme())),
        target,
        headers,
    };
    let names: Vec<String> = components.iter().map(|c| (*c).to_owned()).collect();
    let base = signature_base(&ctx, &names, &signature_params)?;
    let sig = match key {
        Rfc9421Key::RsaV15Sha256(k) => k.sign_pkcs1_sha256(base.as_bytes()),
        Rfc9421Key::RsaPssSha512(k) => k.sign_pss_sha512(base.as_bytes()),
        Rfc9421Key::Ed25519(k) => Ok(k.sign(base.as_bytes())),
    }
    .map_err(|e| signing(e.to_string()))?;
    let input = format!("sig1={signature_params}");
    headers.insert(
        HeaderName::from_static("signature-input"),
        to_header_value(input)?,
    );
    let value = format!("sig1=:{}:", STANDARD.encode(sig));
    headers.insert(
        HeaderName::from_static("signature"),
        to_header_value(value)?,
    );
    Ok(())
}

/// Parses and pre-checks an RFC 9421 signature; `input` is `Signature-Input`.
pub(super) fn parse(req: &Request<'_>, input: &str) -> Result<ParsedSignature, SignatureError> {
    let malformed = |m: String| SignatureError::Malformed(m);
    let signature_header = header_value(req.headers, "signature")?
        .ok_or_else(|| malformed("`Signature-Input` is present but `Signature` is not".into()))?;
    let inputs =
        parse_dictionary(input).map_err(|e| malformed(format!("`Signature-Input`: {e}")))?;
    let signatures =
        parse_dictionary(&signature_header).map_err(|e| malformed(format!("`Signature`: {e}")))?;
    let (label, member, sig_member) = inputs
        .iter()
        .find_map(|(label, member)| {
            let sig = signatures.iter().find(|(l, _)| l == label)?;
            Some((label, member, &sig.1))
        })
        .ok_or_else(|| {
            malformed("no label appears in both `Signature-Input` and `Signature`".into())
        })?;
    let Member::InnerList(items, params) = member else {
        return Err(malformed(format!(
            "`Signature-Input` member `{label}` is not a list"
        )));
    };
    let signature = match sig_member {
        Member::Item(Item {
            bare: BareItem::Bytes(b),
            ..
        }) => check_signature_len(b.clone())?,
        _ => {
            return Err(malformed(format!(
                "`Signature` member `{label}` is not a byte sequence"
            )));
        }
    };
    if items.len() > MAX_COMPONENTS {
        return Err(malformed(format!(
            "more than {MAX_COMPONENTS} covered components"
        )));
    }
    let mut covered: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let BareItem::String(name) = &item.bare else {
            return Err(malformed("a covered component is not a string".into()));
        };
        if !item.params.is_empty() {
            return Err(malformed(format!(
                "component parameters on `{name}` are not supported"
            )));
        }
        if covered.contains(name) {
            return Err(malformed(format!("component `{name}` is listed twice")));
        }
        covered.push(name.clone());
    }

    let (mut key_id, mut algorithm, mut created, mut expires) =
        (None, Algorithm::FromKey, None, None);
    for (name, value) in params {
        match (name.as_str(), value) {
            ("keyid", BareItem::String(k)) => key_id = Some(k.clone()),
            ("alg", BareItem::String(a)) => algorithm = parse_alg(a)?,
            ("created", BareItem::Integer(t)) => created = Some(*t),
            ("expires", BareItem::Integer(t)) => expires = Some(*t),
            ("keyid" | "alg" | "created" | "expires", _) => {
                return Err(malformed(format!(
                    "signature parameter `{name}` has the wrong type"
                )));
            }
            _ => {} // nonce, tag and future parameters carry no check for us
        }
    }
    let key_id = key_id
        .filter(|k| !k.is_empty())
        .ok_or_else(|| malformed("no `keyid` signature parameter".into()))?;

    let content_digest = header_value(req.headers, "content-digest")?;
    match &content_digest {
        Some(value) => check_content_digest(value, req.body)?,
        None if !req.body.is_empty() => return Err(SignatureError::MissingDigest),
        None => {}
    }

    let covers = |name: &str| covered.iter().any(|c| c == name);
    if !covers("@method") {
        return Err(SignatureError::MissingCoverage("@method".into()));
    }
    let binds_host = covers("@authority") || covers("host");
    let binds_path = covers("@path") || covers("@request-target");
    let binds_target = covers("@target-uri") || (binds_path && binds_host);
    if !binds_target {
        let missing = if binds_path {
            "@authority"
        } else {
            "@target-uri"
        };
        return Err(SignatureError::MissingCoverage(missing.into()));
    }
    if !req.body.is_empty() && !covers("content-digest") {
        return Err(SignatureError::MissingCoverage("content-digest".into()));
    }

    let created = created.ok_or_else(|| malformed("no `created` signature parameter".into()))?;
    check_skew("created", unix_time(created, "created")?, req.opts)?;
    if let Some(expires) = expires {
        check_expires(expires, req.opts)?;
    }

    let scheme = req.opts.scheme.to_ascii_lowercase();
    let host = header_value(req.headers, "host")?;
    let ctx = Context {
        method: req.method,
        authority: host.map(|h| normalize_authority(&h, &scheme)),
        scheme: &scheme,
        target: req.path_and_query,
        headers: req.headers,
    };
    let base = signature_base(&ctx, &covered, &serialize_inner_list(items, params))?;
    Ok(ParsedSignature {
        key_id,
        scheme: Scheme::Rfc9421,
        algorithm,
        base: base.into_bytes(),
        signature,
    })
}

fn parse_alg(alg: &str) -> Result<Algorithm, SignatureError> {
    match alg {
        "rsa-v1_5-sha256" => Ok(Algorithm::RsaPkcs1Sha256),
        "rsa-pss-sha512" => Ok(Algorithm::RsaPssSha512),
        "ed25519" => Ok(Algorithm::Ed25519),
        other => Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
    }
}
