//! RFC 9421 components: the values of derived components (`@method`,
//! `@target-uri`, …) and header fields, and the signature base built from them.
//!
//! Signing and verifying both go through [`signature_base`], so the bytes a
//! signer produces and the bytes a verifier rebuilds cannot drift apart; the
//! RFC's own test vector below pins them to the specification.

use http::HeaderMap;

use super::{SignatureError, header_value};

/// The request as the derived components see it.
pub(super) struct Context<'a> {
    pub(super) method: &'a http::Method,
    /// Lowercase scheme.
    pub(super) scheme: &'a str,
    /// Normalised authority; `None` when the request has no `Host`.
    pub(super) authority: Option<String>,
    /// Origin-form target: path plus optional `?query`.
    pub(super) target: &'a str,
    pub(super) headers: &'a HeaderMap,
}

impl Context<'_> {
    fn authority(&self) -> Result<&str, SignatureError> {
        self.authority
            .as_deref()
            .ok_or_else(|| SignatureError::MissingHeader("host".into()))
    }

    /// The value of one component (RFC 9421 §2.1 and §2.2).
    fn component(&self, name: &str) -> Result<String, SignatureError> {
        let (path, query) = match self.target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (self.target, None),
        };
        Ok(match name {
            "@method" => self.method.as_str().to_owned(),
            "@target-uri" => format!("{}://{}{}", self.scheme, self.authority()?, self.target),
            "@authority" => self.authority()?.to_owned(),
            "@scheme" => self.scheme.to_owned(),
            "@request-target" => self.target.to_owned(),
            "@path" if path.is_empty() => "/".to_owned(),
            "@path" => path.to_owned(),
            "@query" => format!("?{}", query.unwrap_or_default()),
            derived if derived.starts_with('@') => {
                return Err(SignatureError::Malformed(format!(
                    "derived component `{derived}` is not supported"
                )));
            }
            header => header_value(self.headers, header)?
                .ok_or_else(|| SignatureError::MissingHeader(header.to_owned()))?,
        })
    }
}

/// Builds the signature base (§2.5).
pub(super) fn signature_base(
    ctx: &Context<'_>,
    covered: &[String],
    signature_params: &str,
) -> Result<String, SignatureError> {
    let mut base = String::new();
    for name in covered {
        let value = ctx.component(name)?;
        if value.contains('\n') {
            return Err(SignatureError::Malformed(format!(
                "value of `{name}` has a newline"
            )));
        }
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {signature_params}"));
    Ok(base)
}

/// Lowercases an authority and drops the scheme's default port (§2.2.3).
pub(super) fn normalize_authority(authority: &str, scheme: &str) -> String {
    let lower = authority.to_ascii_lowercase();
    let default_port = match scheme {
        "https" => ":443",
        "http" => ":80",
        _ => return lower,
    };
    match lower.strip_suffix(default_port) {
        Some(stripped) => stripped.to_owned(),
        None => lower,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use http::header::{DATE, HOST};

    use super::*;
    use crate::keys::PublicKey;
    use crate::signatures::structured::{BareItem, Member, parse_dictionary, serialize_inner_list};

    #[test]
    fn authority_is_normalised() {
        assert_eq!(
            normalize_authority("Example.COM:443", "https"),
            "example.com"
        );
        assert_eq!(
            normalize_authority("example.com:8443", "https"),
            "example.com:8443"
        );
        assert_eq!(normalize_authority("example.com:80", "http"), "example.com");
        assert_eq!(normalize_authority("[::1]:443", "https"), "[::1]");
    }

    /// RFC 9421 Appendix B.2.6 (ed25519 over the spec's test request), checked
    /// byte for byte against the published key and signature.
    #[test]
    fn rfc9421_appendix_b26_vector() {
        let public_pem = "-----BEGIN PUBLIC KEY-----\n\
            MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n\
            -----END PUBLIC KEY-----\n";
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "example.com".parse().unwrap());
        headers.insert(DATE, "Tue, 20 Apr 2021 02:07:55 GMT".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("content-length", "18".parse().unwrap());
        let input = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
        let dict = parse_dictionary(input).unwrap();
        let Member::InnerList(items, params) = &dict[0].1 else {
            panic!()
        };
        let covered: Vec<String> = items
            .iter()
            .map(|i| match &i.bare {
                BareItem::String(s) => s.clone(),
                _ => panic!(),
            })
            .collect();
        let method = http::Method::POST;
        let ctx = Context {
            method: &method,
            scheme: "https",
            authority: Some("example.com".into()),
            target: "/foo?param=Value&Pet=dog",
            headers: &headers,
        };
        let base = signature_base(&ctx, &covered, &serialize_inner_list(items, params)).unwrap();
        assert_eq!(
            base,
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\
             \"@authority\": example.com\n\"content-type\": application/json\n\
             \"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \
             \"@authority\" \"content-type\" \"content-length\");created=1618884473;\
             keyid=\"test-key-ed25519\""
        );
        let sig = STANDARD
            .decode("wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==")
            .unwrap();
        let key = PublicKey::from_pem(public_pem).unwrap();
        key.verify_ed25519(base.as_bytes(), &sig).unwrap();
    }

    #[test]
    fn derived_components() {
        let headers = HeaderMap::new();
        let method = http::Method::GET;
        let ctx = Context {
            method: &method,
            scheme: "https",
            authority: Some("a.example".into()),
            target: "/p/q?x=1&y",
            headers: &headers,
        };
        let get = |n: &str| ctx.component(n).unwrap();
        assert_eq!(get("@method"), "GET");
        assert_eq!(get("@target-uri"), "https://a.example/p/q?x=1&y");
        assert_eq!(get("@authority"), "a.example");
        assert_eq!(get("@scheme"), "https");
        assert_eq!(get("@request-target"), "/p/q?x=1&y");
        assert_eq!(get("@path"), "/p/q");
        assert_eq!(get("@query"), "?x=1&y");
        let bare = Context {
            target: "/",
            authority: None,
            ..ctx
        };
        assert_eq!(bare.component("@query").unwrap(), "?");
        assert_eq!(
            bare.component("@target-uri"),
            Err(SignatureError::MissingHeader("host".into()))
        );
        assert!(matches!(
            ctx.component("@status"),
            Err(SignatureError::Malformed(_))
        ));
        assert_eq!(
            ctx.component("digest"),
            Err(SignatureError::MissingHeader("digest".into()))
        );
        // Names that cannot be header names are simply absent, never a panic.
        assert_eq!(
            ctx.component("bad name\""),
            Err(SignatureError::MissingHeader("bad name\"".into()))
        );
    }
}
