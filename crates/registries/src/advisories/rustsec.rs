//! RustSec-style advisories: a Markdown file that opens with a ```` ```toml ````
//! fenced block of metadata, followed by a `# ` heading (the summary) and the
//! description (the details).
//!
//! ````text
//! ```toml
//! [advisory]
//! id = "RUSTSEC-2099-0001"
//! package = "smallvec"
//! date = "2099-01-15"
//! url = "https://issues.example.invalid/smallvec/1"
//! categories = ["memory-corruption"]
//! aliases = ["CVE-2099-0001"]
//! cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
//!
//! [versions]
//! patched = [">= 1.6.1", "^0.6.14"]
//! unaffected = ["< 0.6.10"]
//!
//! [affected]
//! functions = { "smallvec::SmallVec::insert_many" = ["< 1.6.1"] }
//! ```
//!
//! # Buffer overflow in SmallVec::insert_many
//!
//! A bug in `insert_many` …
//! ````
//!
//! The result is an [`Advisory`] for the crate (OSV ecosystem `crates.io`) whose
//! affected versions are [`SemverRequirements`]: every version that matches
//! no `patched` and no `unaffected` requirement. `published` is `date`;
//! `modified` is the later of `date` and `withdrawn` (RustSec files carry no
//! modification time). `url` becomes a `REPORT` reference, `references` `WEB`
//! ones; `categories`, `keywords`, `informational` and `license` go to
//! `database_specific` (so [`Advisory::informational`] works), and the
//! `[affected]` table (functions, os, arch) to the package entry's
//! `ecosystem_specific.affected`. The older format's `title` and `description`
//! keys stand in for a missing heading and text.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::model::{
    Advisory, AdvisoryError, Affected, AffectedPackage, Reference, SemverReq, SemverRequirements,
    Severity, SeverityType, Timestamp,
};

/// The opening fence of the metadata block.
const FENCE_OPEN: &str = "```toml";

/// Whether `text` looks like a RustSec advisory: it starts with a ```` ```toml ````
/// fence (other Markdown, such as a README, does not).
pub fn looks_like_rustsec(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(FENCE_OPEN)
}

#[derive(Deserialize)]
struct File {
    advisory: AdvisorySection,
    #[serde(default)]
    versions: VersionsSection,
    #[serde(default)]
    affected: Option<toml::Value>,
}

#[derive(Deserialize)]
struct AdvisorySection {
    id: String,
    package: String,
    date: toml::Value,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Default, Deserialize)]
struct VersionsSection {
    #[serde(default)]
    patched: Vec<SemverReq>,
    #[serde(default)]
    unaffected: Vec<SemverReq>,
}

