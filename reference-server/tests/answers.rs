//! Answers as Rocket.Chat sends them, on every operation of the document: JSON as exactly
//! `application/json` (errors included), `Allow` on a 405, the deprecated `GET` logout, the
//! user `me` shows, another user's status without its text, a team's last owner refused by
//! `users.delete`, a complete `lastMessage`, and a clock within JavaScript's dates.

mod common;

use common::{Harness, ADMIN, ALICE, NOW, PRESENCE_FIXTURE};
use poem::http::Method;
use reference_server::settings::Settings;
use serde_json::{json, Value};

/// Every operation of the document, and whether it takes a request body.
fn operations() -> Vec<(String, Method, bool)> {
    let doc: Value = serde_json::from_str(&reference_server::document()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let has_body = operation.get("requestBody").is_some();
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            out.push((path.clone(), method, has_body));
        }
    }
    out
}

#[tokio::test]
async fn every_json_answer_is_exactly_application_json_and_every_405_says_allow() {
    let ops = operations();
    assert!(
        ops.len() >= 25,
        "the document lists the operations: {}",
        ops.len()
    );
    let mut seen = 0;
    for (path, method, has_body) in &ops {
        // A fresh server per operation: some of them log out or delete what others need.
        let h = Harness::with(PRESENCE_FIXTURE, Settings::default(), true);
        let auth = [("X-User-Id", ADMIN.0), ("X-Auth-Token", ADMIN.1)];
        let with_body = *method != Method::GET && *method != Method::DELETE;
        let attempts = [
            h.request(method.clone(), path, &auth, with_body.then_some("{}"))
                .await,
            h.request(method.clone(), path, &[], with_body.then_some("{}"))
                .await,
            h.request(method.clone(), path, &auth, with_body.then_some("not json"))
                .await,
            h.request(
                method.clone(),
                &format!("{path}?foo=1"),
                &auth,
                with_body.then_some("{\"x\":1}"),
            )
            .await,
        ];
        for r in attempts {
            assert!(
                r.body.is_object(),
                "{method} {path}: {} is not a JSON object: {}",
                r.status,
                r.raw
            );
            assert_eq!(
                r.content_type, "application/json",
                "{method} {path} answered {}",
                r.status
            );
            seen += 1;
        }
        // Without a Content-Type, a body operation refuses the body (415, as the document says)
        // in the envelope.
        if *has_body {
            let fresh = Harness::with(PRESENCE_FIXTURE, Settings::default(), true);
            let r = fresh.request(method.clone(), path, &auth, None).await;
            assert_eq!(r.status, 415, "{method} {path} without a body: {}", r.raw);
            assert_eq!(r.content_type, "application/json", "{method} {path} 415");
            assert_eq!(r.body["success"], json!(false));
        }
    }
    assert!(seen >= 100);
    let h = Harness::presence();
    for (path, methods) in [
        ("/api/v1/users.presence", "GET"),
        ("/api/v1/logout", "GET, POST"),
        ("/test-control/clock", "DELETE, GET, PUT"),
    ] {
        let r = h
            .request(
                Method::PATCH,
                path,
                &[("X-User-Id", ADMIN.0), ("X-Auth-Token", ADMIN.1)],
                Some("{}"),
            )
            .await;
        assert_eq!(r.status, 405, "PATCH {path}");
        assert_eq!(r.content_type, "application/json");
        let mut allow: Vec<&str> = r.headers["allow"].to_str().unwrap().split(", ").collect();
        allow.sort();
        assert_eq!(allow.join(", "), methods, "Allow of {path}");
    }
}

#[tokio::test]
async fn get_logout_is_the_deprecated_alias_and_revokes_the_token() {
    let h = Harness::presence();
    let r = h.get_as(ALICE, "/api/v1/logout").await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (200, json!("success"))
    );
    assert_eq!(
        h.get_as(ALICE, "/api/v1/me").await.status,
        401,
        "the token is revoked"
    );
}

#[tokio::test]
async fn me_has_the_keys_rocket_chats_get_user_info_sends() {
    let h = Harness::presence();
    let me = h.get_as(ALICE, "/api/v1/me").await.body;
    assert_eq!(me["settings"], json!({"profile": {}, "preferences": {}}));
    assert_eq!(me["email"], json!("alice@example.org"));
    assert_eq!(me["isOAuthUser"], json!(false));
    assert_eq!(me["success"], json!(true));
}

