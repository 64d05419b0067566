//! Minimal HTML helpers: escaping and the package's human page.

use crate::federation::urls::Urls;
use crate::store::Package;

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

/// The simple HTML page a browser gets for a package actor.
pub fn package_page(urls: &Urls, package: &Package, followers: u64) -> String {
    let name = escape(
        package
            .meta
            .display_name
            .as_deref()
            .unwrap_or(&package.name),
    );
    let handle = escape(&format!("@{}@{}", package.handle, urls.host()));
    let description = package
        .meta
        .description
        .as_deref()
        .map(escape)
        .unwrap_or_default();
    let mut facts = format!(
        "<dt>Ecosystem</dt><dd>{}</dd><dt>Package URL</dt><dd><code>{}</code></dd>",
        package.ecosystem,
        escape(&package.purl)
    );
    for (label, value) in [
        ("Homepage", &package.meta.homepage),
        ("Repository", &package.meta.repository),
        ("Licence", &package.meta.license),
    ] {
        if let Some(v) = value {
            facts.push_str(&format!("<dt>{label}</dt><dd>{}</dd>", link(v)));
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name} — pkgfed</title>\
         <link rel=\"alternate\" type=\"application/activity+json\" href=\"{actor}\">\
         <meta name=\"viewport\" content=\"width=device-width\"></head>\
         <body><main><h1>{name}</h1><p>{description}</p>\
         <p>Follow <strong>{handle}</strong> from your fediverse account to see every release.</p>\
         <dl>{facts}<dt>Followers</dt><dd>{followers}</dd></dl></main></body></html>\n",
        actor = escape(&urls.actor(&package.handle)),
    )
}
