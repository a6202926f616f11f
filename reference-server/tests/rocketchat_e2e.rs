//! Rocket.Chat's own end-to-end tests of `users.presence` and `directory`
//! (`apps/meteor/tests/end-to-end/api/users.ts`, `miscellaneous.ts`), replayed
//! step by step against the reference server with its default fixtures: a client written for a
//! real server must find the same answers here.

mod common;

use common::Harness;
use poem::http::Method;
use serde_json::{json, Value};

const ADMIN: &str = "rocketchat.internal.admin.test";

fn default_fixture() -> Harness {
    Harness::new(include_str!("../../fixtures/default.json"))
}

async fn login(h: &Harness, user: &str, password: &str) -> (String, String) {
    let body = json!({"user": user, "password": password}).to_string();
    let r = h
        .request(Method::POST, "/api/v1/login", &[], Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    (
        r.body["data"]["userId"].as_str().unwrap().to_owned(),
        r.body["data"]["authToken"].as_str().unwrap().to_owned(),
    )
}

fn c(creds: &(String, String)) -> (&str, &str) {
    (&creds.0, &creds.1)
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn users_presence_not_logged_in_is_401_with_a_message() {
    let h = default_fixture();
    let r = h.get_anonymous("/api/v1/users.presence").await;
    assert_eq!(r.status, 401);
    assert!(r.content_type.starts_with("application/json"));
    assert!(r.body["message"].is_string());
}

#[tokio::test]
async fn users_presence_returns_online_users_full_list() {
    let h = default_fixture();
    let admin = login(&h, ADMIN, ADMIN).await;
    let r = h.get_as(c(&admin), "/api/v1/users.presence").await;
    assert_eq!(
        (r.status, &r.body["success"], &r.body["full"]),
        (200, &json!(true), &json!(true))
    );
    let cat = r.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "rocket.cat")
        .unwrap();
    assert_eq!(
        keys(cat),
        [
            "_id",
            "avatarETag",
            "name",
            "status",
            "username",
            "utcOffset"
        ]
    );
}

#[tokio::test]
async fn users_presence_returns_no_online_users_updated_after_now() {
    let h = default_fixture();
    let admin = login(&h, ADMIN, ADMIN).await;
    let now = reference_server::time::to_iso(h.now());
    let r = h
        .get_as(c(&admin), &format!("/api/v1/users.presence?from={now}"))
        .await;
    assert_eq!((r.status, &r.body["full"]), (200, &json!(false)));
    assert_eq!(r.body["users"], json!([]));
}

#[tokio::test]
async fn users_presence_returns_full_list_for_more_than_10_minutes_in_the_past() {
    let h = default_fixture();
    let admin = login(&h, ADMIN, ADMIN).await;
    let past = reference_server::time::to_iso(h.now() - 11 * 60_000);
    let r = h
        .get_as(c(&admin), &format!("/api/v1/users.presence?from={past}"))
        .await;
    assert_eq!(r.body["full"], json!(true));
    let cat = r.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "rocket.cat")
        .unwrap();
    assert_eq!(
        keys(cat),
        [
            "_id",
            "avatarETag",
            "name",
            "status",
            "username",
            "utcOffset"
        ]
    );
}

#[tokio::test]
async fn users_get_presence_of_a_fresh_user_is_offline_even_after_a_rest_login() {
    let h = default_fixture();
    let admin = login(&h, ADMIN, ADMIN).await;
    let body = json!({"email": "fresh@example.org", "name": "Fresh", "username": "fresh.user", "password": "rocket.chat"});
    let created = h
        .post_as(c(&admin), "/api/v1/users.create", &body.to_string())
        .await;
    let id = created.body["user"]["_id"].as_str().unwrap().to_owned();
    let r = h
        .get_as(c(&admin), &format!("/api/v1/users.getPresence?userId={id}"))
        .await;
    assert_eq!(r.body["presence"], "offline");
    let fresh = login(&h, "fresh.user", "rocket.chat").await;
    let resumed = h
        .request(
            Method::POST,
            "/api/v1/login",
            &[],
            Some(&json!({"resume": fresh.1}).to_string()),
        )
        .await;
    assert_eq!(resumed.status, 200);
    let r = h.get_as(c(&fresh), "/api/v1/users.getPresence").await;
    assert_eq!(r.body["presence"], "offline");
}

