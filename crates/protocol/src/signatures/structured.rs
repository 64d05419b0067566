//! The slice of RFC 8941 structured fields that RFC 9421 and `Content-Digest` need:
//! dictionaries whose members are items or inner lists, with parameters.
//!
//! Parsing follows the RFC 8941 §4.2 algorithms step by step, so anything a
//! conforming signer emits is accepted and anything else fails with a message.
//! Serialisation is canonical (§4.1), which is what the `@signature-params`
//! line of an RFC 9421 signature base must contain. Decimals are never used by
//! these fields and are rejected rather than half-supported.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

/// Byte sequences are padded base64, but RFC 8941 §4.2.7 asks parsers to be
/// lenient about padding, so decode either way.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A bare item (RFC 8941 §3.3) minus decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BareItem {
    Integer(i64),
    String(String),
    Token(String),
    Bytes(Vec<u8>),
    Boolean(bool),
}

/// Ordered parameters; later duplicates replace earlier ones in place (§4.2.3.2).
pub(crate) type Params = Vec<(String, BareItem)>;

/// An item with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) bare: BareItem,
    pub(crate) params: Params,
}

/// A dictionary member value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Member {
    Item(Item),
    InnerList(Vec<Item>, Params),
}

/// An ordered dictionary.
pub(crate) type Dictionary = Vec<(String, Member)>;

/// Parses a dictionary field value (several field lines already joined with ", ").
pub(crate) fn parse_dictionary(input: &str) -> Result<Dictionary, String> {
    let mut p = Parser {
        s: input.as_bytes(),
        pos: 0,
    };
    p.skip_sp();
    let mut dict: Dictionary = Vec::new();
    while !p.done() {
        let key = p.key()?;
        let member = if p.eat(b'=') {
            if p.peek() == Some(b'(') {
                let (items, params) = p.inner_list()?;
                Member::InnerList(items, params)
            } else {
                Member::Item(p.item()?)
            }
        } else {
            Member::Item(Item {
                bare: BareItem::Boolean(true),
                params: p.params()?,
            })
        };
        match dict.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = member,
            None => dict.push((key, member)),
        }
        p.skip_ows();
        if p.done() {
            return Ok(dict);
        }
        if !p.eat(b',') {
            return Err(format!("expected `,` at byte {}", p.pos));
        }
        p.skip_ows();
        if p.done() {
            return Err("trailing comma".into());
        }
    }
    Ok(dict)
}

/// Serialises an inner list with its parameters, e.g. `("@method");created=1`.
pub(crate) fn serialize_inner_list(items: &[Item], params: &Params) -> String {
    let mut out = String::from("(");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        serialize_bare(&mut out, &item.bare);
        serialize_params(&mut out, &item.params);
    }
    out.push(')');
    serialize_params(&mut out, params);
    out
}

fn serialize_params(out: &mut String, params: &Params) {
    for (key, value) in params {
        out.push(';');
        out.push_str(key);
        if *value != BareItem::Boolean(true) {
            out.push('=');
            serialize_bare(out, value);
        }
    }
}

