//! The OpenAPI document: committed copy fresh, both auth headers required together, errors and
//! examples documented; Swagger UI served without anything from outside.

mod common;

use std::path::Path;

use common::Harness;
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(&reference_server::document()).expect("the document is JSON")
}

/// rust-analyzer's `ensure_file_contents`: in CI a stale file fails; locally it is rewritten
/// (and the test still fails, so the change is noticed and committed).
#[test]
fn committed_openapi_document_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let expected = reference_server::document();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == expected {
        return;
    }
    if std::env::var_os("CI").is_none() {
        std::fs::write(&path, &expected).unwrap();
    }
    panic!("openapi/openapi.json is stale: run `cargo xtask openapi` and commit");
}

#[test]
fn every_authenticated_operation_requires_both_headers_in_one_requirement() {
    let doc = document();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["AuthToken"]["name"], "X-Auth-Token");
    assert_eq!(schemes["AuthToken"]["in"], "header");
    assert_eq!(schemes["UserId"]["name"], "X-User-Id");
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let requirements = op["security"].as_array().unwrap();
            if requirements.is_empty() {
                // `security: []`: an operation that needs no credentials.
                continue;
            }
            assert_eq!(
                requirements.len(),
                1,
                "{method} {path}: one requirement object"
            );
            let both = requirements[0].as_object().unwrap();
            assert!(
                both.contains_key("AuthToken") && both.contains_key("UserId"),
                "{method} {path}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "users.presence and logout at least");
    let presence = &doc["paths"]["/api/v1/users.presence"]["get"];
    assert!(presence["security"].is_array());
    for open in [
        &doc["paths"]["/api/v1/login"]["post"],
        &doc["paths"]["/api/info"]["get"],
        &doc["paths"]["/test-control/clock"]["get"],
    ] {
        assert_eq!(
            open["security"],
            serde_json::json!([]),
            "needs no credentials"
        );
    }
    assert_eq!(
        doc["servers"][0]["url"], "/",
        "relative: the server serves it on any port"
    );
}

#[test]
fn presence_documents_400_and_401_with_schemas_and_seed_examples() {
    let doc = document();
    let op = &doc["paths"]["/api/v1/users.presence"]["get"];
    for status in ["200", "400", "401"] {
        let media = &op["responses"][status]["content"]["application/json"];
        assert!(media["schema"].is_object(), "{status} has a schema");
    }
    let examples = &op["responses"]["200"]["content"]["application/json"]["examples"];
    assert_eq!(examples["full"]["value"]["full"], Value::Bool(true));
    assert_eq!(examples["partial"]["value"]["full"], Value::Bool(false));
    assert_eq!(examples["full"]["value"]["users"][0]["_id"], "rocket.cat");
    let unauthorized = &op["responses"]["401"]["content"]["application/json"]["example"];
    assert_eq!(unauthorized["error"], "You must be logged in to do this.");
    let from = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "from")
        .unwrap();
    assert_eq!(from["in"], "query");
    assert_eq!(from["required"], Value::Bool(false));
    assert_eq!(from["schema"]["example"], "2019-05-22T12:11:45.392Z");
    let description = op["description"].as_str().unwrap();
    assert!(
        description.contains("10 minutes"),
        "the 10-minute rule is explained"
    );
    assert!(description.contains("full: true") || description.contains("`full: true`"));
}

#[tokio::test]
async fn the_document_is_served_at_openapi_json() {
    let h = Harness::presence();
    let r = h.get_anonymous("/openapi.json").await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("application/json"));
    assert_eq!(r.body, document());
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs_with_nothing_from_outside() {
    let h = Harness::presence();
    let r = h.get_anonymous("/docs").await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/html"));
    let html = r.raw;
    assert!(html.contains("SwaggerUIBundle"), "the UI script is inline");
    for outside in [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "@import url(http",
        "//cdn",
        "unpkg.com",
        "jsdelivr",
    ] {
        assert!(
            !html.contains(outside),
            "Swagger UI page refers outside: {outside}"
        );
    }
    assert!(
        html.contains("\"AuthToken\""),
        "the page embeds the adjusted document"
    );
    assert!(
        html.contains("\"UserId\": []"),
        "with both headers in one requirement"
    );
}
