//! Step 1, before the JSON is built: the body's nesting depth and number of values
//! are within `limits.json_max_depth` and `limits.json_max_elements`.
//!
//! Checked by a serde visitor that walks the text and keeps nothing, stopping at the
//! first value past a bound, so a hostile body (a megabyte of `[[[[` or of `0,`) costs
//! a scan and no allocation instead of a tree hundreds of times its size. Only then
//! is the body parsed into a value and interpreted. A real Mastodon `Create{Note}`
//! (an `@context` array, tags, attachments) nests 5 deep with a few hundred values.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::inbound::error::{InboundError, Result};

/// The bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonLimits {
    /// Deepest nesting of arrays and objects (the top-level object is depth 1).
    pub max_depth: usize,
    /// Most values in the document, containers and scalars alike (object keys are
    /// not counted).
    pub max_elements: usize,
}

impl Default for JsonLimits {
    /// The `[limits]` defaults.
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_elements: 10_000,
        }
    }
}

/// What went over a bound (the message names the key to raise).
const DEPTH: &str = "json depth";
const ELEMENTS: &str = "json elements";

/// Refuses `body` (400) when it nests deeper or holds more values than `limits`.
/// Malformed JSON is left for the parse step to report.
pub fn check(body: &[u8], limits: &JsonLimits) -> Result<()> {
    let counter = Counter {
        limits: *limits,
        elements: Cell::new(0),
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    // serde_json's own recursion guard (128) is far above any sane bound; ours
    // stops earlier, so it need not be disabled.
    match (Walk {
        counter: &counter,
        depth: 0,
    })
    .deserialize(&mut de)
    {
        Ok(()) => Ok(()),
        Err(e) => {
            let text = e.to_string();
            if text.starts_with(DEPTH) {
                Err(InboundError::BadRequest(format!(
                    "the activity nests arrays and objects deeper than {} levels (limits.json_max_depth)",
                    limits.max_depth
                )))
            } else if text.starts_with(ELEMENTS) {
                Err(InboundError::BadRequest(format!(
                    "the activity has more than {} JSON values (limits.json_max_elements)",
                    limits.max_elements
                )))
            } else {
                // Not JSON (or trailing data): the parse step says what is wrong.
                Ok(())
            }
        }
    }
}

struct Counter {
    limits: JsonLimits,
    elements: Cell<usize>,
}

impl Counter {
    fn one<E: de::Error>(&self) -> std::result::Result<(), E> {
        let n = self.elements.get() + 1;
        self.elements.set(n);
        if n > self.limits.max_elements {
            return Err(E::custom(ELEMENTS));
        }
        Ok(())
    }
}

/// Walks one value at `depth` (of its container).
#[derive(Clone, Copy)]
struct Walk<'a> {
    counter: &'a Counter,
    depth: usize,
}

impl Walk<'_> {
    fn enter<E: de::Error>(self) -> std::result::Result<Self, E> {
        self.counter.one()?;
        let depth = self.depth + 1;
        if depth > self.counter.limits.max_depth {
            return Err(E::custom(DEPTH));
        }
        Ok(Self {
            counter: self.counter,
            depth,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! scalar {
    ($($name:ident: $t:ty),*) => {$(
        fn $name<E: de::Error>(self, _: $t) -> std::result::Result<(), E> {
            self.counter.one()
        }
    )*};
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalar!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        self.counter.one()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let inner = self.enter()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let inner = self.enter()?;
        while map.next_key::<de::IgnoredAny>()?.is_some() {
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTODON_CREATE: &str = r##"{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","inReplyToAtomUri":"ostatus:inReplyToAtomUri","conversation":"ostatus:conversation","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#","votersCount":"toot:votersCount","blurhash":"toot:blurhash","focalPoint":{"@container":"@list","@id":"toot:focalPoint"},"Hashtag":"as:Hashtag"}],"id":"https://m.example/users/a/statuses/1/activity","type":"Create","actor":"https://m.example/users/a","published":"2024-01-01T00:00:00Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://m.example/users/a/followers"],"object":{"id":"https://m.example/users/a/statuses/1","type":"Note","summary":null,"inReplyTo":null,"content":"<p>hi #rust</p>","attachment":[{"type":"Document","mediaType":"image/png","url":"https://m.example/a.png","name":null,"blurhash":"UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH","focalPoint":[0.0,0.0],"width":640,"height":480}],"tag":[{"type":"Hashtag","href":"https://m.example/tags/rust","name":"#rust"}],"replies":{"id":"https://m.example/users/a/statuses/1/replies","type":"Collection","first":{"type":"CollectionPage","next":"https://m.example/users/a/statuses/1/replies?page=true","partOf":"https://m.example/users/a/statuses/1/replies","items":[]}}},"signature":{"type":"RsaSignature2017","creator":"https://m.example/users/a#main-key","created":"2024-01-01T00:00:00Z","signatureValue":"abc"}}"##;

    #[test]
    fn a_mastodon_create_passes_the_defaults() {
        assert!(check(MASTODON_CREATE.as_bytes(), &JsonLimits::default()).is_ok());
    }

    /// The recorded payloads of real servers (the protocol crate's fixtures).
    #[test]
    fn recorded_payloads_of_real_servers_pass_the_defaults() {
        for (name, text) in [
            (
                "mastodon_create_note",
                include_str!(
                    "../../../protocol/src/activitystreams/fixtures/mastodon_create_note.json"
                ),
            ),
            (
                "mastodon_undo_follow",
                include_str!(
                    "../../../protocol/src/activitystreams/fixtures/mastodon_undo_follow.json"
                ),
            ),
            (
                "misskey_follow",
                include_str!("../../../protocol/src/activitystreams/fixtures/misskey_follow.json"),
            ),
            (
                "pleroma_announce",
                include_str!(
                    "../../../protocol/src/activitystreams/fixtures/pleroma_announce.json"
                ),
            ),
            (
                "mastodon_actor",
                include_str!("../../../protocol/src/activitystreams/fixtures/mastodon_actor.json"),
            ),
        ] {
            assert!(
                check(text.as_bytes(), &JsonLimits::default()).is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn too_deep_is_refused_naming_the_key() {
        let limits = JsonLimits {
            max_depth: 4,
            max_elements: 1000,
        };
        assert!(check(br#"{"a":[{"b":[1]}]}"#, &limits).is_ok());
        let err = check(br#"{"a":[{"b":[[1]]}]}"#, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("limits.json_max_depth"), "{err}");
        // Far deeper than serde_json's own guard: still our answer, not a parse error.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = check(deep.as_bytes(), &JsonLimits::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("deeper than 32"), "{err}");
    }

    #[test]
    fn too_many_values_are_refused_naming_the_key() {
        let limits = JsonLimits {
            max_depth: 32,
            max_elements: 5,
        };
        // object + array + 3 numbers = 5
        assert!(check(br#"{"a":[1,2,3]}"#, &limits).is_ok());
        let err = check(br#"{"a":[1,2,3],"b":null}"#, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("more than 5 JSON values"), "{err}");
    }

    #[test]
    fn malformed_json_is_left_to_the_parser() {
        assert!(check(b"{nope", &JsonLimits::default()).is_ok());
    }
}