fn serialize_bare(out: &mut String, bare: &BareItem) {
    match bare {
        BareItem::Integer(i) => out.push_str(&i.to_string()),
        BareItem::String(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        BareItem::Token(t) => out.push_str(t),
        BareItem::Bytes(b) => {
            out.push(':');
            out.push_str(&STANDARD.encode(b));
            out.push(':');
        }
        BareItem::Boolean(b) => out.push_str(if *b { "?1" } else { "?0" }),
    }
}

/// Whether `s` can be serialised as an sf-string (printable ASCII only).
pub(crate) fn is_sf_string(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        // Every predicate used here accepts ASCII only, so this cannot fail.
        std::str::from_utf8(&self.s[start..self.pos]).unwrap_or_default()
    }

    fn key(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => {}
            _ => return Err(format!("expected a lowercase key at byte {}", self.pos)),
        }
        let key = self.take_while(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.' | b'*')
        });
        Ok(key.to_owned())
    }

    fn inner_list(&mut self) -> Result<(Vec<Item>, Params), String> {
        self.eat(b'(');
        let mut items = Vec::new();
        loop {
            self.skip_sp();
            if self.eat(b')') {
                return Ok((items, self.params()?));
            }
            if self.done() {
                return Err("unterminated inner list".into());
            }
            items.push(self.item()?);
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return Err(format!("expected space or `)` at byte {}", self.pos));
            }
        }
    }

    fn item(&mut self) -> Result<Item, String> {
        let bare = self.bare_item()?;
        Ok(Item {
            bare,
            params: self.params()?,
        })
    }

    fn params(&mut self) -> Result<Params, String> {
        let mut params: Params = Vec::new();
        while self.eat(b';') {
            self.skip_sp();
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            match params.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => params.push((key, value)),
            }
        }
        Ok(params)
    }

    fn bare_item(&mut self) -> Result<BareItem, String> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.integer(),
            Some(b'"') => self.string(),
            Some(b':') => self.bytes(),
            Some(b'?') => self.boolean(),
            Some(b) if b.is_ascii_alphabetic() || b == b'*' => {
                let token = self
                    .take_while(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b));
                Ok(BareItem::Token(token.to_owned()))
            }
            _ => Err(format!("expected a value at byte {}", self.pos)),
        }
    }

    fn integer(&mut self) -> Result<BareItem, String> {
        let negative = self.eat(b'-');
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() || digits.len() > 15 {
            return Err(format!(
                "integer must have 1 to 15 digits, at byte {}",
                self.pos
            ));
        }
        let value: i64 = digits
            .parse()
            .map_err(|_| "integer out of range".to_string())?;
        if self.peek() == Some(b'.') {
            return Err("decimal values are not supported here".into());
        }
        Ok(BareItem::Integer(if negative { -value } else { value }))
    }

    fn string(&mut self) -> Result<BareItem, String> {
        self.eat(b'"');
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err("unterminated string".into());
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(BareItem::String(out)),
                b'\\' => match self.peek() {
                    Some(c @ (b'"' | b'\\')) => {
                        self.pos += 1;
                        out.push(char::from(c));
                    }
                    _ => return Err("invalid escape in string".into()),
                },
                0x20..=0x7e => out.push(char::from(b)),
                _ => return Err(format!("non-printable byte in string at {}", self.pos - 1)),
            }
        }
    }

    fn bytes(&mut self) -> Result<BareItem, String> {
        self.eat(b':');
        let b64 = self.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        let decoded = LENIENT_BASE64
            .decode(b64)
            .map_err(|e| format!("bad base64: {e}"))?;
        if !self.eat(b':') {
            return Err("unterminated byte sequence".into());
        }
        Ok(BareItem::Bytes(decoded))
    }

    fn boolean(&mut self) -> Result<BareItem, String> {
        self.eat(b'?');
        let value = match self.peek() {
            Some(b'0') => false,
            Some(b'1') => true,
            _ => return Err("boolean must be ?0 or ?1".into()),
        };
        self.pos += 1;
        Ok(BareItem::Boolean(value))
    }
}

/// Base64 decoding for the signature and digest values of draft-cavage headers,
/// which real senders emit both with and without padding.
pub(crate) fn decode_base64_lenient(s: &str) -> Option<Vec<u8>> {
    LENIENT_BASE64.decode(s).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inner(dict: &Dictionary, key: &str) -> (Vec<Item>, Params) {
        match &dict.iter().find(|(k, _)| k == key).unwrap().1 {
            Member::InnerList(items, params) => (items.clone(), params.clone()),
            Member::Item(_) => panic!("not an inner list"),
        }
    }

    #[test]
    fn signature_input_parses_and_reserialises_canonically() {
        let raw = r#"sig1=("@method"  "@target-uri" "content-digest");created=1618884473;keyid="k\"1";alg="ed25519", sig2=("x");tag=tok"#;
        let dict = parse_dictionary(raw).unwrap();
        assert_eq!(dict.len(), 2);
        let (items, params) = inner(&dict, "sig1");
        assert_eq!(items.len(), 3);
        assert_eq!(
            params[0],
            ("created".into(), BareItem::Integer(1_618_884_473))
        );
        assert_eq!(params[1], ("keyid".into(), BareItem::String("k\"1".into())));
        assert_eq!(
            serialize_inner_list(&items, &params),
            r#"("@method" "@target-uri" "content-digest");created=1618884473;keyid="k\"1";alg="ed25519""#
        );
        let (_, p2) = inner(&dict, "sig2");
        assert_eq!(p2[0].1, BareItem::Token("tok".into()));
    }

    #[test]
    fn byte_sequences_booleans_and_duplicates() {
        let dict = parse_dictionary("sha-256=:AAEC:, flag, sha-256=:AAE=:;x=?0").unwrap();
        assert_eq!(
            dict.len(),
            2,
            "a repeated key replaces the earlier value in place"
        );
        assert_eq!(dict[0].0, "sha-256");
        let Member::Item(item) = &dict[0].1 else {
            panic!()
        };
        assert_eq!(item.bare, BareItem::Bytes(vec![0, 1]));
        assert_eq!(item.params, vec![("x".into(), BareItem::Boolean(false))]);
        assert_eq!(
            dict[1].1,
            Member::Item(Item {
                bare: BareItem::Boolean(true),
                params: vec![]
            })
        );
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        for bad in [
            "Sig1=()",
            "a=(\"x\"",
            "a=\"unterminated",
            "a=:not base64!:",
            "a=1.5",
            "a=1234567890123456",
            "a=1,",
            "a=1 b=2",
            "a=?2",
            "a=\"bad\\escape\"",
            "a=(\"x\"\"y\")",
            "a=\u{e9}",
        ] {
            assert!(parse_dictionary(bad).is_err(), "{bad:?} should fail");
        }
        assert_eq!(parse_dictionary("").unwrap(), vec![]);
    }
}
