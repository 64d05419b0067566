//! The advisory post: a content-warned `Note` replying to the post of the newest
//! affected release, from the package actor to its followers.
//!
//! Its id is `<actor>/advisories/<advisory id>` (stable: an `Update` revises it, a
//! `Delete` withdraws it). `summary` is what Mastodon shows as the content warning.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::release::{hashtag, hashtags, versioned_purl};
use crate::federation::activities::{Note, hashtag_paragraph};
use crate::federation::html::escape;
use crate::federation::urls::Urls;
use crate::store::Package;

/// Characters kept as they are in an advisory id path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_');

/// What an advisory post says about one package.
#[derive(Clone, Debug, Default)]
pub struct AdvisoryFacts {
    /// The advisory's id (`RUSTSEC-2026-0001`, `GHSA-…`, `PYSEC-…`).
    pub id: String,
    /// Other ids of the same advisory (CVE, GHSA…).
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Affected ranges as text (`>= 1.0.0, < 1.0.217`), one per range.
    pub affected: Vec<String>,
    /// Versions that fix it.
    pub fixed: Vec<String>,
    /// CVSS vector, when given.
    pub cvss_vector: Option<String>,
    /// CVSS base score, when known.
    pub cvss_score: Option<f64>,
    /// Reference links.
    pub references: Vec<String>,
    /// When the advisory was published (RFC 3339), if known.
    pub published: Option<String>,
    /// When it was last modified (RFC 3339): a post's revision.
    pub modified: Option<String>,
}

/// The Note's id.
pub fn advisory_note_id(urls: &Urls, package: &Package, advisory_id: &str) -> String {
    format!(
        "{}/advisories/{}",
        urls.actor(&package.handle),
        utf8_percent_encode(advisory_id, SEGMENT)
    )
}

fn http(u: &str) -> bool {
    u.starts_with("https://") || u.starts_with("http://")
}

