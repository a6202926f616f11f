//! The test-control API: off by default; clock, settings and fixture reload when on.

mod common;

use common::{Harness, ADMIN, NOW, PRESENCE_FIXTURE};
use poem::http::Method;
use reference_server::settings::Settings;
use serde_json::json;

#[tokio::test]
async fn test_control_is_off_unless_asked_for() {
    let h = Harness::with(PRESENCE_FIXTURE, Settings::default(), false);
    for (method, uri, body) in [
        (Method::GET, "/test-control/clock", None),
        (Method::PUT, "/test-control/clock", Some(r#"{"nowMs": 0}"#)),
        (
            Method::POST,
            "/test-control/clock/advance",
            Some(r#"{"ms": 1}"#),
        ),
        (Method::DELETE, "/test-control/clock", None),
        (Method::GET, "/test-control/settings", None),
        (Method::PATCH, "/test-control/settings", Some("{}")),
        (Method::POST, "/test-control/fixtures/reload", None),
        (Method::GET, "/test-control/baseline", None),
        (Method::GET, "/test-control/version", None),
        (
            Method::PUT,
            "/test-control/version",
            Some(r#"{"version": "7.10"}"#),
        ),
    ] {
        let r = h.request(method.clone(), uri, &[], body).await;
        assert_eq!(r.status, 404, "{method} {uri}");
        assert_eq!(r.body["success"], json!(false));
    }
    assert_eq!(h.now(), NOW, "nothing moved the clock");
}

#[tokio::test]
async fn the_clock_can_be_read_set_advanced_and_resumed() {
    let h = Harness::presence();
    let r = h
        .request(Method::GET, "/test-control/clock", &[], None)
        .await;
    assert_eq!(
        r.body,
        json!({"now": "2026-01-01T00:00:00.000Z", "nowMs": NOW, "manual": true, "success": true})
    );
    let r = h
        .request(
            Method::PUT,
            "/test-control/clock",
            &[],
            Some(r#"{"now": "2030-05-22T12:11:45.392Z"}"#),
        )
        .await;
    assert_eq!(r.body["now"], "2030-05-22T12:11:45.392Z");
    let r = h
        .request(
            Method::POST,
            "/test-control/clock/advance",
            &[],
            Some(r#"{"ms": 600000}"#),
        )
        .await;
    assert_eq!(r.body["now"], "2030-05-22T12:21:45.392Z");
    let r = h
        .request(
            Method::PUT,
            "/test-control/clock",
            &[],
            Some(r#"{"nowMs": 1000}"#),
        )
        .await;
    assert_eq!(r.body["now"], "1970-01-01T00:00:01.000Z");
    let r = h
        .request(Method::DELETE, "/test-control/clock", &[], None)
        .await;
    assert_eq!(r.body["manual"], json!(false));
    assert!(r.body["nowMs"].as_i64().unwrap() > NOW);
}

#[tokio::test]
async fn setting_the_clock_to_garbage_is_400() {
    let h = Harness::presence();
    let r = h
        .request(
            Method::PUT,
            "/test-control/clock",
            &[],
            Some(r#"{"now": "garbage"}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["success"], json!(false));
    let r = h
        .request(Method::PUT, "/test-control/clock", &[], Some("{}"))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(h.now(), NOW);
}

#[tokio::test]
async fn settings_can_be_changed_at_run_time() {
    let h = Harness::presence();
    let r = h
        .request(Method::GET, "/test-control/settings", &[], None)
        .await;
    assert_eq!(
        r.body["settings"]["Presence_broadcast_disabled"],
        json!(false)
    );
    assert_eq!(r.body["settings"]["API_Default_Count"], json!(50));
    let r = h
        .request(
            Method::PATCH,
            "/test-control/settings",
            &[],
            Some(r#"{"Presence_broadcast_disabled": true}"#),
        )
        .await;
    assert_eq!(
        r.body["settings"]["Presence_broadcast_disabled"],
        json!(true)
    );
    assert_eq!(
        r.body["settings"]["API_Upper_Count_Limit"],
        json!(100),
        "others unchanged"
    );
    let p = h.get_as(ADMIN, "/api/v1/users.presence").await;
    assert_eq!(p.raw, r#"{"users":[],"full":true,"success":true}"#);
}

#[tokio::test]
async fn reloading_the_fixture_restores_the_data_with_times_from_the_clock() {
    let h = Harness::presence();
    let login = h
        .request(
            Method::POST,
            "/api/v1/login",
            &[],
            Some(r#"{"user":"bob","password":"bob-pw"}"#),
        )
        .await;
    let token = login.body["data"]["authToken"].as_str().unwrap().to_owned();
    h.state.clock.advance(3_600_000);
    let r = h
        .request(Method::POST, "/test-control/fixtures/reload", &[], None)
        .await;
    assert_eq!(r.body, json!({"users": 10, "success": true}));
    assert_eq!(
        h.get_as(("bob", &token), "/api/v1/users.presence")
            .await
            .status,
        401,
        "login tokens are gone"
    );
    let alice_updated = h.state.store.read().user_by_id("alice").unwrap().updated_at;
    assert_eq!(
        alice_updated,
        NOW + 3_600_000 - 120_000,
        "\"-2m\" counts from the clock's now"
    );
}

#[tokio::test]
async fn a_failed_reload_keeps_the_data() {
    let dir = std::env::temp_dir().join(format!("refserver-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fixture.json");
    std::fs::write(&file, PRESENCE_FIXTURE).unwrap();
    let mut options =
        reference_server::ServerOptions::new(reference_server::FixtureSource::File(file.clone()));
    options.test_control = true;
    options.start_clock_at = Some(NOW);
    let state = std::sync::Arc::new(reference_server::AppState::new(options).unwrap());
    std::fs::write(&file, r#"{"users": [{"_id": 5}]}"#).unwrap();
    let err = state.reload_fixture().unwrap_err().to_string();
    assert!(
        err.contains("fixture.json") && err.contains("users[0]._id"),
        "{err}"
    );
    assert_eq!(state.store.read().user_count(), 10);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_baseline_answers_fixed_json_of_the_asked_size() {
    let h = Harness::presence();
    for size in [1024, 100_000] {
        let r = h
            .request(
                Method::GET,
                &format!("/test-control/baseline?bytes={size}"),
                &[],
                None,
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.raw.len(), size);
        assert!(r.body["pad"].is_string());
    }
    let off = Harness::with(PRESENCE_FIXTURE, Settings::default(), false);
    assert_eq!(
        off.request(Method::GET, "/test-control/baseline", &[], None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_rocketchat_version_can_be_switched_at_run_time() {
    let h = Harness::presence();
    let r = h
        .request(Method::GET, "/test-control/version", &[], None)
        .await;
    assert_eq!(
        r.body,
        json!({"version": "8.6.0", "line": "8.6+", "success": true})
    );
    let r = h
        .request(
            Method::PUT,
            "/test-control/version",
            &[],
            Some(r#"{"version": "6.13"}"#),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"version": "6.13.0", "line": "6.x", "success": true})
    );
    assert_eq!(h.get_anonymous("/api/info").await.body["version"], "6.13.0");
    let r = h.get_anonymous("/api/v1/users.presence").await;
    assert_eq!(
        (r.status, r.body.clone()),
        (
            401,
            json!({"status": "error", "message": "You must be logged in to do this."})
        ),
        "6.x's 401 body"
    );
    let r = h.get_as(ADMIN, "/api/v1/directory?type=users").await;
    assert_eq!(r.status, 400, "6.x takes the criteria only in query");
    assert_eq!(
        r.body,
        json!({"success": false, "error": "must NOT have additional properties [invalid-params]", "errorType": "invalid-params"})
    );
    let r = h.get_as(ADMIN, "/api/v1/users.presence?foo=1").await;
    assert_eq!(
        (r.status, r.body["full"].clone()),
        (200, json!(true)),
        "6.x ignores unknown names"
    );

    for bad in [r#"{"version": "9.1"}"#, r#"{"version": "eight"}"#] {
        let r = h
            .request(Method::PUT, "/test-control/version", &[], Some(bad))
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.body["errorType"], "error-invalid-version");
    }
    assert_eq!(
        h.get_anonymous("/api/info").await.body["version"],
        "6.13.0",
        "unchanged"
    );
}

#[tokio::test]
async fn a_request_can_carry_a_clock_of_its_own_without_moving_the_server_clock() {
    let h = Harness::presence();
    let from = h.iso_ago(5 * 60_000);
    let uri = format!("/api/v1/users.presence?from={from}");
    let later = (NOW + 20 * 60_000).to_string();
    let auth = [("X-User-Id", ADMIN.0), ("X-Auth-Token", ADMIN.1)];
    let on_server_clock = h.request(Method::GET, &uri, &auth, None).await;
    assert_eq!(on_server_clock.body["full"], json!(false));
    let with_own = [auth[0], auth[1], ("X-Test-Clock", later.as_str())];
    let on_own_clock = h.request(Method::GET, &uri, &with_own, None).await;
    assert_eq!(on_own_clock.status, 200, "{}", on_own_clock.raw);
    assert_eq!(
        on_own_clock.body["full"],
        json!(true),
        "from is 25 minutes old"
    );
    let clock = h
        .request(
            Method::GET,
            "/test-control/clock",
            &[("X-Test-Clock", "1000")],
            None,
        )
        .await;
    assert_eq!(clock.body["nowMs"], json!(1000));
    assert_eq!(h.now(), NOW, "the server's clock did not move");
}

#[tokio::test]
async fn a_request_clock_that_is_no_instant_is_400_and_ignored_without_test_control() {
    let h = Harness::presence();
    for bad in ["soon", "1.5", "8640000000000001"] {
        let r = h
            .request(
                Method::GET,
                "/api/v1/users.presence",
                &[
                    ("X-User-Id", ADMIN.0),
                    ("X-Auth-Token", ADMIN.1),
                    ("X-Test-Clock", bad),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.content_type, "application/json", "{bad}");
        assert_eq!(r.headers["cache-control"], "no-store", "{bad}");
        assert_eq!(r.body["success"], json!(false));
        assert!(
            r.body["error"].as_str().unwrap().contains("X-Test-Clock"),
            "{bad}: {}",
            r.raw
        );
    }
    let off = Harness::with(PRESENCE_FIXTURE, Settings::default(), false);
    let r = off
        .request(
            Method::GET,
            "/api/v1/users.presence",
            &[
                ("X-User-Id", ADMIN.0),
                ("X-Auth-Token", ADMIN.1),
                ("X-Test-Clock", "soon"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
}