/// The setup of `miscellaneous.ts`'s `[/directory]` block and its seven cases.
#[tokio::test]
async fn directory_cases_of_rocket_chats_miscellaneous_tests() {
    let h = default_fixture();
    let admin = login(&h, ADMIN, ADMIN).await;
    let perm =
        json!({"permissions": [{"_id": "create-team", "roles": ["admin", "user"]}]}).to_string();
    assert_eq!(
        h.post_as(c(&admin), "/api/v1/permissions.update", &perm)
            .await
            .status,
        200
    );
    let stamp = h.now();
    let username = format!("user.test.{stamp}");
    let body = json!({"email": format!("{username}@rocket.chat"), "name": username, "username": username, "password": "rocket.chat"});
    assert_eq!(
        h.post_as(c(&admin), "/api/v1/users.create", &body.to_string())
            .await
            .status,
        200
    );
    let normal = login(&h, &username, "rocket.chat").await;
    let channel_name = format!("channel.test.{stamp}");
    let r = h
        .post_as(
            c(&admin),
            "/api/v1/channels.create",
            &json!({"name": channel_name}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let team_name = format!("new-team-name-{stamp}");
    let team = h
        .post_as(
            c(&normal),
            "/api/v1/teams.create",
            &json!({"name": team_name, "type": 0}).to_string(),
        )
        .await;
    assert_eq!(team.status, 200, "{}", team.raw);
    let team_room = team.body["team"]["roomId"].clone();

    let q = |query: Value| {
        let pairs: Vec<String> = query
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}", percent(v.as_str().unwrap())))
            .collect();
        format!("/api/v1/directory?{}", pairs.join("&"))
    };

    // 1. admin searching users sees e-mails.
    let r = h
        .get_as(c(&admin), &q(json!({"text": username, "type": "users"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(
        r.body["offset"].is_number() && r.body["total"].is_number() && r.body["count"].is_number()
    );
    for key in ["_id", "createdAt", "username", "name"] {
        assert!(r.body["result"][0].get(key).is_some(), "{key}");
    }
    assert!(r.body["result"][0]["emails"].is_array());
    // 2. a normal user does not.
    let r = h
        .get_as(c(&normal), &q(json!({"text": username, "type": "users"})))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body["result"][0].get("emails").is_none());
    // 3. channels by name.
    let r = h
        .get_as(
            c(&admin),
            &q(json!({"text": channel_name, "type": "channels"})),
        )
        .await;
    let item = &r.body["result"][0];
    assert!(
        item["_id"].is_string()
            && item["name"] == json!(channel_name)
            && item["usersCount"].is_number()
            && item["ts"].is_string()
    );
    // 4. the same, sorted by name.
    let r = h
        .get_as(
            c(&admin),
            &q(json!({"text": channel_name, "type": "channels", "sort": "{\"name\":1}"})),
        )
        .await;
    assert_eq!(r.body["result"][0]["name"], json!(channel_name));
    // 5. an invalid type.
    let r = h
        .get_as(
            c(&admin),
            &q(json!({"text": "invalid channel", "type": "invalid"})),
        )
        .await;
    assert_eq!((r.status, &r.body["success"]), (400, &json!(false)));
    // 6. two sort keys.
    let r = h.get_as(c(&admin), &q(json!({"text": channel_name, "type": "channels", "sort": "{\"name\":1,\"test\":1}"}))).await;
    assert_eq!((r.status, &r.body["success"]), (400, &json!(false)));
    // 7. the normal user's team first among teams sorted by name.
    let r = h
        .get_as(
            c(&normal),
            &q(json!({"text": "", "type": "teams", "sort": "{\"name\":1}"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(r.body["total"].is_number());
    let first = &r.body["result"][0];
    assert_eq!(first["_id"], team_room);
    for key in [
        "fname",
        "teamMain",
        "name",
        "t",
        "usersCount",
        "ts",
        "teamId",
        "default",
        "roomsCount",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
