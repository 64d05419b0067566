//! WebFinger: what a `resource` names, and the JRD answer.

use serde_json::{Value, json};

use super::urls::Urls;

/// What a WebFinger `resource` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    /// A handle on this host (`acct:serde@host`), or a package actor URL's handle.
    Handle(String),
    /// A package URL (`pkg:cargo/serde`).
    Purl(String),
    /// The instance actor (`acct:host@host` or its URL).
    Instance,
    /// Well formed but not ours (another host, an unknown path).
    Foreign,
}

/// Why a resource could not be read: the request is malformed (400).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed WebFinger resource: {0}")]
pub struct MalformedResource(pub String);

/// Reads a `resource` parameter.
pub fn parse_resource(urls: &Urls, resource: &str) -> Result<Resource, MalformedResource> {
    let resource = resource.trim();
    if resource.is_empty() {
        return Err(MalformedResource("the resource parameter is empty".into()));
    }
    if resource.starts_with("pkg:") {
        return Ok(Resource::Purl(resource.to_owned()));
    }
    if resource.starts_with("https://") || resource.starts_with("http://") {
        if url::Url::parse(resource).is_err() {
            return Err(MalformedResource(format!(
                "`{resource}` is not a valid URL"
            )));
        }
        if resource.trim_end_matches('/') == urls.instance_actor() {
            return Ok(Resource::Instance);
        }
        return Ok(urls
            .handle_of_actor(resource)
            .map_or(Resource::Foreign, Resource::Handle));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let Some((user, host)) = acct.rsplit_once('@') else {
        return Err(MalformedResource(format!(
            "`{resource}` is neither acct:user@host, an http(s) URL nor a pkg: URL"
        )));
    };
    if user.is_empty() || host.is_empty() {
        return Err(MalformedResource(format!(
            "`{resource}` has an empty user or host"
        )));
    }
    if !host.eq_ignore_ascii_case(urls.host()) {
        return Ok(Resource::Foreign);
    }
    if user.eq_ignore_ascii_case(urls.host())
        || user.eq_ignore_ascii_case(host_without_port(urls.host()))
    {
        return Ok(Resource::Instance);
    }
    Ok(Resource::Handle(user.to_owned()))
}

fn host_without_port(host: &str) -> &str {
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// The JRD for an actor with username `user`, served at `actor_url`.
pub fn jrd(
    urls: &Urls,
    user: &str,
    actor_url: &str,
    profile_url: &str,
    extra_aliases: &[String],
) -> Value {
    let mut aliases = vec![Value::String(actor_url.to_owned())];
    aliases.extend(extra_aliases.iter().cloned().map(Value::String));
    json!({
        "subject": format!("acct:{user}@{}", urls.host()),
        "aliases": aliases,
        "links": [
            { "rel": "self", "type": "application/activity+json", "href": actor_url },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> Urls {
        Urls::new(&url::Url::parse("https://pkgs.example.org").unwrap())
    }

    #[test]
    fn reads_every_resource_form() {
        let u = urls();
        assert_eq!(
            parse_resource(&u, "acct:serde@pkgs.example.org"),
            Ok(Resource::Handle("serde".into()))
        );
        assert_eq!(
            parse_resource(&u, "serde@PKGS.example.org"),
            Ok(Resource::Handle("serde".into()))
        );
        assert_eq!(
            parse_resource(&u, "https://pkgs.example.org/packages/serde"),
            Ok(Resource::Handle("serde".into()))
        );
        assert_eq!(
            parse_resource(&u, "pkg:cargo/serde"),
            Ok(Resource::Purl("pkg:cargo/serde".into()))
        );
        assert_eq!(
            parse_resource(&u, "acct:pkgs.example.org@pkgs.example.org"),
            Ok(Resource::Instance)
        );
        assert_eq!(
            parse_resource(&u, "https://pkgs.example.org/actor"),
            Ok(Resource::Instance)
        );
        assert_eq!(
            parse_resource(&u, "acct:serde@elsewhere.example"),
            Ok(Resource::Foreign)
        );
        assert!(parse_resource(&u, "").is_err());
        assert!(parse_resource(&u, "acct:serde").is_err());
        assert!(parse_resource(&u, "acct:@pkgs.example.org").is_err());
        assert!(parse_resource(&u, "https://").is_err());
    }
}
