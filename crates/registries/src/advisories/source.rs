//! Where advisories come from.
//!
//! - [`DirectorySource`]: a local directory, typically a git checkout of an
//!   advisory database, holding OSV JSON files and/or RustSec-style Markdown
//!   files at any depth. Each [`DirectorySource::scan`] parses only the files
//!   whose modification time or size changed since the last scan.
//! - [`OsvApiSource`]: an OSV-compatible HTTP query API, asked about the tracked
//!   packages in batches through the shared [`RateLimiter`](crate::RateLimiter).
//!
//! Both keep their knowledge of what was already seen in a serde state
//! ([`DirectoryState`], [`ApiState`]) that the caller persists, so that a
//! restart does not report every advisory again.

mod api;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

pub use api::{ApiPoll, ApiState, KnownVuln, OsvApiConfig, OsvApiSource, VulnRef};

use super::model::{Advisory, AdvisoryError};
use super::rustsec::{looks_like_rustsec, parse_rustsec};

/// What a [`DirectorySource`] knows about the files it has read, by path
/// relative to the root (with `/` separators). Persist it to scan
/// incrementally across restarts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryState {
    /// Every advisory file seen, and every JSON or Markdown file that is not
    /// one (so that it is not read again until it changes).
    pub files: BTreeMap<String, KnownFile>,
}

/// One file as last scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownFile {
    /// Modification time: seconds since the Unix epoch (negative before it).
    pub mtime_secs: i64,
    /// Modification time: the nanoseconds within the second.
    pub mtime_nanos: u32,
    /// Size in bytes.
    pub size: u64,
    /// The advisory id the file last parsed to. `None` for Markdown files that
    /// are not advisories; a file that failed to parse keeps its previous id.
    pub id: Option<String>,
}

/// An advisory read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileAdvisory {
    /// The file, relative to the root.
    pub path: String,
    /// Whether the file is new since the last scan (else it changed).
    pub new: bool,
    /// The advisory.
    pub advisory: Advisory,
}

/// An advisory whose file is gone, or now holds another id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovedAdvisory {
    /// The file, relative to the root.
    pub path: String,
    /// The id it held.
    pub id: String,
}

/// What one scan found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanResult {
    /// Advisories in new or changed files, in path order.
    pub changed: Vec<FileAdvisory>,
    /// Advisories whose files were deleted (or now hold another id).
    pub removed: Vec<RemovedAdvisory>,
    /// Files that could not be read or parsed; the scan went on without them.
    /// A file is reported again only once it changes.
    pub errors: Vec<AdvisoryError>,
    /// Files skipped because their modification time and size are unchanged.
    pub unchanged: usize,
}

/// OSV JSON and RustSec Markdown files under one directory, re-read
/// incrementally. Scanning reads the file system synchronously: in async code
/// run it on a blocking thread (`tokio::task::spawn_blocking`).
///
/// Files are recognised by extension: `*.json` are OSV records (one per
/// file), `*.md` files are RustSec advisories when they open with a
/// ```` ```toml ```` block and skipped otherwise. Hidden files and directories
/// (`.git`) are skipped; symbolic links to files are followed, to directories
/// not. A change is detected by modification time and size, as `make` and
/// `rsync` do: a rewrite with the same size within the file system's time
/// granularity goes unnoticed until the next change.
#[derive(Clone, Debug)]
pub struct DirectorySource {
    root: PathBuf,
    state: DirectoryState,
}