/// The advisory Note for `package`, replying to `in_reply_to` (the post of the
/// newest affected release pkgfed announced) when there is one.
pub fn advisory_note(
    urls: &Urls,
    package: &Package,
    f: &AdvisoryFacts,
    in_reply_to: Option<&str>,
) -> Value {
    let actor = urls.actor(&package.handle);
    let id = advisory_note_id(urls, package, &f.id);
    let mut content = format!(
        "<p>Security advisory for <strong>{}</strong>: {}</p>",
        escape(&package.name),
        escape(&f.id)
    );
    if let Some(s) = f.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        content.push_str(&format!("<p>{}</p>", escape(s.trim())));
    }
    if !f.affected.is_empty() {
        content.push_str(&format!(
            "<p>Affected: {}</p>",
            escape(&f.affected.join("; "))
        ));
    }
    content.push_str(&if f.fixed.is_empty() {
        "<p>Fixed in: no fixed version yet</p>".to_owned()
    } else {
        format!("<p>Fixed in: {}</p>", escape(&f.fixed.join(", ")))
    });
    if !f.aliases.is_empty() {
        content.push_str(&format!(
            "<p>Aliases: {}</p>",
            escape(&f.aliases.join(", "))
        ));
    }
    match (f.cvss_score, f.cvss_vector.as_deref()) {
        (Some(score), Some(v)) => {
            content.push_str(&format!("<p>Severity: {score:.1} ({})</p>", escape(v)))
        }
        (None, Some(v)) => content.push_str(&format!("<p>Severity: {}</p>", escape(v))),
        (Some(score), None) => content.push_str(&format!("<p>Severity: {score:.1}</p>")),
        (None, None) => {}
    }
    let links: Vec<String> = f
        .references
        .iter()
        .filter(|u| http(u))
        .take(8)
        .map(|u| {
            format!(
                r#"<a href="{0}" rel="nofollow noopener noreferrer" target="_blank">{0}</a>"#,
                escape(u)
            )
        })
        .collect();
    if !links.is_empty() {
        content.push_str(&format!("<p>{}</p>", links.join("<br>")));
    }
    let mut tags = vec!["security".to_owned(), "advisory".to_owned()];
    for t in [
        package.ecosystem.as_str().to_owned(),
        hashtag(&package.name),
    ] {
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t);
        }
    }
    let tags = hashtags(urls, &tags);
    content.push_str(&hashtag_paragraph(&tags));
    let mut attachment = vec![("Advisory".to_owned(), f.id.clone())];
    if !f.aliases.is_empty() {
        attachment.push(("Aliases".to_owned(), f.aliases.join(", ")));
    }
    attachment.push((
        "Fixed in".to_owned(),
        if f.fixed.is_empty() {
            "none yet".to_owned()
        } else {
            f.fixed
                .iter()
                .map(|v| versioned_purl(package, v))
                .collect::<Vec<_>>()
                .join(", ")
        },
    ));
    let updated = match (f.modified.as_deref(), f.published.as_deref()) {
        (Some(m), Some(p)) if m != p => Some(m.to_owned()),
        _ => None,
    };
    Note {
        url: id.clone(),
        id,
        actor,
        followers: urls.actor_sub(&package.handle, "followers"),
        content_warning: Some(format!("Security advisory: {}", f.id)),
        content,
        published: f.published.clone().or_else(|| f.modified.clone()),
        updated,
        in_reply_to: in_reply_to.map(str::to_owned),
        tags,
        attachment,
    }
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PackageMeta;
    use pkgfed_registries::Ecosystem;

    #[test]
    fn advisory_note_is_a_content_warned_reply_with_the_facts() {
        let urls = Urls::new(&url::Url::parse("https://pkgs.example.org").unwrap());
        let p = Package {
            id: 1,
            ecosystem: Ecosystem::Cargo,
            name_key: "serde".into(),
            name: "serde".into(),
            handle: "serde".into(),
            purl: "pkg:cargo/serde".into(),
            meta: PackageMeta::default(),
            private_key_pem: String::new(),
            public_key_pem: String::new(),
            created_at: 0,
        };
        let f = AdvisoryFacts {
            id: "RUSTSEC-2026-0001".into(),
            aliases: vec!["CVE-2026-1234".into(), "GHSA-aaaa-bbbb-cccc".into()],
            summary: Some("Buffer <overflow> in deserialize".into()),
            affected: vec![">= 1.0.0, < 1.0.217".into()],
            fixed: vec!["1.0.217".into()],
            cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            cvss_score: Some(9.8),
            references: vec![
                "https://advisories.test/RUSTSEC-2026-0001".into(),
                "javascript:x".into(),
            ],
            published: Some("2026-11-20T00:00:00Z".into()),
            modified: Some("2026-11-21T00:00:00Z".into()),
        };
        let reply_to = "https://pkgs.example.org/packages/serde/releases/1.0.216";
        let note = advisory_note(&urls, &p, &f, Some(reply_to));
        assert_eq!(
            note["id"],
            "https://pkgs.example.org/packages/serde/advisories/RUSTSEC-2026-0001"
        );
        assert_eq!(note["sensitive"], true);
        assert_eq!(note["summary"], "Security advisory: RUSTSEC-2026-0001");
        assert_eq!(note["inReplyTo"], reply_to);
        let content = note["content"].as_str().unwrap();
        assert!(content.contains("Buffer &lt;overflow&gt;"), "{content}");
        assert!(content.contains("Fixed in: 1.0.217"));
        assert!(content.contains("CVE-2026-1234"));
        assert!(content.contains("9.8 (CVSS:3.1/"));
        assert!(content.contains("https://advisories.test/RUSTSEC-2026-0001"));
        assert!(!content.contains("javascript:"));
        let names: Vec<_> = note["tag"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["#security", "#advisory", "#cargo", "#serde"]);
        let props: Vec<_> = note["attachment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["name"].as_str().unwrap(), a["value"].as_str().unwrap()))
            .collect();
        assert_eq!(
            props,
            [
                ("Advisory", "RUSTSEC-2026-0001"),
                ("Aliases", "CVE-2026-1234, GHSA-aaaa-bbbb-cccc"),
                ("Fixed in", "pkg:cargo/serde@1.0.217"),
            ]
        );
        assert_eq!(note["updated"], "2026-11-21T00:00:00Z");
        // No announced affected release: no inReplyTo.
        assert!(
            advisory_note(&urls, &p, &f, None)
                .get("inReplyTo")
                .is_none()
        );
    }
}
