//! The companion API: shapes, permissions, errors, and the effect of every write on
//! `users.presence?from=` and `directory`.

mod common;

use common::{Harness, ADMIN, ALICE, BOB};
use serde_json::{json, Value};

const FORBIDDEN: &str =
    "User does not have the permissions required for this action [error-unauthorized]";

fn delta(since: &str) -> String {
    format!("/api/v1/users.presence?from={since}")
}

async fn create_user(h: &Harness, username: &str) -> Value {
    let body = json!({"email": format!("{username}@example.org"), "name": format!("Name {username}"), "password": "pw", "username": username});
    let r = h
        .post_as(ADMIN, "/api/v1/users.create", &body.to_string())
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["user"].clone()
}

async fn login(h: &Harness, username: &str, password: &str) -> (String, String) {
    let body = json!({"user": username, "password": password}).to_string();
    let r = h
        .request(poem::http::Method::POST, "/api/v1/login", &[], Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    (
        r.body["data"]["userId"].as_str().unwrap().to_owned(),
        r.body["data"]["authToken"].as_str().unwrap().to_owned(),
    )
}

fn creds(c: &(String, String)) -> (&str, &str) {
    (c.0.as_str(), c.1.as_str())
}

#[tokio::test]
async fn me_answers_the_callers_user() {
    let h = Harness::presence();
    let r = h.get_as(ALICE, "/api/v1/me").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        (r.body["_id"].as_str(), r.body["username"].as_str()),
        (Some("alice"), Some("alice"))
    );
    assert_eq!(r.body["success"], json!(true));
    assert!(r.raw.find("password").is_none(), "no secret leaks");
}

#[tokio::test]
async fn users_create_answers_the_new_offline_user() {
    let h = Harness::presence();
    let user = create_user(&h, "newbie").await;
    assert_eq!(user["username"], "newbie");
    assert_eq!(user["status"], "offline");
    assert_eq!(user["active"], json!(true));
    assert_eq!(user["emails"][0]["address"], "newbie@example.org");
    assert!(user["_id"].as_str().unwrap().len() >= 17);
}

#[tokio::test]
async fn users_create_is_admin_only() {
    let h = Harness::presence();
    let body = json!({"email": "x@example.org", "name": "X", "password": "pw", "username": "x"})
        .to_string();
    let r = h.post_as(ALICE, "/api/v1/users.create", &body).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"success": false, "error": FORBIDDEN}));
}

#[tokio::test]
async fn users_create_refuses_missing_fields_duplicates_and_unknown_fields() {
    let h = Harness::presence();
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/users.create",
            r#"{"name":"X","password":"pw","username":"x"}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"success": false, "errorType": "error-invalid-params", "error": "must have required property 'email'"})
    );
    let dup =
        json!({"email": "new@example.org", "name": "A", "password": "pw", "username": "Alice"})
            .to_string();
    let r = h.post_as(ADMIN, "/api/v1/users.create", &dup).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errorType"], "error-field-unavailable");
    assert_eq!(
        r.body["error"],
        "Alice is already in use :( [error-field-unavailable]"
    );
    let dup_mail =
        json!({"email": "ALICE@example.org", "name": "A", "password": "pw", "username": "alice2"})
            .to_string();
    assert_eq!(
        h.post_as(ADMIN, "/api/v1/users.create", &dup_mail)
            .await
            .body["errorType"],
        "error-field-unavailable"
    );
    let extra = json!({"email": "e@example.org", "name": "E", "password": "pw", "username": "e", "shoeSize": 42}).to_string();
    let r = h.post_as(ADMIN, "/api/v1/users.create", &extra).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "must NOT have additional properties");
    let r = h.post_as(ADMIN, "/api/v1/users.create", "{not json").await;
    assert_eq!((r.status, &r.body["success"]), (400, &json!(false)));
    assert_eq!(
        h.state.store.read().user_count(),
        10,
        "nothing half-written"
    );
}