/// Parses one RustSec-style advisory; `file` names it in errors.
pub fn parse_rustsec(text: &str, file: &str) -> Result<Advisory, AdvisoryError> {
    let invalid = |field: &str, message: String| AdvisoryError::Invalid {
        file: file.to_owned(),
        field: field.to_owned(),
        message,
    };
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let Some(after_open) = text.strip_prefix(FENCE_OPEN) else {
        return Err(invalid(
            "the document",
            "a RustSec advisory starts with a ```toml fenced block".into(),
        ));
    };
    let Some((front, markdown)) = after_open
        .split_once("\n```\n")
        .or_else(|| after_open.strip_suffix("\n```").map(|f| (f, "")))
        .or_else(|| after_open.split_once("\n```"))
    else {
        return Err(invalid(
            "the document",
            "the ```toml block is not closed with ```".into(),
        ));
    };
    let table: toml::Table =
        toml::from_str(front).map_err(|e| invalid("the TOML block", e.message().to_owned()))?;
    let parsed: File = serde_path_to_error::deserialize(table)
        .map_err(|e| AdvisoryError::from_path_error(file, e))?;
    let a = parsed.advisory;

    let date = toml_date(&a.date).map_err(|m| invalid("advisory.date", m))?;
    let withdrawn = a
        .withdrawn
        .as_ref()
        .map(toml_date)
        .transpose()
        .map_err(|m| invalid("advisory.withdrawn", m))?;
    if a.package.trim().is_empty() {
        return Err(invalid("advisory.package", "the package is empty".into()));
    }

    let (heading, body) = split_markdown(markdown);
    let summary = heading.or(a.title.clone()).filter(|s| !s.is_empty());
    let details = Some(body)
        .filter(|b| !b.is_empty())
        .or(a.description.clone())
        .filter(|s| !s.is_empty());

    let severity = a
        .cvss
        .iter()
        .map(|vector| Severity {
            kind: if vector.trim_start().starts_with("CVSS:4") {
                SeverityType::CvssV4
            } else {
                SeverityType::CvssV3
            },
            score: vector.trim().to_owned(),
        })
        .collect();

    let mut references = Vec::new();
    if let Some(url) = &a.url {
        references.push(Reference {
            kind: "REPORT".into(),
            url: url.clone(),
        });
    }
    references.extend(a.references.iter().map(|url| Reference {
        kind: "WEB".into(),
        url: url.clone(),
    }));

    let mut database = Map::new();
    database.insert("source".into(), json!("rustsec"));
    if !a.categories.is_empty() {
        database.insert("categories".into(), json!(a.categories));
    }
    if !a.keywords.is_empty() {
        database.insert("keywords".into(), json!(a.keywords));
    }
    if let Some(kind) = &a.informational {
        database.insert("informational".into(), json!(kind));
    }
    if let Some(license) = &a.license {
        database.insert("license".into(), json!(license));
    }

    let ecosystem_specific = parsed
        .affected
        .map(|t| serde_json::to_value(t).map(|v| json!({ "affected": v })))
        .transpose()
        .map_err(|e| invalid("affected", e.to_string()))?;

    let advisory = Advisory {
        id: a.id,
        modified: withdrawn.map_or(date, |w| w.max(date)),
        published: Some(date),
        withdrawn,
        aliases: a.aliases,
        related: a.related,
        summary,
        details,
        severity,
        affected: vec![Affected {
            package: AffectedPackage {
                ecosystem: "crates.io".into(),
                name: a.package,
                purl: None,
            },
            semver_requirements: Some(SemverRequirements {
                patched: parsed.versions.patched,
                unaffected: parsed.versions.unaffected,
            }),
            ecosystem_specific,
            ..Affected::default()
        }],
        references,
        database_specific: Some(Value::Object(database)),
    };
    advisory.validate(file)?;
    Ok(advisory)
}

/// A date as a quoted string or a TOML date.
fn toml_date(value: &toml::Value) -> Result<Timestamp, String> {
    match value {
        toml::Value::String(s) => Timestamp::parse(s),
        toml::Value::Datetime(d) => Timestamp::parse(&d.to_string()),
        other => Err(format!("expected a date, found {}", other.type_str())),
    }
}