#[tokio::test]
async fn another_users_status_comes_without_its_text_and_ones_own_with_it() {
    let h = Harness::presence();
    let other = h
        .get_as(ADMIN, "/api/v1/users.getStatus?userId=carol")
        .await
        .body;
    assert!(other.get("message").is_none(), "{other}");
    h.post_as(ALICE, "/api/v1/users.setStatus", r#"{"message":"lunch"}"#)
        .await;
    let own = h.get_as(ALICE, "/api/v1/users.getStatus").await.body;
    assert_eq!(own["message"], json!("lunch"));
}

const TEAM_FIXTURE: &str = r#"{
  "users": [
    {"_id": "rocket.admin", "username": "rocket.admin", "roles": ["admin", "user"], "status": "online",
     "tokens": [{"token": "admin-token"}]},
    {"_id": "alice", "username": "alice", "name": "Alice", "tokens": [{"token": "alice-token"}]},
    {"_id": "bob", "username": "bob", "name": "Bob", "tokens": [{"token": "bob-token"}]}
  ],
  "rooms": [
    {"_id": "solo", "t": "c", "name": "solo", "createdBy": "alice", "members": ["alice"],
     "lastMessage": {"ts": "-1m", "msg": "hi"}},
    {"_id": "shared", "t": "p", "name": "shared", "createdBy": "alice", "members": ["alice", "bob"]}
  ]
}"#;

#[tokio::test]
async fn deleting_the_last_owner_is_refused_unless_the_rooms_are_relinquished() {
    let h = Harness::with(TEAM_FIXTURE, Settings::default(), false);
    let team = h
        .post_as(
            ALICE,
            "/api/v1/teams.create",
            r#"{"name":"crew","type":0,"members":["bob"]}"#,
        )
        .await;
    assert_eq!(team.status, 200, "{}", team.raw);
    let r = h
        .post_as(ADMIN, "/api/v1/users.delete", r#"{"userId":"alice"}"#)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], json!("[user-last-owner]"));
    assert_eq!(r.body["errorType"], json!("user-last-owner"));
    let mut change: Vec<String> =
        serde_json::from_value(r.body["details"]["shouldChangeOwner"].clone()).unwrap();
    change.sort();
    assert_eq!(change, ["crew", "shared"]);
    assert_eq!(r.body["details"]["shouldBeRemoved"], json!(["solo"]));
    assert_eq!(
        h.get_as(ALICE, "/api/v1/me").await.status,
        200,
        "alice stays"
    );
    assert!(
        h.state
            .store
            .read()
            .teams()
            .iter()
            .any(|t| t.name == "crew"),
        "the team stays"
    );
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/users.delete",
            r#"{"userId":"alice","confirmRelinquish":true}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["deletedRooms"], json!(["solo"]));
    let store = h.state.store.read();
    assert!(store.user_idx("alice").is_none());
    assert!(store.room_idx("solo").is_none(), "alone in it: removed");
    let bob = store.user_idx("bob");
    let shared = store.room_idx("shared").unwrap();
    assert_eq!(store.room(shared).unwrap().created_by, bob, "passed to bob");
    let crew = store.teams().iter().find(|t| t.name == "crew").unwrap();
    assert_eq!(crew.created_by, bob);
    assert_eq!(store.room(crew.main_room).unwrap().name, "crew");
}

#[tokio::test]
async fn a_last_message_has_the_keys_of_a_rocket_chat_message() {
    let h = Harness::with(TEAM_FIXTURE, Settings::default(), false);
    let r = h
        .get_as(ADMIN, "/api/v1/directory?type=channels&text=solo")
        .await;
    let message = &r.body["result"][0]["lastMessage"];
    for key in ["_id", "rid", "msg", "ts", "u", "_updatedAt"] {
        assert!(
            message.get(key).is_some(),
            "lastMessage lacks {key}: {message}"
        );
    }
    assert_eq!(message["rid"], json!("solo"));
    assert_eq!(message["msg"], json!("hi"));
    assert_eq!(
        message["u"],
        json!({"_id": "alice", "username": "alice", "name": "Alice"})
    );
    assert_eq!(message["ts"], message["_updatedAt"]);
}

#[tokio::test]
async fn the_clock_stays_within_javascripts_dates() {
    let h = Harness::presence();
    for ms in [8_640_000_000_000_001_i64, -8_640_000_000_000_001] {
        let r = h
            .request(
                Method::PUT,
                "/test-control/clock",
                &[],
                Some(&format!("{{\"nowMs\": {ms}}}")),
            )
            .await;
        assert_eq!(r.status, 400, "{ms}");
        assert!(
            r.body["error"]
                .as_str()
                .unwrap()
                .contains("8640000000000000"),
            "{}",
            r.raw
        );
    }
    let r = h
        .request(
            Method::POST,
            "/test-control/clock/advance",
            &[],
            Some(r#"{"ms": 9000000000000000}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(h.now(), NOW, "unchanged");
}

#[tokio::test]
async fn offsets_beyond_64_bits_are_echoed_as_rocket_chat_parses_them() {
    let h = Harness::presence();
    let r = h
        .get_as(
            ADMIN,
            "/api/v1/directory?type=users&offset=100000000000000000000",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["result"], json!([]), "beyond the matches");
    assert_eq!(r.body["offset"].as_f64(), Some(1e20));
    let r = h
        .get_as(
            ADMIN,
            "/api/v1/directory?type=users&offset=-9223372036854775808",
        )
        .await;
    assert_eq!(r.body["offset"].as_f64(), Some(-9.223372036854776e18));
    assert!(r.body["total"].as_u64().unwrap() > 0 && r.body["count"] == r.body["total"]);
}