#[tokio::test]
async fn a_created_user_appears_in_the_next_presence_delta_even_offline() {
    let h = Harness::presence();
    let since = h.iso_ago(0);
    h.state.clock.advance(1_000);
    let user = create_user(&h, "fresh").await;
    let r = h.get_as(BOB, &delta(&since)).await;
    assert_eq!(r.user_ids(), vec![user["_id"].as_str().unwrap().to_owned()]);
    assert_eq!(r.body["users"][0]["status"], "offline");
}

#[tokio::test]
async fn two_new_users_see_exactly_each_others_status_change() {
    let h = Harness::presence();
    create_user(&h, "one").await;
    create_user(&h, "two").await;
    let one = login(&h, "one", "pw").await;
    let two = login(&h, "two", "pw").await;
    h.state.clock.advance(1_000);
    let since = h.iso_ago(0);
    h.state.clock.advance(1_000);
    let r = h
        .post_as(
            creds(&one),
            "/api/v1/users.setStatus",
            r#"{"status":"busy","message":"deep work"}"#,
        )
        .await;
    assert_eq!(r.raw, r#"{"success":true}"#);
    let seen_by_two = h.get_as(creds(&two), &delta(&since)).await;
    assert_eq!(seen_by_two.user_ids(), vec![one.0.clone()]);
    assert_eq!(
        seen_by_two.body["users"][0]["status"], "offline",
        "as 8.6: a human's busy without a live connection shows offline"
    );
    assert_eq!(seen_by_two.body["users"][0]["statusText"], "deep work");
    let seen_by_one = h.get_as(creds(&one), &delta(&since)).await;
    assert_eq!(
        seen_by_one.user_ids(),
        Vec::<String>::new(),
        "the caller never sees itself in a delta"
    );
}

#[tokio::test]
async fn set_status_for_another_user_is_admin_only() {
    let h = Harness::presence();
    let r = h
        .post_as(
            ALICE,
            "/api/v1/users.setStatus",
            r#"{"status":"away","userId":"bob"}"#,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/users.setStatus",
            r#"{"status":"online","username":"bob"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(h
        .get_as(ALICE, "/api/v1/users.presence")
        .await
        .user_ids()
        .contains(&"bob".to_owned()));
}

#[tokio::test]
async fn set_status_refuses_unknown_statuses_and_empty_bodies() {
    let h = Harness::presence();
    let r = h
        .post_as(ALICE, "/api/v1/users.setStatus", r#"{"status":"sleepy"}"#)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errorType"], "error-invalid-status");
    let r = h.post_as(ALICE, "/api/v1/users.setStatus", "{}").await;
    assert_eq!(r.status, 400);
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/users.setStatus",
            r#"{"status":"away","userId":"ghost"}"#,
        )
        .await;
    assert_eq!(r.body["errorType"], "error-invalid-user");
}

#[tokio::test]
async fn get_status_and_get_presence_read_the_stored_status() {
    let h = Harness::presence();
    let r = h
        .get_as(ALICE, "/api/v1/users.getStatus?userId=carol")
        .await;
    assert_eq!(
        r.body,
        json!({"_id": "carol", "status": "busy", "connectionStatus": "offline", "statusSource": "manual", "success": true}),
        "another user's status text is not sent"
    );
    let r = h.get_as(ALICE, "/api/v1/users.getPresence").await;
    assert_eq!(
        r.body,
        json!({"presence": "away", "connectionStatus": "offline", "success": true})
    );
    let r = h
        .get_as(ALICE, "/api/v1/users.getPresence?username=ghost")
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn deactivating_a_user_revokes_its_tokens_and_shows_in_the_delta() {
    let h = Harness::presence();
    let since = h.iso_ago(0);
    h.state.clock.advance(1);
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/users.setActiveStatus",
            r#"{"userId":"alice","activeStatus":false}"#,
        )
        .await;
    assert_eq!(
        r.body,
        json!({"user": {"_id": "alice", "active": false}, "success": true})
    );
    assert_eq!(h.get_as(ALICE, "/api/v1/me").await.status, 401);
    assert_eq!(
        h.get_as(BOB, &delta(&since)).await.user_ids(),
        vec!["alice"]
    );
    let r = h
        .post_as(
            BOB,
            "/api/v1/users.setActiveStatus",
            r#"{"userId":"carol","activeStatus":false}"#,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/users.setActiveStatus",
            r#"{"activeStatus":false}"#,
        )
        .await;
    assert_eq!(r.body["error"], "must have required property 'userId'");
}

#[tokio::test]
async fn users_update_changes_the_profile_and_touches_updated_at() {
    let h = Harness::presence();
    let since = h.iso_ago(0);
    h.state.clock.advance(1);
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/users.update",
            r#"{"userId":"frank","data":{"name":"Franklin","bio":"b","nickname":"frankie"}}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        (
            r.body["user"]["name"].as_str(),
            r.body["user"]["nickname"].as_str()
        ),
        (Some("Franklin"), Some("frankie"))
    );
    let seen = h.get_as(BOB, &delta(&since)).await;
    assert_eq!(seen.user_ids(), vec!["frank"]);
    assert_eq!(seen.body["users"][0]["name"], "Franklin");
    let r = h
        .post_as(
            BOB,
            "/api/v1/users.update",
            r#"{"userId":"frank","data":{"name":"x"}}"#,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .post_as(
            BOB,
            "/api/v1/users.update",
            r#"{"userId":"bob","data":{"bio":"mine"}}"#,
        )
        .await;
    assert_eq!(r.status, 200, "users may edit themselves");
}

