//! The PyPI JSON API document (`/pypi/{name}/json`) → [`Snapshot`].

use std::collections::BTreeMap;

use super::files::{self, FileFacts};
use crate::PackageId;
use crate::adapter::{PackageMetadata, RegistryError, Snapshot};
use crate::adapters::parse_json;

#[derive(serde::Deserialize)]
struct Document {
    info: Info,
    #[serde(default)]
    releases: BTreeMap<String, Vec<File>>,
}

#[derive(serde::Deserialize)]
struct Info {
    name: Option<String>,
    summary: Option<String>,
    home_page: Option<String>,
    license: Option<String>,
    license_expression: Option<String>,
    #[serde(default)]
    project_urls: Option<BTreeMap<String, Option<String>>>,
}

#[derive(serde::Deserialize)]
struct File {
    upload_time_iso_8601: Option<String>,
    #[serde(default)]
    yanked: bool,
    yanked_reason: Option<String>,
}

/// Parses a JSON API document.
pub(crate) fn parse(bytes: &[u8], package: &PackageId) -> Result<Snapshot, RegistryError> {
    let doc: Document = parse_json(bytes, "the PyPI JSON API response")?;
    let versions = doc
        .releases
        .into_iter()
        .map(|(version, files)| {
            let facts: Vec<FileFacts<'_>> = files
                .iter()
                .map(|f| FileFacts {
                    upload_time: f.upload_time_iso_8601.as_deref(),
                    yanked: f.yanked,
                    yanked_reason: f.yanked_reason.as_deref(),
                })
                .collect();
            files::release(version, &facts)
        })
        .collect();
    let info = doc.info;
    let urls = info.project_urls.unwrap_or_default();
    let url_named = |labels: &[&str]| {
        urls.iter()
            .find(|(label, url)| {
                url.as_deref().is_some_and(|u| !u.trim().is_empty())
                    && labels.contains(&normalise_label(label).as_str())
            })
            .and_then(|(_, url)| url.clone())
    };
    let non_empty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let metadata = PackageMetadata {
        name: info.name.unwrap_or_else(|| package.name().to_owned()),
        description: non_empty(info.summary),
        homepage: non_empty(info.home_page).or_else(|| url_named(&["homepage", "home"])),
        repository: url_named(&["source", "sourcecode", "repository", "code"]),
        license: non_empty(info.license_expression).or_else(|| {
            // `license` sometimes holds a whole licence text; keep a short name only.
            non_empty(info.license).filter(|l| l.len() <= 100 && !l.contains('\n'))
        }),
        changelog: url_named(&[
            "changelog",
            "changes",
            "releasenotes",
            "history",
            "whatsnew",
        ]),
    };
    Ok(Snapshot { metadata, versions })
}

/// A project URL label as PyPI compares them: lowercase, without punctuation
/// or spaces (`Source Code` → `sourcecode`).
fn normalise_label(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::Ecosystem;

    #[test]
    fn files_decide_yanks_and_times() {
        let body = br#"{"info":{"name":"Demo","summary":" ","license":"a\nlong text",
            "project_urls":{"Source Code":"https://forge.test/demo","Change Log":"https://forge.test/c","Home":null}},
          "releases":{"1.0":[],"1.1":[{"upload_time_iso_8601":"2020-01-01T00:00:10Z","yanked":true,"yanked_reason":""},
                                     {"upload_time_iso_8601":"2020-01-01T00:00:00Z","yanked":true,"yanked_reason":"broken"}],
                      "1.2":[{"upload_time_iso_8601":"2021-01-01T00:00:00Z","yanked":true,"yanked_reason":"x"},
                             {"upload_time_iso_8601":"2021-01-01T00:00:00Z","yanked":false,"yanked_reason":null}]}}"#;
        let pkg = PackageId::new(Ecosystem::Pypi, "demo").unwrap();
        let snap = parse(body, &pkg).unwrap();
        assert_eq!(snap.metadata.name, "Demo");
        assert_eq!(snap.metadata.description, None);
        assert_eq!(snap.metadata.license, None);
        assert_eq!(
            snap.metadata.repository.as_deref(),
            Some("https://forge.test/demo")
        );
        assert_eq!(
            snap.metadata.changelog.as_deref(),
            Some("https://forge.test/c")
        );
        assert_eq!(snap.metadata.homepage, None);
        let v: Vec<_> = snap
            .versions
            .iter()
            .map(|v| {
                (
                    v.version.as_str(),
                    v.published_at,
                    v.yanked,
                    v.yanked_reason.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            v,
            [
                ("1.0", None, false, None),
                ("1.1", Some(1_577_836_800), true, Some("broken")),
                ("1.2", Some(1_609_459_200), false, None),
            ]
        );
    }
}
