//! The admin API's live event stream (Server-Sent Events) and its OpenAPI document,
//! on the real server.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::TestServer;
use pkgfed::events::Event;
use serde_json::{Value, json};

/// Every admin route as (method, path), as the OpenAPI document must list them.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/admin/activities/status"),
    ("get", "/api/v1/admin/deliveries/failures"),
    ("get", "/api/v1/admin/followers/dead"),
    ("post", "/api/v1/admin/followers/dead/cleanup"),
    ("get", "/api/v1/admin/domains/flagged"),
    ("delete", "/api/v1/admin/domains/flagged/{domain}"),
    ("get", "/api/v1/admin/domain-blocks"),
    ("post", "/api/v1/admin/domain-blocks"),
    ("delete", "/api/v1/admin/domain-blocks/{domain}"),
    ("get", "/api/v1/admin/hosts"),
    ("post", "/api/v1/admin/packages/import"),
    ("get", "/api/v1/admin/registries"),
    ("post", "/api/v1/admin/registries/recheck"),
    ("post", "/api/v1/admin/packages/rotate-key"),
    ("get", "/api/v1/admin/broker"),
    ("get", "/api/v1/admin/metrics"),
    ("get", "/api/v1/admin/events"),
    ("get", "/api/v1/admin/openapi.json"),
];

async fn get_doc(server: &TestServer) -> Value {
    let res = server
        .client
        .get(server.url("/api/v1/admin/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the document needs no token");
    res.json().await.unwrap()
}
#[tokio::test]
async fn events_stream_live_as_server_sent_events() {
    let server = TestServer::start().await;
    let mut res = server
        .client
        .get(server.url("/api/v1/admin/events"))
        .bearer_auth(&server.state.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Subscribed before the headers were sent: this event must arrive.
    server.state.events.publish(Event::DomainFlagged {
        domain: "sse.example".into(),
        reason: "test".into(),
    });
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !text.contains("sse.example") {
            let chunk = res.chunk().await.unwrap().expect("stream ended");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no event within 10 s; got {text:?}"));
    let message = text
        .split("\n\n")
        .find(|m| m.contains("sse.example"))
        .unwrap();
    let mut lines = message.lines();
    assert_eq!(lines.next(), Some("event: domain_flagged"), "{message}");
    let data: Value =
        serde_json::from_str(lines.next().unwrap().strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(
        data,
        json!({ "event": "domain_flagged", "domain": "sse.example", "reason": "test" })
    );
}

#[tokio::test]
async fn the_openapi_document_describes_auth_parameters_and_schemas() {
    let server = TestServer::start().await;
    let doc = get_doc(&server).await;
    let mut listed = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            listed.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(listed, expected, "the OpenAPI document lists every route");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["security"], json!([{ "bearer": [] }]));
    assert_eq!(
        doc["paths"]["/api/v1/admin/openapi.json"]["get"]["security"],
        json!([])
    );
    let params = |path: &str, method: &str| -> Vec<String> {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(params("/api/v1/admin/activities/status", "get"), ["id"]);
    assert_eq!(
        params("/api/v1/admin/deliveries/failures", "get"),
        ["actor", "limit"]
    );
    assert_eq!(
        params("/api/v1/admin/followers/dead/cleanup", "post"),
        ["dry_run", "package"]
    );
    assert_eq!(
        params("/api/v1/admin/domains/flagged/{domain}", "delete"),
        ["domain"]
    );
    // Every $ref resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &r[..r.find('"').unwrap()];
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "missing schema {name}"
        );
    }
    // Protected operations document 401.
    for (method, path) in ROUTES.iter().filter(|(_, p)| !p.ends_with("openapi.json")) {
        assert!(
            doc["paths"][path][method]["responses"]["401"].is_object(),
            "{method} {path}"
        );
    }
}
