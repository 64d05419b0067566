//! HTML helpers for the documents served to other servers: escaping and links
//! (the people-facing pages are templates, see `web::pages`).

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An `<a>` to an http(s) URL, or the escaped text when it is not one.
pub fn link(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        let e = escape(url);
        format!(r#"<a href="{e}" rel="me nofollow noopener noreferrer" target="_blank">{e}</a>"#)
    } else {
        escape(url)
    }
}
