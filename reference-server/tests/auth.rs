//! Auth as Rocket.Chat does it: both headers, a token issued to that user, and the 401 envelope;
//! `login` and `logout`.

mod common;

use common::{Harness, ADMIN, ALICE, BOB};
use poem::http::Method;
use serde_json::json;

const PRESENCE: &str = "/api/v1/users.presence";

fn assert_not_logged_in(r: &common::Reply) {
    assert_eq!(r.status, 401, "{}", r.raw);
    assert!(r.content_type.starts_with("application/json"));
    assert_eq!(
        r.body,
        json!({"success": false, "error": "You must be logged in to do this.", "status": "error", "message": "You must be logged in to do this."})
    );
}

#[tokio::test]
async fn no_auth_headers_is_401_with_rocket_chat_envelope() {
    let h = Harness::presence();
    assert_not_logged_in(&h.get_anonymous(PRESENCE).await);
}

#[tokio::test]
async fn only_one_auth_header_is_401() {
    let h = Harness::presence();
    let only_token = h
        .request(Method::GET, PRESENCE, &[("X-Auth-Token", ALICE.1)], None)
        .await;
    assert_not_logged_in(&only_token);
    let only_id = h
        .request(Method::GET, PRESENCE, &[("X-User-Id", ALICE.0)], None)
        .await;
    assert_not_logged_in(&only_id);
}

#[tokio::test]
async fn wrong_token_is_401() {
    let h = Harness::presence();
    assert_not_logged_in(&h.get_as((ALICE.0, "not-the-token"), PRESENCE).await);
    assert_not_logged_in(&h.get_as(("nobody", ALICE.1), PRESENCE).await);
    assert_not_logged_in(&h.get_as((ALICE.0, ""), PRESENCE).await);
}

#[tokio::test]
async fn another_users_token_is_401() {
    let h = Harness::presence();
    assert_not_logged_in(&h.get_as((ALICE.0, BOB.1), PRESENCE).await);
}

#[tokio::test]
async fn a_deactivated_users_token_is_401() {
    let h = Harness::presence();
    assert_not_logged_in(&h.get_as(("gone", "gone-token"), PRESENCE).await);
}

#[tokio::test]
async fn auth_is_checked_before_the_parameters() {
    let h = Harness::presence();
    assert_not_logged_in(&h.get_anonymous(&format!("{PRESENCE}?foo=1")).await);
}

#[tokio::test]
async fn login_with_user_and_password_answers_user_id_token_and_me() {
    let h = Harness::presence();
    let r = h
        .request(
            Method::POST,
            "/api/v1/login",
            &[],
            Some(r#"{"user":"alice","password":"alice-pw"}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["status"], "success");
    assert_eq!(r.body["data"]["userId"], "alice");
    assert_eq!(r.body["data"]["me"]["_id"], "alice");
    assert_eq!(r.body["data"]["me"]["username"], "alice");
    let token = r.body["data"]["authToken"].as_str().unwrap();
    assert_eq!(
        h.get_as(("alice", token), PRESENCE).await.status,
        200,
        "the new token works"
    );
}

#[tokio::test]
async fn login_accepts_username_email_and_object_forms() {
    let h = Harness::presence();
    for body in [
        r#"{"username":"alice","password":"alice-pw"}"#,
        r#"{"email":"alice@example.org","password":"alice-pw"}"#,
        r#"{"user":"alice@example.org","password":"alice-pw"}"#,
        r#"{"user":{"username":"alice"},"password":"alice-pw"}"#,
        r#"{"user":{"email":"alice@example.org"},"password":"alice-pw"}"#,
    ] {
        let r = h
            .request(Method::POST, "/api/v1/login", &[], Some(body))
            .await;
        assert_eq!(r.status, 200, "{body}: {}", r.raw);
        assert_eq!(r.body["data"]["userId"], "alice");
    }
}

#[tokio::test]
async fn login_with_bad_credentials_is_401_unauthorized() {
    let h = Harness::presence();
    for body in [
        r#"{"user":"alice","password":"wrong"}"#,
        r#"{"user":"nobody","password":"alice-pw"}"#,
        r#"{"user":"gone","password":"x"}"#,
    ] {
        let r = h
            .request(Method::POST, "/api/v1/login", &[], Some(body))
            .await;
        assert_eq!(r.status, 401, "{body}");
        assert_eq!(
            r.body,
            json!({"success": false, "status": "error", "error": "Unauthorized", "message": "Unauthorized"})
        );
    }
}

#[tokio::test]
async fn login_with_a_body_that_is_not_a_login_is_400_envelope() {
    let h = Harness::presence();
    for body in ["not json", r#"{"user":"alice"}"#, "[]"] {
        let r = h
            .request(Method::POST, "/api/v1/login", &[], Some(body))
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.raw);
        assert_eq!(r.body["success"], json!(false), "{body}");
        assert!(r.body["error"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn login_with_resume_token_issues_a_new_token() {
    let h = Harness::presence();
    let r = h
        .request(
            Method::POST,
            "/api/v1/login",
            &[],
            Some(r#"{"resume":"alice-token"}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_ne!(r.body["data"]["authToken"], "alice-token");
}

#[tokio::test]
async fn logout_revokes_the_token_it_was_called_with() {
    let h = Harness::presence();
    let r = h.post_as(ALICE, "/api/v1/logout", "{}").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({"status": "success", "data": {"message": "You've been logged out!"}})
    );
    assert_not_logged_in(&h.get_as(ALICE, PRESENCE).await);
    assert_eq!(
        h.get_as(ADMIN, PRESENCE).await.status,
        200,
        "other tokens still work"
    );
}

#[tokio::test]
async fn logout_without_credentials_is_401() {
    let h = Harness::presence();
    let r = h.request(Method::POST, "/api/v1/logout", &[], None).await;
    assert_not_logged_in(&r);
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_the_error_envelope() {
    let h = Harness::presence();
    let r = h.get_as(ADMIN, "/api/v1/no.such.endpoint").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["success"], json!(false));
    let r = h.request(Method::DELETE, PRESENCE, &[], None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["success"], json!(false));
}

#[tokio::test]
async fn api_info_needs_no_credentials() {
    let h = Harness::presence();
    let r = h.get_anonymous("/api/info").await;
    assert_eq!(r.status, 200);
    assert!(r.body["version"].is_string());
    assert_eq!(r.body["success"], json!(true));
}
