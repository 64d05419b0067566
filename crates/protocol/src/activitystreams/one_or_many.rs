//! A property that may hold one value or an array of them.
//!
//! ActivityStreams lets any non-functional property be either; servers differ
//! (Mastodon sends `"to": [..]`, others send `"to": "..."`), so typed structs use
//! this instead of `Vec<T>` and never care which form arrived.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// one-or-many: JSON value that may be a single item or an array
///
/// Deserializes from a single item, an array, or `null` (empty). Pair with
/// `#[serde(default)]` for properties that may be absent. Serializes as a
/// single item when it holds exactly one, as an array otherwise.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> OneOrMany<T> {
    /// The items, in document order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The first item, if any: what "functional" readers want.
    pub fn first(&self) -> Option<&T> {
        self.0.first()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The items as a vector.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(items: Vec<T>) -> Self {
        Self(items)
    }
}

impl<T> IntoIterator for OneOrMany<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The two wire forms. `Many` is tried first so that an array is never taken
/// as one item, even when `T` could itself be an array (e.g. `Value`).
#[derive(Deserialize)]
#[serde(untagged, expecting = "a single value or an array of values")]
enum Wire<T> {
    Many(Vec<T>),
    One(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self(match Option::<Wire<T>>::deserialize(deserializer)? {
            None => Vec::new(),
            Some(Wire::Many(items)) => items,
            Some(Wire::One(item)) => vec![item],
        }))
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [single] => single.serialize(serializer),
            items => items.serialize(serializer),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct Addressed {
        #[serde(default)]
        to: OneOrMany<String>,
    }

    #[test]
    fn single_array_null_and_absent_all_deserialize() {
        let parse = |value: Value| serde_json::from_value::<Addressed>(value).unwrap().to.0;
        assert_eq!(
            parse(json!({"to": "https://a.example/u"})),
            ["https://a.example/u"]
        );
        assert_eq!(
            parse(json!({"to": ["https://a.example/u", "as:Public"]})),
            ["https://a.example/u", "as:Public"]
        );
        assert!(parse(json!({"to": []})).is_empty());
        assert!(parse(json!({"to": null})).is_empty());
        assert!(parse(json!({})).is_empty());
    }

    #[test]
    fn wrong_item_type_is_a_clear_error() {
        let error = serde_json::from_value::<Addressed>(json!({"to": 42})).unwrap_err();
        assert!(
            error.to_string().contains("a single value or an array"),
            "{error}"
        );
    }

    #[test]
    fn array_of_values_is_many_not_one() {
        let many: OneOrMany<Value> = serde_json::from_value(json!([1, 2])).unwrap();
        assert_eq!(many.0, [json!(1), json!(2)]);
        let nested: OneOrMany<Value> = serde_json::from_value(json!([[1, 2]])).unwrap();
        assert_eq!(nested.0, [json!([1, 2])]);
    }

    #[test]
    fn serializes_single_item_bare_and_others_as_array() {
        let one = OneOrMany(vec!["x".to_owned()]);
        assert_eq!(serde_json::to_value(&one).unwrap(), json!("x"));
        let two = OneOrMany(vec!["x".to_owned(), "y".to_owned()]);
        assert_eq!(serde_json::to_value(&two).unwrap(), json!(["x", "y"]));
        let none: OneOrMany<String> = OneOrMany::default();
        assert_eq!(serde_json::to_value(&none).unwrap(), json!([]));
    }

    #[test]
    fn accessors() {
        let items = OneOrMany::from(vec![1, 2, 3]);
        assert_eq!(items.first(), Some(&1));
        assert_eq!(items.iter().sum::<i32>(), 6);
        assert_eq!((&items).into_iter().count(), 3);
        assert!(!items.is_empty());
        assert_eq!(items.into_vec(), [1, 2, 3]);
    }
}
