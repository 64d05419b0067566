//! The DNS resolver reqwest uses, which refuses names that point inside.
//!
//! Checking a host name *before* the request and letting the HTTP client resolve
//! it again would be open to DNS rebinding: the second answer could differ. Here
//! the check happens inside the resolver, and reqwest connects to exactly the
//! addresses this resolver returned, so what was checked is what is dialled.
//!
//! IP-literal hosts never reach a resolver; `policy::check_target` covers them.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address::is_forbidden_address;
use super::error::FetchError;

/// Resolves with the system resolver (through tokio) and fails when any answer
/// is forbidden: a name with one public and one private address is refused
/// outright rather than trusting the client to pick the public one.
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    /// Skip the address check (tests against loopback servers only).
    pub(crate) allow_private_addresses: bool,
}

/// Why the guarded resolver gave no addresses; recovered from reqwest's error
/// chain by [`classify`] so the caller gets a precise [`FetchError`].
#[derive(Clone, Debug, thiserror::Error)]
pub(crate) enum ResolveFailure {
    /// The name resolved to at least one forbidden address.
    #[error("`{host}` resolves to the forbidden address {addr}")]
    Forbidden { host: String, addr: IpAddr },
    /// The system resolver failed.
    #[error("could not resolve `{host}`: {message}")]
    Lookup { host: String, message: String },
    /// The system resolver answered with no addresses.
    #[error("`{host}` has no addresses")]
    Empty { host: String },
}

impl From<ResolveFailure> for FetchError {
    fn from(failure: ResolveFailure) -> Self {
        match failure {
            ResolveFailure::Forbidden { host, addr } => FetchError::ForbiddenAddress { host, addr },
            other => FetchError::Dns(other.to_string()),
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private_addresses = self.allow_private_addresses;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolve_checked(&host, allow_private_addresses).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Looks `host` up and applies the address policy to every answer.
pub(crate) async fn resolve_checked(
    host: &str,
    allow_private_addresses: bool,
) -> Result<Vec<SocketAddr>, ResolveFailure> {
    // Port 0: reqwest substitutes the URL's port (or the scheme default).
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|error| ResolveFailure::Lookup {
            host: host.to_owned(),
            message: error.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(ResolveFailure::Empty {
            host: host.to_owned(),
        });
    }
    if !allow_private_addresses
        && let Some(bad) = addrs.iter().find(|addr| is_forbidden_address(addr.ip()))
    {
        return Err(ResolveFailure::Forbidden {
            host: host.to_owned(),
            addr: bad.ip(),
        });
    }
    Ok(addrs)
}

/// Turns a reqwest error into the matching [`FetchError`], looking through its
/// source chain for a refusal from [`GuardedResolver`].
pub(crate) fn classify(error: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = source {
        if let Some(failure) = current.downcast_ref::<ResolveFailure>() {
            return failure.clone().into();
        }
        source = current.source();
    }
    if error.is_timeout() {
        FetchError::Timeout
    } else if error.is_connect() {
        FetchError::Connect(error_chain(&error))
    } else {
        FetchError::Http(error_chain(&error))
    }
}

/// reqwest's top-level message is terse ("error sending request"); the cause
/// is what tells an operator what happened.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn localhost_is_refused_unless_private_addresses_are_allowed() {
        let refused = resolve_checked("localhost", false).await.unwrap_err();
        assert!(
            matches!(&refused, ResolveFailure::Forbidden { host, addr } if host == "localhost" && addr.is_loopback()),
            "{refused:?}"
        );
        let allowed = resolve_checked("localhost", true).await.unwrap();
        assert!(allowed.iter().all(|addr| addr.ip().is_loopback()));
    }

    #[test]
    fn forbidden_failure_becomes_forbidden_address() {
        let error: FetchError = ResolveFailure::Forbidden {
            host: "evil.example".into(),
            addr: "10.0.0.1".parse().unwrap(),
        }
        .into();
        assert!(matches!(error, FetchError::ForbiddenAddress { .. }));
        let error: FetchError = ResolveFailure::Empty {
            host: "nothing.example".into(),
        }
        .into();
        assert!(matches!(error, FetchError::Dns(message) if message.contains("nothing.example")));
    }
}