impl DirectorySource {
    /// A source that has seen nothing yet: the first scan reports every file.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self::with_state(root, DirectoryState::default())
    }

    /// A source resuming from a persisted state.
    pub fn with_state(root: impl Into<PathBuf>, state: DirectoryState) -> Self {
        DirectorySource {
            root: root.into(),
            state,
        }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The state to persist after a scan.
    pub fn state(&self) -> &DirectoryState {
        &self.state
    }

    /// Scans the directory. Fails only when the root itself cannot be read;
    /// errors in single files and subdirectories are in [`ScanResult::errors`].
    pub fn scan(&mut self) -> Result<ScanResult, AdvisoryError> {
        let io = |path: &Path, e: std::io::Error| AdvisoryError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        fs::read_dir(&self.root).map_err(|e| io(&self.root, e))?;

        let mut result = ScanResult::default();
        let mut found: Vec<(String, PathBuf, fs::Metadata)> = Vec::new();
        // Directories that could not be read: their known files are kept.
        let mut unreadable: Vec<String> = Vec::new();
        let mut pending = vec![(self.root.clone(), String::new())];
        while let Some((dir, rel)) = pending.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    result.errors.push(io(&dir, e));
                    unreadable.push(rel);
                    continue;
                }
            };
            for entry in entries {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        result.errors.push(io(&dir, e));
                        unreadable.push(rel.clone());
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let child_rel = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    pending.push((entry.path(), child_rel));
                    continue;
                }
                if !(name.ends_with(".json") || name.ends_with(".md")) {
                    continue;
                }
                // Follows a symbolic link to its file.
                match fs::metadata(entry.path()) {
                    Ok(meta) if meta.is_file() => found.push((child_rel, entry.path(), meta)),
                    Ok(_) => {}
                    Err(e) => {
                        result.errors.push(io(&entry.path(), e));
                        unreadable.push(child_rel);
                    }
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));

        let mut seen: BTreeSet<String> = BTreeSet::new();
        for (rel, path, meta) in found {
            seen.insert(rel.clone());
            let (mtime_secs, mtime_nanos) = mtime(&meta);
            let size = meta.len();
            let previous = self.state.files.get(&rel).cloned();
            if let Some(known) = &previous
                && (known.mtime_secs, known.mtime_nanos, known.size)
                    == (mtime_secs, mtime_nanos, size)
            {
                result.unchanged += 1;
                continue;
            }
            let previous_id = previous.as_ref().and_then(|k| k.id.clone());
            let text = match fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    // Keep the old entry: the file is tried again next scan.
                    result.errors.push(io(&path, e));
                    continue;
                }
            };
            let display = path.display().to_string();
            let parsed = if rel.ends_with(".json") {
                Some(Advisory::from_osv_json(text.as_bytes(), &display))
            } else if looks_like_rustsec(&text) {
                Some(parse_rustsec(&text, &display))
            } else {
                None
            };
            let id = match parsed {
                None => None,
                Some(Err(e)) => {
                    result.errors.push(e);
                    previous_id.clone()
                }
                Some(Ok(advisory)) => {
                    let id = advisory.id.clone();
                    result.changed.push(FileAdvisory {
                        path: rel.clone(),
                        new: previous_id.is_none(),
                        advisory,
                    });
                    Some(id)
                }
            };
            if let Some(old) = previous_id
                && id.as_deref() != Some(old.as_str())
            {
                result.removed.push(RemovedAdvisory {
                    path: rel.clone(),
                    id: old,
                });
            }
            self.state.files.insert(
                rel,
                KnownFile {
                    mtime_secs,
                    mtime_nanos,
                    size,
                    id,
                },
            );
        }

        let under_unreadable = |rel: &str| {
            unreadable
                .iter()
                .any(|dir| dir.is_empty() || rel == dir || rel.starts_with(&format!("{dir}/")))
        };
        let gone: Vec<String> = self
            .state
            .files
            .keys()
            .filter(|rel| !seen.contains(*rel) && !under_unreadable(rel))
            .cloned()
            .collect();
        for rel in gone {
            if let Some(KnownFile { id: Some(id), .. }) = self.state.files.remove(&rel) {
                result.removed.push(RemovedAdvisory { path: rel, id });
            }
        }
        Ok(result)
    }
}

fn mtime(meta: &fs::Metadata) -> (i64, u32) {
    match meta.modified() {
        Ok(t) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                (-(d.as_secs() as i64), d.subsec_nanos())
            }
        },
        Err(_) => (0, 0),
    }
}