/// The first `# ` heading and the text after it (trimmed). Text before the
/// heading, if any, is kept in the details.
fn split_markdown(markdown: &str) -> (Option<String>, String) {
    let mut heading = None;
    let mut rest: Vec<&str> = Vec::new();
    for line in markdown.lines() {
        if heading.is_none()
            && let Some(h) = line.strip_prefix("# ")
        {
            heading = Some(h.trim().to_owned());
            continue;
        }
        rest.push(line);
    }
    (heading, rest.join("\n").trim().to_owned())
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::advisories::matching::{describe_affected, is_affected};
    use crate::{Ecosystem, PackageId};

    const SMALLVEC: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "smallvec"
date = "2099-01-15"
url = "https://issues.example.invalid/smallvec/1"
categories = ["memory-corruption"]
keywords = ["buffer-overflow"]
aliases = ["CVE-2099-0001", "GHSA-2c4f-9gmq-rx7v"]
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
unknown_key = 1

[versions]
patched = [">= 1.6.1", "^0.6.14"]
unaffected = ["< 0.6.10"]

[affected]
functions = { "smallvec::SmallVec::insert_many" = ["< 1.6.1"] }
```

# Buffer overflow in SmallVec::insert_many

A bug in `insert_many` could write past the end of the buffer.

Upgrade to 1.6.1.
"#;

    #[test]
    fn converts_to_the_model() {
        let a = parse_rustsec(SMALLVEC, "smallvec.md").unwrap();
        assert_eq!(a.id, "RUSTSEC-2099-0001");
        assert_eq!(
            a.summary.as_deref(),
            Some("Buffer overflow in SmallVec::insert_many")
        );
        assert!(
            a.details
                .as_deref()
                .unwrap()
                .starts_with("A bug in `insert_many`")
        );
        assert!(a.details.as_deref().unwrap().ends_with("Upgrade to 1.6.1."));
        assert_eq!(a.published, Some(a.modified));
        assert_eq!(a.modified.to_rfc3339(), "2099-01-15T00:00:00Z");
        assert_eq!(
            a.ids(),
            ["RUSTSEC-2099-0001", "CVE-2099-0001", "GHSA-2c4f-9gmq-rx7v"]
        );
        assert_eq!(a.cvss().unwrap().base_score, Some(9.8));
        assert_eq!(a.references[0].kind, "REPORT");
        assert_eq!(
            a.affected[0].ecosystem_specific.as_ref().unwrap()["affected"]["functions"]["smallvec::SmallVec::insert_many"]
                [0],
            "< 1.6.1"
        );
        let p = PackageId::new(Ecosystem::Cargo, "smallvec").unwrap();
        for v in ["0.6.10", "0.6.13", "1.0.0", "1.6.0"] {
            assert!(is_affected(&a, &p, v), "{v}");
        }
        for v in ["0.6.9", "0.6.14", "1.6.1", "2.0.0"] {
            assert!(!is_affected(&a, &p, v), "{v}");
        }
        assert_eq!(a.fixed_versions(&p), ["0.6.14", "1.6.1"]);
        assert_eq!(
            describe_affected(&a, &p),
            ["all versions except >= 1.6.1, ^0.6.14, < 0.6.10"]
        );
        // The conversion survives a JSON round trip.
        let again = Advisory::from_osv_json(a.to_json().unwrap().as_bytes(), "x").unwrap();
        assert_eq!(again, a);
    }

    #[test]
    fn informational_withdrawn_and_old_format() {
        let text = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0003\"\npackage = \"oldcrate\"\n\
                    date = 2099-02-01\ninformational = \"unmaintained\"\n\
                    withdrawn = \"2099-03-01\"\ntitle = \"oldcrate is unmaintained\"\n\
                    description = \"Use newcrate.\"\n```\n";
        let a = parse_rustsec(text, "old.md").unwrap();
        assert_eq!(a.informational(), Some("unmaintained"));
        assert_eq!(a.summary.as_deref(), Some("oldcrate is unmaintained"));
        assert_eq!(a.details.as_deref(), Some("Use newcrate."));
        assert!(a.is_withdrawn());
        assert_eq!(a.modified.to_rfc3339(), "2099-03-01T00:00:00Z");
        let p = PackageId::new(Ecosystem::Cargo, "oldcrate").unwrap();
        assert!(!is_affected(&a, &p, "1.0.0"));
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let cases = [
            ("# just markdown\n", "the document", "```toml"),
            (
                "```toml\n[advisory]\nid = \"X\"\n",
                "the document",
                "not closed",
            ),
            ("```toml\n[advisory\n```\n", "the TOML block", ""),
            (
                "```toml\n[advisory]\nid = \"X\"\ndate = \"2099-01-01\"\n```\n",
                "advisory",
                "package",
            ),
            (
                "```toml\n[advisory]\nid = \"X\"\npackage = \"p\"\ndate = \"soon\"\n```\n",
                "advisory.date",
                "YYYY-MM-DD",
            ),
            (
                "```toml\n[advisory]\nid = \"X\"\npackage = \"p\"\ndate = \"2099-01-01\"\n\
                 [versions]\npatched = [\">= 1.0\", \"lots\"]\n```\n",
                "versions.patched[1]",
                "SemVer requirement",
            ),
        ];
        for (text, field, fragment) in cases {
            match parse_rustsec(text, "crates/p/X.md").unwrap_err() {
                AdvisoryError::Invalid {
                    file,
                    field: f,
                    message,
                } => {
                    assert_eq!(file, "crates/p/X.md");
                    assert_eq!(f, field, "{text}");
                    assert!(message.contains(fragment), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(looks_like_rustsec("\n```toml\n"));
        assert!(!looks_like_rustsec("# README\n```toml\n"));
    }
}
