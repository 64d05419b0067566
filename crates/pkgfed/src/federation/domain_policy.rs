//! Which remote domains pkgfed talks to: the configuration's
//! `federation.blocked_domains`, the blocks an operator added at run time (stored,
//! see [`crate::store::domain_block`]) and, in allow-list mode
//! (`federation.allowlist_mode`), `federation.allowed_domains`.
//!
//! A domain covers its subdomains (`bad.example` blocks `social.bad.example`, not
//! `notbad.example`). A refused domain's activities get 403 before anything is
//! fetched or stored, and its followers are not delivered to (the delivery is
//! recorded as skipped). Run-time changes take effect for the next request: the
//! combined set lives in memory, swapped whole on every change.
//!
//! Checking a host is one hash lookup per label of the host (`a.b.example` →
//! `a.b.example`, `b.example`, `example`), without allocating for a lowercase host,
//! so a block list of thousands of domains costs the inbox nothing measurable.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::error::{Error, Result};
use crate::store::SharedStore;
use crate::store::domain_block::DomainBlock;

/// The domain policy: configuration plus stored run-time blocks.
pub struct DomainPolicy {
    store: SharedStore,
    /// `federation.blocked_domains`, normalised.
    configured: HashSet<String>,
    /// `federation.allowed_domains`, normalised; consulted only in allow-list mode.
    allowed: HashSet<String>,
    allowlist_mode: bool,
    /// Run-time blocks by domain (a copy of the table, replaced on every change).
    runtime: RwLock<Arc<HashMap<String, DomainBlock>>>,
}

/// Where a block comes from, as listed by the admin API.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ListedBlock {
    /// The blocked domain.
    pub domain: String,
    /// `config` (remove it from the configuration) or `runtime` (admin API / CLI).
    pub source: &'static str,
    /// Why (run-time blocks only; empty otherwise).
    pub reason: String,
    /// When it was added (Unix seconds; run-time blocks only).
    pub created_at: Option<i64>,
}

impl DomainPolicy {
    /// The policy of `blocked`/`allowed` (already normalised by the configuration)
    /// plus the blocks stored in `store`, read now.
    pub async fn load(
        store: SharedStore,
        blocked: &[String],
        allowed: &[String],
        allowlist_mode: bool,
    ) -> Result<Self> {
        // The configuration lowercases; this also puts IDNs in their ASCII form.
        let normalised = |list: &[String]| -> HashSet<String> {
            list.iter()
                .map(|d| normalise_domain(d).unwrap_or_else(|_| d.clone()))
                .collect()
        };
        let policy = Self {
            store,
            configured: normalised(blocked),
            allowed: normalised(allowed),
            allowlist_mode,
            runtime: RwLock::default(),
        };
        policy.reload().await?;
        Ok(policy)
    }

    /// Re-reads the stored blocks (after this process changed them, or another
    /// process on the database did: see [`crate::store::cluster::DOMAIN_BLOCKS`]).
    pub async fn reload(&self) -> Result<()> {
        let rows = self.store.domain_blocks().await?;
        let map = rows.into_iter().map(|b| (b.domain.clone(), b)).collect();
        if let Ok(mut guard) = self.runtime.write() {
            *guard = Arc::new(map);
        }
        Ok(())
    }

    /// Why `host` is refused, or None when pkgfed talks to it.
    pub fn refusal(&self, host: &str) -> Option<String> {
        let host = host.trim_end_matches('.');
        let lowered;
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = host.to_ascii_lowercase();
            lowered.as_str()
        } else {
            host
        };
        let runtime = self.runtime.read().ok().map(|g| Arc::clone(&g));
        let blocked = suffixes(host).find(|d| {
            self.configured.contains(*d) || runtime.as_ref().is_some_and(|r| r.contains_key(*d))
        });
        if let Some(domain) = blocked {
            return Some(if domain == host {
                format!("domain {host} is blocked on this server")
            } else {
                format!("domain {host} is blocked on this server (as part of {domain})")
            });
        }
        if self.allowlist_mode && !suffixes(host).any(|d| self.allowed.contains(d)) {
            return Some(format!(
                "domain {host} is not on this server's allow-list (federation.allowed_domains)"
            ));
        }
        None
    }

    /// Refuses (403) a URL whose host is refused; a URL without a host passes (the
    /// steps after this one refuse it with their own reason).
    pub fn check_url(&self, url: &str) -> Result<()> {
        if self.configured.is_empty() && !self.allowlist_mode && self.runtime_is_empty() {
            return Ok(());
        }
        let Some(host) = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
        else {
            return Ok(());
        };
        match self.refusal(&host) {
            Some(reason) => Err(Error::Forbidden(reason)),
            None => Ok(()),
        }
    }

    fn runtime_is_empty(&self) -> bool {
        self.runtime.read().map(|r| r.is_empty()).unwrap_or(true)
    }

    /// Every block: configured ones, then run-time ones, each by domain.
    pub fn list(&self) -> Vec<ListedBlock> {
        let mut configured: Vec<ListedBlock> = self
            .configured
            .iter()
            .map(|d| ListedBlock {
                domain: d.clone(),
                source: "config",
                reason: String::new(),
                created_at: None,
            })
            .collect();
        configured.sort_by(|a, b| a.domain.cmp(&b.domain));
        let runtime = self.runtime.read().ok().map(|g| Arc::clone(&g));
        let mut stored: Vec<ListedBlock> = runtime
            .iter()
            .flat_map(|r| r.values())
            .map(|b| ListedBlock {
                domain: b.domain.clone(),
                source: "runtime",
                reason: b.reason.clone(),
                created_at: Some(b.created_at),
            })
            .collect();
        stored.sort_by(|a, b| a.domain.cmp(&b.domain));
        configured.extend(stored);
        configured
    }

    /// Whether allow-list mode is on.
    pub fn allowlist_mode(&self) -> bool {
        self.allowlist_mode
    }

    /// After a change of the stored blocks: re-read them here, and bump their
    /// generation so the other processes on the database re-read them too.
    async fn changed(&self) -> Result<()> {
        self.store
            .bump_generation(crate::store::cluster::DOMAIN_BLOCKS)
            .await?;
        self.reload().await
    }

    /// Blocks `domain` (normalised with [`normalise_domain`]) from now on, persisted;
    /// false when it was already blocked at run time.
    pub async fn block(&self, domain: &str, reason: &str) -> Result<bool> {
        let added = self
            .store
            .add_domain_block(&DomainBlock {
                domain: domain.to_owned(),
                reason: reason.to_owned(),
                created_at: crate::store::now_unix(),
            })
            .await?;
        self.changed().await?;
        Ok(added)
    }

    /// Removes a run-time block; false when there was none. A configured block
    /// cannot be removed here (403 saying so).
    pub async fn unblock(&self, domain: &str) -> Result<bool> {
        let removed = self.store.remove_domain_block(domain).await?;
        self.changed().await?;
        if !removed && self.configured.contains(domain) {
            return Err(Error::Forbidden(format!(
                "{domain} is blocked by federation.blocked_domains in the configuration: remove it there and restart"
            )));
        }
        Ok(removed)
    }
}

