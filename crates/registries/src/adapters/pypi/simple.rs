//! The Simple API's JSON form (PEP 691, with PEP 700's `versions` and
//! `upload-time`) → [`Snapshot`].
//!
//! The Simple API lists files, not releases. PEP 700 responses carry the release
//! list in `versions`; files are matched to those versions by name. Older
//! responses have no `versions`, and then the versions are read from the file
//! names themselves ([`version_from_filename`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::files::{self, FileFacts};
use crate::adapter::{PackageMetadata, RegistryError, Snapshot};
use crate::adapters::parse_json;
use crate::{Ecosystem, PackageId};

#[derive(serde::Deserialize)]
struct Document {
    name: Option<String>,
    #[serde(default)]
    files: Vec<File>,
    versions: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct File {
    filename: String,
    #[serde(rename = "upload-time")]
    upload_time: Option<String>,
    /// `false`, `true`, or the reason as a string (which means yanked).
    #[serde(default)]
    yanked: Value,
}

/// Distribution file endings, longest first so `.tar.gz` wins over `.gz`.
const EXTENSIONS: [&str; 9] = [
    ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tgz", ".zip", ".whl", ".egg", ".tar",
];

/// The version in a distribution file name of the project whose normalised name
/// is `key`: `requests-2.31.0.tar.gz` and `requests-2.31.0-py3-none-any.whl` give
/// `2.31.0`. `None` for files it cannot read (Windows installers and the like).
pub fn version_from_filename(key: &str, filename: &str) -> Option<String> {
    let stem = EXTENSIONS
        .iter()
        .find_map(|ext| filename.strip_suffix(ext).map(|s| (s, *ext)))?;
    let (stem, ext) = stem;
    if ext == ".whl" || ext == ".egg" {
        // Wheels and eggs escape '-' in the name, so the version is field two.
        return stem.split('-').nth(1).map(str::to_owned);
    }
    // Source distributions: the name part is whatever prefix normalises to the key.
    stem.match_indices('-').find_map(|(i, _)| {
        let name = &stem[..i];
        (crate::package::rules::key(Ecosystem::Pypi, name) == key)
            .then(|| stem[i + 1..].to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// Which of `versions` a file belongs to: the longest one the file name carries
/// right after the project name, followed by `-` or a file ending.
fn version_of_file<'a>(key: &str, filename: &str, versions: &'a [String]) -> Option<&'a str> {
    let parsed = version_from_filename(key, filename);
    if let Some(v) = parsed
        .as_deref()
        .and_then(|p| versions.iter().find(|v| *v == p))
    {
        return Some(v);
    }
    // Names like `urllib3-0.3.win32.exe`, or spellings the file normalises away.
    let normalised_filename = filename.to_ascii_lowercase().replace('_', "-");
    versions
        .iter()
        .filter(|v| {
            let needle = format!("-{}", v.to_ascii_lowercase());
            normalised_filename.match_indices(&needle).any(|(i, _)| {
                let rest = &normalised_filename[i + needle.len()..];
                rest.starts_with('-')
                    || (rest.starts_with('.') && !rest[1..].starts_with(char::is_numeric))
            })
        })
        .max_by_key(|v| v.len())
        .map(String::as_str)
}

/// Parses a Simple API JSON document.
pub(crate) fn parse(bytes: &[u8], package: &PackageId) -> Result<Snapshot, RegistryError> {
    let doc: Document = parse_json(bytes, "the Simple API response")?;
    let key = package.key();
    let listed = doc.versions.unwrap_or_else(|| {
        let mut from_files: Vec<String> = doc
            .files
            .iter()
            .filter_map(|f| version_from_filename(&key, &f.filename))
            .collect();
        from_files.sort();
        from_files.dedup();
        from_files
    });
    let mut by_version: BTreeMap<&str, Vec<&File>> =
        listed.iter().map(|v| (v.as_str(), Vec::new())).collect();
    for file in &doc.files {
        if let Some(v) = version_of_file(&key, &file.filename, &listed) {
            by_version.entry(v).or_default().push(file);
        }
    }
    let versions = by_version
        .into_iter()
        .map(|(version, files)| {
            let facts: Vec<FileFacts<'_>> = files
                .iter()
                .map(|f| FileFacts {
                    upload_time: f.upload_time.as_deref(),
                    yanked: is_yanked(&f.yanked),
                    yanked_reason: f.yanked.as_str(),
                })
                .collect();
            files::release(version.to_owned(), &facts)
        })
        .collect();
    Ok(Snapshot {
        metadata: PackageMetadata {
            name: doc.name.unwrap_or_else(|| package.name().to_owned()),
            ..PackageMetadata::default()
        },
        versions,
    })
}

fn is_yanked(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn versions_from_file_names() {
        let v = |key, f| version_from_filename(key, f);
        assert_eq!(
            v("requests", "requests-2.31.0.tar.gz").as_deref(),
            Some("2.31.0")
        );
        assert_eq!(
            v("requests", "requests-2.31.0-py3-none-any.whl").as_deref(),
            Some("2.31.0")
        );
        assert_eq!(
            v("zope-interface", "zope.interface-5.4.0.tar.gz").as_deref(),
            Some("5.4.0")
        );
        assert_eq!(
            v(
                "zope-interface",
                "zope_interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl"
            )
            .as_deref(),
            Some("6.0")
        );
        assert_eq!(v("my-pkg", "my-pkg-1.0rc1.zip").as_deref(), Some("1.0rc1"));
        assert_eq!(v("requests", "requests-0.3.win32.exe"), None);
        assert_eq!(v("requests", "other-1.0.tar.gz"), None);
    }

    #[test]
    fn files_match_listed_versions() {
        let versions = vec!["0.3".to_owned(), "0.3.1".to_owned(), "1.0".to_owned()];
        assert_eq!(
            version_of_file("urllib3", "urllib3-0.3.1.tar.gz", &versions),
            Some("0.3.1")
        );
        assert_eq!(
            version_of_file("urllib3", "urllib3-0.3.win32.exe", &versions),
            Some("0.3")
        );
        assert_eq!(
            version_of_file("urllib3", "urllib3-1.0-py2.7.egg", &versions),
            Some("1.0")
        );
        assert_eq!(
            version_of_file("urllib3", "urllib3-2.0.tar.gz", &versions),
            None
        );
    }

    #[test]
    fn yanked_is_a_bool_or_a_reason() {
        let pkg = PackageId::new(Ecosystem::Pypi, "Demo_Pkg").unwrap();
        let body = br#"{"name":"demo-pkg","files":[
            {"filename":"demo_pkg-1.0.tar.gz","upload-time":"2020-01-01T00:00:00Z","yanked":"bad"},
            {"filename":"demo_pkg-1.0-py3-none-any.whl","upload-time":"2020-01-01T00:01:00Z","yanked":true},
            {"filename":"demo_pkg-1.1.tar.gz","yanked":false}]}"#;
        let snap = parse(body, &pkg).unwrap();
        assert_eq!(snap.metadata.name, "demo-pkg");
        assert_eq!(snap.versions.len(), 2);
        assert!(snap.versions[0].yanked);
        assert_eq!(snap.versions[0].yanked_reason.as_deref(), Some("bad"));
        assert_eq!(snap.versions[0].published_at, Some(1_577_836_800));
        assert!(!snap.versions[1].yanked);
        assert_eq!(snap.versions[1].published_at, None);
    }
}
