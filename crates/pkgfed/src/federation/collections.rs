//! `OrderedCollection`s with cursor-paged `OrderedCollectionPage`s.
//!
//! The collection itself carries `totalItems` and `first`; each page carries
//! `partOf`, its items, and `next` when more remain. Cursors are store ids, so pages
//! are stable while items are added.

use serde_json::{Value, json};

/// How many items a page holds.
pub const PAGE_SIZE: u32 = 50;

/// The collection document (no items; they are on the pages).
pub fn collection(id: &str, total: u64) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": format!("{id}?page=true"),
    })
}

/// One page. `page_id` is the URL it is served at; `next_cursor` the query value of
/// the following page, when there is one.
pub fn page(
    collection_id: &str,
    page_id: &str,
    total: u64,
    items: Vec<Value>,
    next: Option<String>,
) -> Value {
    let mut doc = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": items,
    });
    if let (Some(next), Some(obj)) = (next, doc.as_object_mut()) {
        obj.insert("next".into(), Value::String(next));
    }
    doc
}