/// `host`, then each parent domain: `a.b.example`, `b.example`, `example`.
fn suffixes(host: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(host), |h| h.split_once('.').map(|(_, rest)| rest))
        .filter(|h| !h.is_empty())
}

/// A domain as given by an operator, in the form hosts are compared in (lowercase,
/// ASCII/punycode, no trailing dot), or 400 saying what is wrong.
pub fn normalise_domain(input: &str) -> Result<String> {
    let d = input.trim().trim_start_matches('.').trim_end_matches('.');
    let bad = |why: &str| {
        Error::BadRequest(format!(
            "`{}` is not a domain ({why}): give a host name such as social.example",
            input.trim()
        ))
    };
    if d.is_empty() {
        return Err(bad("it is empty"));
    }
    if d.contains(['/', ':', '@', ' ', '?', '#']) {
        return Err(bad(
            "give only the host, without scheme, port, user or path",
        ));
    }
    match url::Host::parse(d) {
        Ok(url::Host::Domain(ascii)) => Ok(ascii.to_ascii_lowercase()),
        Ok(url::Host::Ipv4(ip)) => Ok(ip.to_string()),
        Ok(url::Host::Ipv6(_)) => Err(bad("IPv6 addresses are not supported")),
        Err(e) => Err(bad(&e.to_string())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn policy(blocked: &[&str], allowed: &[&str], allowlist: bool) -> DomainPolicy {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let store = crate::store::open(&url).await.unwrap();
        std::mem::forget(dir);
        let s = |v: &[&str]| v.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        DomainPolicy::load(store, &s(blocked), &s(allowed), allowlist)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn blocks_domain_and_subdomains_only() {
        let p = policy(&["bad.example"], &[], false).await;
        assert!(p.refusal("bad.example").is_some());
        assert!(p.refusal("social.BAD.example.").is_some());
        assert!(p.refusal("notbad.example").is_none());
        assert!(p.refusal("example").is_none());
        assert!(
            p.check_url("https://x.bad.example/users/a#main-key")
                .is_err()
        );
        assert!(p.check_url("https://ok.example/users/a").is_ok());
    }

    #[tokio::test]
    async fn runtime_blocks_apply_at_once_and_config_blocks_cannot_be_removed() {
        let p = policy(&["bad.example"], &[], false).await;
        assert!(p.block("spam.example", "spam").await.unwrap());
        assert!(!p.block("spam.example", "again").await.unwrap());
        assert!(p.refusal("a.spam.example").is_some());
        let listed: Vec<_> = p.list().into_iter().map(|b| (b.domain, b.source)).collect();
        assert_eq!(
            listed,
            [
                ("bad.example".to_string(), "config"),
                ("spam.example".to_string(), "runtime")
            ]
        );
        assert!(p.unblock("spam.example").await.unwrap());
        assert!(p.refusal("a.spam.example").is_none());
        assert!(!p.unblock("spam.example").await.unwrap());
        assert!(matches!(
            p.unblock("bad.example").await,
            Err(Error::Forbidden(_))
        ));
    }

    #[tokio::test]
    async fn allowlist_mode_refuses_everyone_else_and_blocks_still_win() {
        let p = policy(&["bad.friends.example"], &["friends.example"], true).await;
        assert!(p.refusal("friends.example").is_none());
        assert!(p.refusal("social.friends.example").is_none());
        let r = p.refusal("stranger.example").unwrap();
        assert!(r.contains("allow-list"), "{r}");
        assert!(p.refusal("bad.friends.example").is_some());
    }

    #[test]
    fn domains_are_normalised_or_refused_with_a_reason() {
        assert_eq!(normalise_domain(" .Bad.Example. ").unwrap(), "bad.example");
        assert_eq!(
            normalise_domain("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(normalise_domain("127.0.0.1").unwrap(), "127.0.0.1");
        for bad in [
            "",
            "https://bad.example/",
            "bad.example:443",
            "a b",
            "u@bad.example",
        ] {
            assert!(
                matches!(normalise_domain(bad), Err(Error::BadRequest(_))),
                "{bad}"
            );
        }
    }
}