#[tokio::test]
async fn users_delete_removes_the_user() {
    let h = Harness::presence();
    let r = h
        .post_as(ADMIN, "/api/v1/users.delete", r#"{"userId":"frank"}"#)
        .await;
    assert_eq!(r.raw, r#"{"deletedRooms":[],"success":true}"#);
    let r = h
        .post_as(ADMIN, "/api/v1/users.delete", r#"{"userId":"frank"}"#)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errorType"], "error-invalid-user");
    assert_eq!(
        h.post_as(ALICE, "/api/v1/users.delete", r#"{"userId":"bob"}"#)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn channels_create_invite_and_delete_with_rocket_chat_shapes() {
    let h = Harness::presence();
    let r = h
        .post_as(
            ALICE,
            "/api/v1/channels.create",
            r#"{"name":"team-chat","members":["bob"]}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let channel = &r.body["channel"];
    assert_eq!(
        (
            channel["t"].as_str(),
            channel["name"].as_str(),
            channel["usersCount"].as_u64()
        ),
        (Some("c"), Some("team-chat"), Some(2))
    );
    assert_eq!(channel["u"]["username"], "alice");
    let id = channel["_id"].as_str().unwrap().to_owned();
    let dup = h
        .post_as(BOB, "/api/v1/channels.create", r#"{"name":"team-chat"}"#)
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(dup.body["errorType"], "error-duplicate-channel-name");
    let bad = h
        .post_as(BOB, "/api/v1/channels.create", r#"{"name":"has space"}"#)
        .await;
    assert_eq!(bad.body["errorType"], "error-invalid-room-name");
    h.state.clock.advance(1);
    let since = h.iso_ago(0);
    h.state.clock.advance(1);
    let invite = json!({"roomId": id, "userId": "carol"}).to_string();
    let r = h.post_as(ALICE, "/api/v1/channels.invite", &invite).await;
    assert_eq!(r.body["channel"]["usersCount"], 3);
    assert_eq!(
        h.get_as(BOB, &delta(&since)).await.user_ids(),
        vec!["carol"],
        "joining touches the user"
    );
    assert_eq!(
        h.post_as(
            BOB,
            "/api/v1/channels.delete",
            &json!({"roomId": id}).to_string()
        )
        .await
        .status,
        403
    );
    let r = h
        .post_as(
            ALICE,
            "/api/v1/channels.delete",
            &json!({"roomName": "team-chat"}).to_string(),
        )
        .await;
    assert_eq!(r.raw, r#"{"success":true}"#);
    let r = h
        .post_as(
            ALICE,
            "/api/v1/channels.delete",
            &json!({"roomId": id}).to_string(),
        )
        .await;
    assert_eq!(r.body["errorType"], "error-room-not-found");
}

#[tokio::test]
async fn a_private_group_is_visible_in_the_directory_to_its_members_only() {
    let h = Harness::presence();
    let r = h
        .post_as(
            ALICE,
            "/api/v1/groups.create",
            r#"{"name":"hush","members":["bob"]}"#,
        )
        .await;
    assert_eq!(r.body["group"]["t"], "p", "{}", r.raw);
    let find = "/api/v1/directory?type=channels&text=hush";
    assert_eq!(h.get_as(BOB, find).await.body["total"], 1);
    assert_eq!(h.get_as(ALICE, find).await.body["total"], 1);
    assert_eq!(
        h.get_as(ADMIN, find).await.body["total"],
        0,
        "admins are not members"
    );
    let r = h
        .post_as(ALICE, "/api/v1/groups.delete", r#"{"roomName":"hush"}"#)
        .await;
    assert_eq!(r.raw, r#"{"success":true}"#);
    assert_eq!(h.get_as(BOB, find).await.body["total"], 0);
}

#[tokio::test]
async fn a_deactivated_user_leaves_the_directory() {
    let h = Harness::presence();
    let find = "/api/v1/directory?type=users&text=frank";
    assert_eq!(h.get_as(ADMIN, find).await.body["total"], 1);
    h.post_as(
        ADMIN,
        "/api/v1/users.setActiveStatus",
        r#"{"userId":"frank","activeStatus":false}"#,
    )
    .await;
    assert_eq!(h.get_as(ADMIN, find).await.body["total"], 0);
}

#[tokio::test]
async fn teams_create_add_rooms_and_delete() {
    let h = Harness::presence();
    let r = h
        .post_as(
            ALICE,
            "/api/v1/teams.create",
            r#"{"name":"squad","type":0,"members":["bob"]}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let team = &r.body["team"];
    assert_eq!(
        (team["name"].as_str(), team["type"].as_i64()),
        (Some("squad"), Some(0))
    );
    assert_eq!(team["createdBy"]["username"], "alice");
    let team_id = team["_id"].as_str().unwrap().to_owned();
    let main = team["roomId"].as_str().unwrap().to_owned();
    let teams = h
        .get_as(BOB, "/api/v1/directory?type=teams&text=squad")
        .await;
    assert_eq!(teams.body["result"][0]["_id"], json!(main));
    let inside = json!({"name": "squad-chat", "extraData": {"teamId": team_id}}).to_string();
    let r = h.post_as(ALICE, "/api/v1/channels.create", &inside).await;
    assert_eq!(r.body["channel"]["teamId"], json!(team_id));
    let loose = h
        .post_as(ALICE, "/api/v1/channels.create", r#"{"name":"loose"}"#)
        .await;
    let loose_id = loose.body["channel"]["_id"].as_str().unwrap().to_owned();
    let add = json!({"teamName": "squad", "rooms": [loose_id]}).to_string();
    let r = h.post_as(ALICE, "/api/v1/teams.addRooms", &add).await;
    assert_eq!(r.body["rooms"][0]["teamId"], json!(team_id), "{}", r.raw);
    let found = h
        .get_as(BOB, "/api/v1/directory?type=channels&text=loose")
        .await;
    assert_eq!(found.body["result"][0]["belongsTo"], "squad");
    assert_eq!(
        h.post_as(BOB, "/api/v1/teams.delete", r#"{"teamName":"squad"}"#)
            .await
            .status,
        403
    );
    let dup = h
        .post_as(BOB, "/api/v1/teams.create", r#"{"name":"squad","type":1}"#)
        .await;
    assert_eq!(
        dup.body,
        json!({"success": false, "error": "team-name-already-exists"})
    );
    let r = h
        .post_as(ALICE, "/api/v1/teams.delete", r#"{"teamName":"squad"}"#)
        .await;
    assert_eq!(r.raw, r#"{"success":true}"#);
    assert_eq!(
        h.get_as(BOB, "/api/v1/directory?type=teams&text=squad")
            .await
            .body["total"],
        0
    );
    let left = h
        .get_as(BOB, "/api/v1/directory?type=channels&text=loose")
        .await;
    assert!(
        left.body["result"][0].get("belongsTo").is_none(),
        "rooms leave the deleted team"
    );
}

#[tokio::test]
async fn companion_endpoints_need_both_auth_headers() {
    let h = Harness::presence();
    for path in [
        "/api/v1/users.create",
        "/api/v1/users.setStatus",
        "/api/v1/channels.create",
        "/api/v1/teams.create",
    ] {
        let r = h
            .request(
                poem::http::Method::POST,
                path,
                &[("X-Auth-Token", ALICE.1)],
                Some("{}"),
            )
            .await;
        assert_eq!(r.status, 401, "{path}");
    }
    assert_eq!(h.get_anonymous("/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn permissions_update_changes_who_may_create_teams() {
    let h = Harness::presence();
    let only_admins = r#"{"permissions":[{"_id":"create-team","roles":["admin"]}]}"#;
    let r = h
        .post_as(ADMIN, "/api/v1/permissions.update", only_admins)
        .await;
    assert_eq!(
        r.body,
        json!({"permissions": [{"_id": "create-team", "roles": ["admin"]}], "success": true})
    );
    let r = h
        .post_as(ALICE, "/api/v1/teams.create", r#"{"name":"nope","type":0}"#)
        .await;
    assert_eq!(r.status, 403);
    let back = r#"{"permissions":[{"_id":"create-team","roles":["admin","user"]}]}"#;
    h.post_as(ADMIN, "/api/v1/permissions.update", back).await;
    let r = h
        .post_as(ALICE, "/api/v1/teams.create", r#"{"name":"yes","type":0}"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        h.post_as(ALICE, "/api/v1/permissions.update", back)
            .await
            .status,
        403
    );
    let bad_role = r#"{"permissions":[{"_id":"create-team","roles":["wizard"]}]}"#;
    let r = h
        .post_as(ADMIN, "/api/v1/permissions.update", bad_role)
        .await;
    assert_eq!(r.body["errorType"], "error-invalid-role");
}

#[tokio::test]
async fn settings_can_be_changed_by_admins_through_the_settings_endpoint() {
    let h = Harness::presence();
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/settings/Presence_broadcast_disabled",
            r#"{"value":true}"#,
        )
        .await;
    assert_eq!(r.raw, r#"{"success":true}"#);
    assert_eq!(
        h.get_as(ALICE, "/api/v1/users.presence").await.raw,
        r#"{"users":[],"full":true,"success":true}"#
    );
    assert_eq!(
        h.post_as(
            ALICE,
            "/api/v1/settings/Presence_broadcast_disabled",
            r#"{"value":false}"#
        )
        .await
        .status,
        403
    );
    let r = h
        .post_as(ADMIN, "/api/v1/settings/Not_A_Setting", r#"{"value":1}"#)
        .await;
    assert_eq!((r.status, &r.body["success"]), (400, &json!(false)));
    let r = h
        .post_as(
            ADMIN,
            "/api/v1/settings/API_Default_Count",
            r#"{"value":"ten"}"#,
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn permissions_update_decides_who_sees_emails_in_the_directory() {
    let h = Harness::presence();
    let find = "/api/v1/directory?type=users&text=alice";
    assert!(h.get_as(BOB, find).await.body["result"][0]
        .get("emails")
        .is_none());
    let grant = r#"{"permissions":[{"_id":"view-full-other-user-info","roles":["admin","user"]}]}"#;
    assert_eq!(
        h.post_as(ADMIN, "/api/v1/permissions.update", grant)
            .await
            .status,
        200
    );
    assert_eq!(
        h.get_as(BOB, find).await.body["result"][0]["emails"][0]["address"],
        "alice@example.org"
    );
}
