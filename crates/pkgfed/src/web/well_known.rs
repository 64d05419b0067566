//! `/.well-known/webfinger`, `/.well-known/nodeinfo`, `/nodeinfo/2.1`,
//! `/.well-known/host-meta`.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::federation::webfinger::{Resource, jrd, parse_resource};
use crate::federation::{nodeinfo, webfinger};
use crate::packages::cache::CachedPackage;
use crate::web::AppState;
use crate::web::limits::{Requester, lookup};

/// WebFinger query.
#[derive(Debug, Deserialize)]
pub struct WebFingerQuery {
    resource: Option<String>,
}

fn json_response(content_type: &'static str, body: &Value) -> Response {
    let mut res = body.to_string().into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// `GET /.well-known/webfinger?resource=…`
pub async fn webfinger(
    State(state): State<AppState>,
    who: Requester,
    Query(q): Query<WebFingerQuery>,
) -> Response {
    let mut res = match webfinger_inner(&state, &who, q).await {
        Ok(body) => json_response("application/jrd+json; charset=utf-8", &body),
        Err(e) => e.into_response(),
    };
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

async fn webfinger_inner(state: &AppState, who: &Requester, q: WebFingerQuery) -> Result<Value> {
    let resource = q
        .resource
        .ok_or_else(|| Error::BadRequest("missing the resource query parameter".into()))?;
    let urls = &state.urls;
    let package =
        match parse_resource(urls, &resource).map_err(|e| Error::BadRequest(e.to_string()))? {
            Resource::Instance => {
                let actor = urls.instance_actor();
                return Ok(jrd(urls, urls.host(), &actor, urls.base(), &[]));
            }
            Resource::Foreign => {
                return Err(Error::NotFound(format!("{resource} is not on this server")));
            }
            Resource::Handle(h) => lookup::cached_by_handle(state, who, &h).await?,
            Resource::Purl(p) => lookup::by_purl(state, who, &p)
                .await?
                .map(CachedPackage::uncached),
        };
    let cached =
        package.ok_or_else(|| Error::NotFound(format!("no package actor for {resource}")))?;
    let package = &cached.package;
    let actor = urls.actor(&package.handle);
    Ok(webfinger::jrd(
        urls,
        &package.handle,
        &actor,
        &actor,
        std::slice::from_ref(&package.purl),
    ))
}

/// `GET /.well-known/nodeinfo`
pub async fn nodeinfo_discovery(State(state): State<AppState>) -> Response {
    json_response("application/json", &nodeinfo::discovery(&state.urls))
}

/// `GET /nodeinfo/2.1`
pub async fn nodeinfo(State(state): State<AppState>) -> Result<Response> {
    let counts = state.store.counts().await?;
    Ok(json_response(
        r#"application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#""#,
        &nodeinfo::document(&counts, &state.settings.ecosystems),
    ))
}

/// `GET /.well-known/host-meta`
pub async fn host_meta(State(state): State<AppState>) -> Response {
    let mut res = nodeinfo::host_meta(&state.urls).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xrd+xml; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}
