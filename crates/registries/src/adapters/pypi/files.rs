//! One release from its distribution files, the same rule for both PyPI APIs: the
//! earliest upload is its publication time, and it is yanked only when every file is
//! (a release with a yanked wheel and a live sdist still installs).

use crate::adapter::VersionInfo;
use crate::adapters::rfc3339_secs;

/// What one file of a release says, whichever API listed it.
pub(super) struct FileFacts<'a> {
    /// Its upload time (RFC 3339), if listed.
    pub upload_time: Option<&'a str>,
    /// Whether it is yanked.
    pub yanked: bool,
    /// The reason given for the yank, if any.
    pub yanked_reason: Option<&'a str>,
}

/// The release `version` made of `files`.
pub(super) fn release(version: String, files: &[FileFacts<'_>]) -> VersionInfo {
    let yanked = !files.is_empty() && files.iter().all(|f| f.yanked);
    VersionInfo {
        published_at: files
            .iter()
            .filter_map(|f| f.upload_time.and_then(rfc3339_secs))
            .min(),
        yanked,
        yanked_reason: yanked
            .then(|| {
                files
                    .iter()
                    .filter_map(|f| f.yanked_reason.map(str::trim))
                    .find(|r| !r.is_empty())
                    .map(str::to_owned)
            })
            .flatten(),
        deprecated: None,
        version,
    }
}
