//! `GET /api/v1/directory` in process, through poem's test client, against `fixtures/default.json`:
//! one test per rule of docs/contract/directory.md and docs/directory.md (named after it), every error path, and a property test of
//! paging.

use std::collections::BTreeSet;
use std::sync::Arc;

use poem::{endpoint::BoxEndpoint, test::TestClient, EndpointExt};
use proptest::prelude::*;
use reference_server::{app, AppState, FixtureSource, ServerOptions, Settings};
use serde_json::{json, Value};

/// `directory.admin`: an admin, the caller of the seed document's curl examples.
const ADMIN: (&str, &str) = (
    "hw5DThnhQmxDWnavu",
    "ijFlJ1yfidXhwEYY284Anoq_iEsOeMMVCupzNhX22tB",
);
/// `jane.doe`: a user; in GENERAL, the private group `secret-plans` and team `product-engineering`.
const JANE: (&str, &str) = (
    "aobEdbYhXfu5hkeqG",
    "9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq",
);
/// `normal.user`: a user; in GENERAL, `random` and the private team `platform`.
const NORMAL: (&str, &str) = (
    "plainUser0000001",
    "normal-user-token-0123456789abcdefghijklmnop",
);
/// `guest.user`: role guest only.
const GUEST: (&str, &str) = (
    "guestUser0000001",
    "guest-token-0123456789abcdefghijklmnopqrstu",
);

struct Server {
    state: Arc<AppState>,
    client: TestClient<BoxEndpoint<'static, poem::Response>>,
}

fn server_with(settings: Settings) -> Server {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/default.json");
    let mut options = ServerOptions::new(FixtureSource::File(path.into()));
    options.settings = settings;
    let state = Arc::new(AppState::new(options).expect("the default fixture loads"));
    let endpoint = app(state.clone()).map_to_response().boxed();
    Server {
        state,
        client: TestClient::new(endpoint),
    }
}

fn server() -> Server {
    server_with(Settings::default())
}

/// A query string from pairs, percent-encoded.
fn qs(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

impl Server {
    async fn raw(&self, caller: Option<(&str, &str)>, query: &str) -> (u16, Value) {
        let mut req = self.client.get(format!("/api/v1/directory?{query}"));
        if let Some((id, token)) = caller {
            req = req.header("X-User-Id", id).header("X-Auth-Token", token);
        }
        let resp = req.send().await;
        let status = resp.0.status().as_u16();
        let body = resp.0.into_body().into_string().await.unwrap();
        let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        (status, value)
    }

    async fn get(&self, caller: (&str, &str), pairs: &[(&str, &str)]) -> (u16, Value) {
        self.raw(Some(caller), &qs(pairs)).await
    }

    /// A 200 answer's body.
    async fn ok(&self, caller: (&str, &str), pairs: &[(&str, &str)]) -> Value {
        let (status, body) = self.get(caller, pairs).await;
        assert_eq!(status, 200, "{pairs:?}: {body}");
        assert_eq!(body["success"], true);
        body
    }

    /// A 400 answer's body.
    async fn bad(&self, caller: (&str, &str), pairs: &[(&str, &str)]) -> Value {
        let (status, body) = self.get(caller, pairs).await;
        assert_eq!(status, 400, "{pairs:?}: {body}");
        assert_eq!(body["success"], false);
        body
    }

    /// `key` of every item, in order.
    async fn list(&self, caller: (&str, &str), pairs: &[(&str, &str)], key: &str) -> Vec<String> {
        let body = self.ok(caller, pairs).await;
        strings(&body, key)
    }
}

fn strings(body: &Value, key: &str) -> Vec<String> {
    body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap_or("<missing>").to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

const ALL: (&str, &str) = ("count", "100");

// ---- the seed document's examples ----

#[tokio::test]
async fn seed_users_example_has_the_documented_shape() {
    let s = server();
    let body = s
        .ok(
            ADMIN,
            &[(
                "query",
                r#"{"text": "rocket", "type": "users", "workspace": "local"}"#,
            )],
        )
        .await;
    for key in ["result", "count", "offset", "total", "success"] {
        assert!(body.get(key).is_some(), "{key} in {body}");
    }
    let first = &body["result"][0];
    for key in ["_id", "createdAt", "emails", "name", "username"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(body["offset"], 0);
}

#[tokio::test]
async fn seed_channels_example_gives_general_at_offset_2_of_4() {
    let s = server();
    let body = s
        .ok(
            ADMIN,
            &[
                ("query", r#"{"text": "gene", "type": "channels"}"#),
                ("count", "1"),
                ("offset", "2"),
            ],
        )
        .await;
    assert_eq!(body["total"], 4);
    assert_eq!(
        (body["count"].clone(), body["offset"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(body["result"][0]["_id"], "GENERAL");
    assert_eq!(body["result"][0]["name"], "general");
    assert_eq!(body["result"][0]["ts"], "2018-05-15T19:10:54.689Z");
}

#[tokio::test]
async fn seed_channels_example_with_unencoded_braces_is_read() {
    // `curl -g` sends braces raw; quotes must still be encoded (hyper refuses a raw `"`).
    let s = server();
    let (status, body) = s
        .raw(
            Some(ADMIN),
            "query={%22text%22:%20%22gene%22,%20%22type%22:%20%22channels%22}&count=1&offset=2",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 4);
}

// ---- 1. parameters ----

#[tokio::test]
async fn params_query_json_form_is_honoured() {
    let s = server();
    let names = s
        .list(
            JANE,
            &[("query", r#"{"text":"jane","type":"users"}"#)],
            "username",
        )
        .await;
    assert_eq!(names, ["jane.doe"]);
}

#[tokio::test]
async fn params_top_level_text_type_workspace_are_honoured() {
    let s = server();
    let names = s
        .list(JANE, &[("text", "jane"), ("type", "users")], "username")
        .await;
    assert_eq!(names, ["jane.doe"]);
}

#[tokio::test]
async fn params_top_level_wins_over_query() {
    let s = server();
    let pairs = [
        ("query", r#"{"text":"jane","type":"channels"}"#),
        ("text", "maria"),
        ("type", "users"),
    ];
    assert_eq!(s.list(JANE, &pairs, "username").await, ["maria.muller"]);
    let pairs = [("query", r#"{"text":"jane","type":"users"}"#), ("text", "")];
    assert_eq!(
        s.list(JANE, &pairs, "username").await,
        ["jane.doe"],
        "empty top-level text does not win"
    );
}

#[tokio::test]
async fn params_invalid_query_json_is_400_error_invalid_query() {
    let s = server();
    let body = s.bad(ADMIN, &[("query", "{text: gene}")]).await;
    assert_eq!(
        body,
        json!({"success": false, "error": "Invalid query parameter provided: \"{text: gene}\" [error-invalid-query]",
               "errorType": "error-invalid-query", "details": {"helperMethod": "parseJsonQuery"}})
    );
    s.bad(ADMIN, &[("query", r#"{"text": 5}"#)]).await;
    s.bad(ADMIN, &[("query", "[]")]).await;
}

#[tokio::test]
async fn params_count_not_a_number_is_400_must_be_number() {
    let s = server();
    let body = s.bad(ADMIN, &[("count", "abc")]).await;
    assert_eq!(
        body,
        json!({"success": false, "errorType": "error-invalid-params", "error": "must be number"})
    );
    let body = s.bad(ADMIN, &[("offset", "x")]).await;
    assert_eq!(body["error"], "must be number");
}

#[tokio::test]
async fn params_repeated_scalars_are_400() {
    let s = server();
    for (name, message) in [
        ("text", "must be string"),
        ("type", "must be string"),
        ("workspace", "must be string"),
        ("query", "must be string"),
        ("sort", "must be string"),
        ("fields", "must be string"),
        ("count", "must be number"),
        ("offset", "must be number"),
    ] {
        let body = s.bad(ADMIN, &[(name, "1"), (name, "2")]).await;
        assert_eq!(body["error"], message, "{name}");
        assert_eq!(body["errorType"], "error-invalid-params");
    }
    let (status, body) = s.raw(Some(ADMIN), "text[a]=b").await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("must be string"))
    );
}

#[tokio::test]
async fn params_unknown_parameter_is_400_additional_properties() {
    let s = server();
    for name in ["page", "foo", "ids"] {
        let body = s.bad(ADMIN, &[(name, "1")]).await;
        assert_eq!(
            body,
            json!({"success": false, "errorType": "error-invalid-params", "error": "must NOT have additional properties"})
        );
    }
}

#[tokio::test]
async fn params_fields_inclusion_keeps_only_those_and_id() {
    let s = server();
    let body = s
        .ok(
            ADMIN,
            &[
                ("type", "users"),
                ("text", "maria"),
                ("fields", r#"{"username":1,"emails.address":1}"#),
            ],
        )
        .await;
    assert_eq!(
        body["result"][0],
        json!({"_id": "mariaJoseMuller01", "username": "maria.muller", "emails": [{"address": "maria.muller@example.com"}]})
    );
    let body = s
        .ok(
            ADMIN,
            &[("text", "general"), ("fields", r#"{"name":1,"_id":0}"#)],
        )
        .await;
    assert_eq!(
        body["result"][0],
        json!({"_id": "GENERAL", "name": "general"}),
        "_id is kept"
    );
}

#[tokio::test]
async fn params_fields_exclusion_drops_those() {
    let s = server();
    let body = s
        .ok(
            ADMIN,
            &[
                ("type", "users"),
                ("text", "maria"),
                ("fields", r#"{"emails":0,"bio":0}"#),
            ],
        )
        .await;
    let item = body["result"][0].as_object().unwrap();
    assert!(
        !item.contains_key("emails") && !item.contains_key("bio"),
        "{item:?}"
    );
    assert!(item.contains_key("nickname"));
}

#[tokio::test]
async fn params_invalid_fields_is_400_error_invalid_fields() {
    let s = server();
    for raw in ["{", r#"{"name":1,"bio":0}"#, r#"{"name":"yes"}"#, "[1]"] {
        let body = s.bad(ADMIN, &[("fields", raw)]).await;
        assert_eq!(body["errorType"], "error-invalid-fields", "{raw}");
        assert_eq!(
            body["error"],
            format!("Invalid fields parameter provided: \"{raw}\" [error-invalid-fields]")
        );
    }
}

// ---- 2. types ----

#[tokio::test]
async fn types_missing_type_means_channels() {
    let s = server();
    let without = s.ok(ADMIN, &[("text", "gene")]).await;
    let with = s.ok(ADMIN, &[("text", "gene"), ("type", "channels")]).await;
    assert_eq!(without, with);
    assert_eq!(without["total"], 4);
}

#[tokio::test]
async fn types_unknown_type_is_400_verify_parameters() {
    let s = server();
    for kind in ["invalid", "Users", "rooms"] {
        let body = s.bad(ADMIN, &[("type", kind)]).await;
        assert_eq!(
            body,
            json!({"success": false, "error": "Please verify the parameters"})
        );
    }
    s.bad(ADMIN, &[("query", r#"{"type":"invalid"}"#)]).await;
}

// ---- 3. text ----

#[tokio::test]
async fn text_is_trimmed_and_case_insensitive() {
    let s = server();
    let body = s.ok(ADMIN, &[("text", "  GeNe \t")]).await;
    assert_eq!(body["total"], 4);
    let names = s
        .list(ADMIN, &[("type", "users"), ("text", "MÜLLER")], "username")
        .await;
    assert_eq!(names, ["maria.muller"], "Unicode case folding");
    let names = s
        .list(
            ADMIN,
            &[("type", "users"), ("text", "casey jones")],
            "username",
        )
        .await;
    assert_eq!(sorted(names), ["casey.lower", "casey.upper"]);
}

#[tokio::test]
async fn text_regex_metacharacters_are_literal() {
    let s = server();
    let names = s
        .list(
            ADMIN,
            &[("type", "users"), ("text", "dot.test")],
            "username",
        )
        .await;
    assert_eq!(names, ["dot.test"], "`.` is not a wildcard");
    let names = s
        .list(
            ADMIN,
            &[("type", "users"), ("text", "(a+b)*[c]? ^$ |{1}\\d")],
            "username",
        )
        .await;
    assert_eq!(names, ["regex.fan"]);
    let names = s
        .list(ADMIN, &[("text", "c++ (lovers) [a-z]*")], "name")
        .await;
    assert_eq!(names, ["cpp"]);
    assert_eq!(s.ok(ADMIN, &[("text", ".*")]).await["total"], 0);
}

#[tokio::test]
async fn text_empty_or_whitespace_matches_everything() {
    let s = server();
    let all = s.ok(NORMAL, &[ALL]).await["total"].clone();
    assert_eq!(s.ok(NORMAL, &[ALL, ("text", "")]).await["total"], all);
    assert_eq!(s.ok(NORMAL, &[ALL, ("text", " \t ")]).await["total"], all);
    let users = s
        .ok(ADMIN, &[ALL, ("type", "users"), ("text", "   ")])
        .await;
    assert_eq!(users["total"], 18);
}

#[tokio::test]
async fn text_users_searches_accounts_search_fields() {
    let s = server();
    for text in ["maria.muller", "müller", "ingeniera", "majo"] {
        let names = s
            .list(ADMIN, &[("type", "users"), ("text", text)], "username")
            .await;
        assert_eq!(names, ["maria.muller"], "{text}");
    }
    let body = s
        .ok(ADMIN, &[("type", "users"), ("text", "example.com")])
        .await;
    assert_eq!(
        body["total"], 0,
        "e-mail addresses are not searched by default"
    );
    let settings = Settings {
        accounts_search_fields: "username".into(),
        ..Settings::default()
    };
    let s = server_with(settings);
    assert_eq!(
        s.ok(ADMIN, &[("type", "users"), ("text", "majo")]).await["total"],
        0
    );
    assert_eq!(
        s.ok(ADMIN, &[("type", "users"), ("text", "maria.m")]).await["total"],
        1
    );
}

#[tokio::test]
async fn text_workspace_all_searches_username_name_and_emails() {
    let settings = Settings {
        federation_enabled: true,
        ..Settings::default()
    };
    let s = server_with(settings);
    let names = s
        .list(
            NORMAL,
            &[
                ("type", "users"),
                ("workspace", "all"),
                ("text", "example.com"),
            ],
            "username",
        )
        .await;
    assert_eq!(
        sorted(names),
        ["directory.admin", "jane.doe", "maria.muller", "normal.user"]
    );
    let body = s
        .ok(
            NORMAL,
            &[("type", "users"), ("workspace", "all"), ("text", "majo")],
        )
        .await;
    assert_eq!(
        body["total"], 0,
        "nickname is not searched with workspace=all"
    );
}

#[tokio::test]
async fn text_rooms_match_name_or_fname_not_topic() {
    let s = server();
    assert_eq!(
        s.list(ADMIN, &[("text", "family")], "name").await,
        ["genealogy"],
        "fname"
    );
    assert_eq!(s.ok(ADMIN, &[("text", "pool")]).await["total"], 0, "topic");
    assert_eq!(
        s.ok(ADMIN, &[("text", "biology")]).await["total"],
        0,
        "description"
    );
}

// ---- 4. who sees what ----

#[tokio::test]
async fn users_only_active_users_with_a_username() {
    let s = server();
    let ids = s.list(ADMIN, &[ALL, ("type", "users")], "_id").await;
    assert!(!ids.contains(&"formerEmployee01".to_owned()), "deactivated");
    assert!(!ids.contains(&"noUsername000001".to_owned()), "no username");
    assert_eq!(
        s.ok(ADMIN, &[("type", "users"), ("text", "former")]).await["total"],
        0
    );
    assert_eq!(
        s.ok(ADMIN, &[("type", "users"), ("text", "half registered")])
            .await["total"],
        0
    );
}

#[tokio::test]
async fn users_include_the_caller_and_bots() {
    let s = server();
    let ids = s.list(JANE, &[ALL, ("type", "users")], "_id").await;
    for id in ["aobEdbYhXfu5hkeqG", "rocket.cat", "appWeather000001"] {
        assert!(ids.contains(&id.to_owned()), "{id} in {ids:?}");
    }
}

#[tokio::test]
async fn users_emails_only_for_admins() {
    let s = server();
    let admin = s.ok(ADMIN, &[("type", "users"), ("text", "jane")]).await;
    assert_eq!(
        admin["result"][0]["emails"],
        json!([{"address": "jane.doe@example.com", "verified": true}])
    );
    let user = s.ok(NORMAL, &[("type", "users"), ("text", "jane")]).await;
    assert!(user["result"][0].get("emails").is_none(), "{user}");
}

#[tokio::test]
async fn users_guests_cannot_search_users() {
    let s = server();
    let body = s.bad(GUEST, &[("type", "users")]).await;
    assert_eq!(
        body,
        json!({"success": false, "error": "Please verify the parameters"})
    );
    let body = s.bad(GUEST, &[("type", "channels")]).await;
    assert_eq!(
        body["error"], "Please verify the parameters",
        "guests lack view-c-room too"
    );
    s.ok(GUEST, &[("type", "teams")]).await;
}

#[tokio::test]
async fn channels_lists_public_channels_team_channels_and_the_callers_rooms() {
    let s = server();
    let normal = sorted(s.list(NORMAL, &[ALL], "name").await);
    assert_eq!(
        normal,
        [
            "cpp",
            "design",
            "eng-backend",
            "gene-therapy",
            "genealogy",
            "general",
            "generic-bots",
            "matrix-bridge",
            "old-announcements",
            "platform-ops",
            "random"
        ]
    );
    let jane = sorted(s.list(JANE, &[ALL], "name").await);
    assert!(
        jane.contains(&"secret-plans".to_owned()),
        "a private group the caller is in"
    );
    assert!(
        jane.contains(&"eng-backend".to_owned()),
        "a channel of a public team"
    );
    assert!(
        !jane.contains(&"platform-ops".to_owned()),
        "a channel of another private team"
    );
    assert!(
        !jane.contains(&"hr-only".to_owned()),
        "a private group the caller is not in"
    );
    assert!(!jane.contains(&"leadership-chat".to_owned()));
}

#[tokio::test]
async fn channels_never_discussions_team_main_rooms_or_dms() {
    let s = server();
    for caller in [JANE, NORMAL] {
        let names = s.list(caller, &[ALL], "name").await;
        for hidden in [
            "lunch-discussion",
            "product-engineering",
            "platform",
            "dm-jane-normal",
        ] {
            assert!(!names.contains(&hidden.to_owned()), "{hidden} in {names:?}");
        }
    }
    assert_eq!(s.ok(NORMAL, &[("text", "lunch")]).await["total"], 0);
}

#[tokio::test]
async fn channels_of_a_team_carry_belongs_to() {
    let s = server();
    let body = s.ok(NORMAL, &[("text", "platform-ops")]).await;
    assert_eq!(body["result"][0]["belongsTo"], "platform");
    let body = s.ok(NORMAL, &[("text", "general")]).await;
    assert!(body["result"][0].get("belongsTo").is_none());
}

#[tokio::test]
async fn teams_lists_public_teams_and_the_callers_private_teams_with_rooms_count() {
    let s = server();
    let normal = s.ok(NORMAL, &[("type", "teams")]).await;
    assert_eq!(
        strings(&normal, "name"),
        ["platform", "product-engineering"],
        "featured first"
    );
    assert_eq!(normal["result"][0]["roomsCount"], 3);
    assert_eq!(normal["result"][1]["roomsCount"], 2);
    assert_eq!(
        s.list(JANE, &[("type", "teams")], "name").await,
        ["product-engineering"]
    );
    let item = &normal["result"][1];
    for key in [
        "_id",
        "fname",
        "teamMain",
        "name",
        "t",
        "usersCount",
        "ts",
        "teamId",
        "roomsCount",
    ] {
        assert!(item.get(key).is_some(), "{key} in {item}");
    }
    assert_eq!(item["_id"], "teamEngMainRoom1");
    assert_eq!(item["teamMain"], true);
}

#[tokio::test]
async fn workspace_local_never_returns_federated_users() {
    let settings = Settings {
        federation_enabled: true,
        ..Settings::default()
    };
    let s = server_with(settings);
    for pairs in [
        vec![("type", "users"), ("text", "alice")],
        vec![("type", "users"), ("text", "alice"), ("workspace", "local")],
        vec![
            ("type", "users"),
            ("text", "alice"),
            ("workspace", "external"),
        ],
        vec![(
            "query",
            r#"{"type":"users","text":"alice","workspace":"local"}"#,
        )],
    ] {
        assert_eq!(s.ok(ADMIN, &pairs).await["total"], 0, "{pairs:?}");
    }
}

#[tokio::test]
async fn workspace_all_adds_federated_users_when_federation_is_enabled() {
    let settings = Settings {
        federation_enabled: true,
        ..Settings::default()
    };
    let s = server_with(settings);
    let body = s
        .ok(
            ADMIN,
            &[("type", "users"), ("text", "alice"), ("workspace", "all")],
        )
        .await;
    assert_eq!(strings(&body, "_id"), ["fedAliceMatrix01"]);
    assert_eq!(
        body["result"][0]["federation"],
        json!({"origin": "matrix.example.org"})
    );
    let body = s
        .ok(
            ADMIN,
            &[(
                "query",
                r#"{"type":"users","text":"alice","workspace":"all"}"#,
            )],
        )
        .await;
    assert_eq!(body["total"], 1, "workspace inside query");
    let all = s
        .ok(ADMIN, &[("type", "users"), ("workspace", "all")])
        .await;
    assert_eq!(all["total"], 19);
}

#[tokio::test]
async fn workspace_all_answers_as_local_when_federation_is_disabled() {
    let s = server();
    let all = s
        .ok(
            ADMIN,
            &[ALL, ("type", "users"), ("workspace", "all"), ("text", "a")],
        )
        .await;
    let local = s.ok(ADMIN, &[ALL, ("type", "users"), ("text", "a")]).await;
    assert_eq!(all, local);
    let body = s
        .ok(
            ADMIN,
            &[
                ("type", "users"),
                ("workspace", "all"),
                ("text", "example.com"),
            ],
        )
        .await;
    assert_eq!(body["total"], 0, "local search fields");
}

// ---- 5. fields returned ----

#[tokio::test]
async fn fields_of_users_are_the_projection_with_absent_ones_omitted() {
    let s = server();
    let body = s.ok(ADMIN, &[("type", "users"), ("text", "maria")]).await;
    assert_eq!(
        body["result"][0],
        json!({"_id": "mariaJoseMuller01", "username": "maria.muller", "name": "María José Müller",
               "nickname": "majo", "bio": "Ingeniera de plataforma", "createdAt": "2020-02-02T10:00:00.000Z",
               "emails": [{"address": "maria.muller@example.com", "verified": true}]})
    );
    let body = s
        .ok(ADMIN, &[("type", "users"), ("text", "rocket.cat")])
        .await;
    assert_eq!(
        body["result"][0],
        json!({"_id": "rocket.cat", "username": "rocket.cat", "name": "Rocket.Cat",
               "createdAt": "2018-04-13T12:40:00.000Z", "avatarETag": "5BB9B5ny5DkKdrwkq"})
    );
}

#[tokio::test]
async fn fields_of_channels_are_the_projection_with_dates_as_iso_strings() {
    let s = server();
    let body = s.ok(NORMAL, &[("text", "platform-ops")]).await;
    let item = body["result"][0].as_object().unwrap();
    let keys: BTreeSet<&str> = item.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "_id",
            "t",
            "name",
            "fname",
            "lastMessage",
            "ts",
            "usersCount",
            "teamId",
            "belongsTo"
        ])
    );
    assert_eq!(item["ts"], "2021-06-02T00:00:00.000Z");
    let last = item["lastMessage"]["ts"].as_str().unwrap();
    assert!(last.len() == 24 && last.ends_with('Z'), "{last}");
    let body = s.ok(ADMIN, &[("text", "old-announcements")]).await;
    assert_eq!(body["result"][0]["archived"], true);
    let body = s.ok(ADMIN, &[("text", "matrix-bridge")]).await;
    assert_eq!(body["result"][0]["federated"], true);
    let body = s.ok(ADMIN, &[("text", "general")]).await;
    assert_eq!(
        (
            body["result"][0]["default"].clone(),
            body["result"][0]["usersCount"].clone()
        ),
        (json!(true), json!(6))
    );
}

// ---- 6. pagination ----

#[tokio::test]
async fn pagination_default_count_is_api_default_count() {
    let settings = Settings {
        api_default_count: 3,
        ..Settings::default()
    };
    let s = server_with(settings);
    let body = s.ok(ADMIN, &[("type", "users")]).await;
    assert_eq!(
        (body["count"].clone(), body["total"].clone()),
        (json!(3), json!(18))
    );
    let body = s.ok(ADMIN, &[("type", "users"), ("count", "")]).await;
    assert_eq!(body["count"], 3, "count= is absent");
}

#[tokio::test]
async fn pagination_count_is_clamped_to_api_upper_count_limit() {
    let settings = Settings {
        api_upper_count_limit: 5,
        ..Settings::default()
    };
    let s = server_with(settings);
    let body = s.ok(ADMIN, &[("type", "users"), ("count", "50")]).await;
    assert_eq!(body["count"], 5);
}

#[tokio::test]
async fn pagination_count_zero_or_negative_gives_10() {
    let s = server();
    for count in ["0", "-5", "-0.5"] {
        let body = s.ok(ADMIN, &[("type", "users"), ("count", count)]).await;
        assert_eq!(body["count"], 10, "count={count}");
    }
}

#[tokio::test]
async fn pagination_negative_offset_is_echoed_and_skips_nothing() {
    let s = server();
    let first = s.ok(ADMIN, &[("type", "users"), ("count", "3")]).await;
    let negative = s
        .ok(
            ADMIN,
            &[("type", "users"), ("count", "3"), ("offset", "-3")],
        )
        .await;
    assert_eq!(negative["offset"], -3);
    assert_eq!(negative["result"], first["result"]);
    let fraction = s
        .ok(
            ADMIN,
            &[("type", "users"), ("count", "3"), ("offset", "1.9")],
        )
        .await;
    assert_eq!(fraction["offset"], 1);
    assert_eq!(fraction["result"][0], first["result"][1]);
}

#[tokio::test]
async fn pagination_count_is_items_returned_and_total_all_matches() {
    let s = server();
    let body = s
        .ok(
            ADMIN,
            &[("type", "users"), ("count", "5"), ("offset", "15")],
        )
        .await;
    assert_eq!(
        (body["count"].clone(), body["total"].clone()),
        (json!(3), json!(18))
    );
    assert_eq!(body["result"].as_array().unwrap().len(), 3);
    let body = s.ok(ADMIN, &[("type", "users"), ("offset", "100")]).await;
    assert_eq!(
        (body["count"].clone(), body["total"].clone()),
        (json!(0), json!(18))
    );
}

// ---- 7. sorting ----

#[tokio::test]
async fn sort_default_is_name_descending_with_featured_first() {
    let s = server();
    let names = s.list(NORMAL, &[ALL], "name").await;
    assert_eq!(
        &names[..2],
        ["random", "genealogy"],
        "featured first, name descending"
    );
    let rest = names[2..].to_vec();
    let mut desc = rest.clone();
    desc.sort_by(|a, b| b.cmp(a));
    assert_eq!(rest, desc);
    let users = s.list(ADMIN, &[ALL, ("type", "users")], "name").await;
    let mut desc = users.clone();
    desc.sort_by(|a, b| b.cmp(a));
    assert_eq!(users, desc);
    assert_eq!(
        s.ok(NORMAL, &[ALL, ("sort", "{}")]).await,
        s.ok(NORMAL, &[ALL]).await,
        "sort={{}}"
    );
}

#[tokio::test]
async fn sort_one_key_ascending_or_descending_featured_still_first() {
    let s = server();
    let names = s
        .list(NORMAL, &[ALL, ("sort", r#"{"name":1}"#)], "name")
        .await;
    assert_eq!(&names[..2], ["genealogy", "random"]);
    assert!(names[2..].windows(2).all(|w| w[0] < w[1]), "{names:?}");
    let ts = s
        .list(NORMAL, &[ALL, ("sort", r#"{"createdAt":-1}"#)], "ts")
        .await;
    assert!(ts[2..].windows(2).all(|w| w[0] >= w[1]), "{ts:?}");
}

#[tokio::test]
async fn sort_strings_compare_by_bytes() {
    let s = server();
    let names = s
        .list(
            ADMIN,
            &[
                ("type", "users"),
                ("text", "casey"),
                ("sort", r#"{"name":1}"#),
            ],
            "name",
        )
        .await;
    assert_eq!(
        names,
        ["CASEY JONES", "casey jones"],
        "uppercase before lowercase"
    );
}

#[tokio::test]
async fn sort_missing_values_come_first_ascending() {
    let s = server();
    let body = s
        .ok(ADMIN, &[ALL, ("type", "users"), ("sort", r#"{"bio":1}"#)])
        .await;
    let bios: Vec<Option<&str>> = body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["bio"].as_str())
        .collect();
    let first_present = bios.iter().position(Option::is_some).unwrap();
    assert!(
        first_present > 0 && bios[first_present..].iter().all(Option::is_some),
        "{bios:?}"
    );
    let present: Vec<&str> = bios.iter().flatten().copied().collect();
    assert!(present.windows(2).all(|w| w[0] <= w[1]), "{present:?}");
}

#[tokio::test]
async fn sort_ties_are_broken_by_id() {
    let s = server();
    let ids = s
        .list(
            ADMIN,
            &[ALL, ("type", "users"), ("sort", r#"{"usersCount":1}"#)],
            "_id",
        )
        .await;
    assert_eq!(
        ids,
        sorted(ids.clone()),
        "no usersCount on users: _id order"
    );
    let down = s
        .list(
            ADMIN,
            &[ALL, ("type", "users"), ("sort", r#"{"usersCount":-1}"#)],
            "_id",
        )
        .await;
    let mut reversed = ids.clone();
    reversed.reverse();
    assert_eq!(down, reversed);
}

#[tokio::test]
async fn sort_allowed_keys_depend_on_the_type() {
    let s = server();
    for key in [
        "name",
        "username",
        "createdAt",
        "usersCount",
        "email",
        "bio",
    ] {
        s.ok(
            ADMIN,
            &[("type", "users"), ("sort", &format!("{{\"{key}\":1}}"))],
        )
        .await;
    }
    for kind in ["channels", "teams"] {
        for key in [
            "name",
            "createdAt",
            "usersCount",
            "usernames",
            "lastMessage",
        ] {
            s.ok(
                ADMIN,
                &[("type", kind), ("sort", &format!("{{\"{key}\":-1}}"))],
            )
            .await;
        }
    }
    for (kind, key) in [
        ("users", "lastMessage"),
        ("channels", "email"),
        ("teams", "bio"),
        ("users", "foo"),
    ] {
        let body = s
            .bad(
                ADMIN,
                &[("type", kind), ("sort", &format!("{{\"{key}\":1}}"))],
            )
            .await;
        assert_eq!(
            body,
            json!({"success": false, "error": "Please verify the parameters"}),
            "{kind} {key}"
        );
    }
}

#[tokio::test]
async fn sort_two_keys_is_400_only_one_sort() {
    let s = server();
    let body = s
        .bad(ADMIN, &[("sort", r#"{"name":1,"usersCount":-1}"#)])
        .await;
    assert_eq!(
        body,
        json!({"success": false, "error": "This method support only one \"sort\" parameter"})
    );
}

#[tokio::test]
async fn sort_invalid_json_or_value_is_400_error_invalid_sort() {
    let s = server();
    for raw in ["{name:1}", r#"{"name":2}"#, r#"{"name":"asc"}"#, "null"] {
        let body = s.bad(ADMIN, &[("sort", raw)]).await;
        assert_eq!(
            body,
            json!({"success": false, "error": format!("Invalid sort parameter provided: \"{raw}\" [error-invalid-sort]"),
                   "errorType": "error-invalid-sort", "details": {"helperMethod": "parseJsonQuery"}}),
            "{raw}"
        );
    }
}

// ---- auth ----

#[tokio::test]
async fn auth_is_required() {
    let s = server();
    let (status, body) = s.raw(None, "text=gene").await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "You must be logged in to do this.");
    let (status, _) = s.raw(Some((ADMIN.0, "wrong")), "text=gene").await;
    assert_eq!(status, 401);
}

// ---- 8. the index follows every store write ----

#[tokio::test]
async fn index_follows_store_writes() {
    let s = server();
    let jane = {
        let store = s.state.store.read();
        store.user_idx("aobEdbYhXfu5hkeqG").unwrap()
    };
    s.state
        .store
        .write()
        .modify_user(jane, 1, |u| u.name = Some("Zebulon Quux".into()))
        .unwrap();
    assert_eq!(
        s.list(ADMIN, &[("type", "users"), ("text", "zebulon")], "_id")
            .await,
        [JANE.0]
    );
    assert_eq!(
        s.ok(ADMIN, &[("type", "users"), ("text", "jane doe")])
            .await["total"],
        0
    );
    let general = s.state.store.read().room_idx("GENERAL").unwrap();
    let (maria, cat) = {
        let store = s.state.store.read();
        (
            store.user_idx("mariaJoseMuller01").unwrap(),
            store.user_idx("rocket.cat").unwrap(),
        )
    };
    assert!(s.state.store.write().add_member(general, maria));
    let body = s.ok(ADMIN, &[("text", "general")]).await;
    assert_eq!(body["result"][0]["usersCount"], 7);
    s.state.store.write().remove_user(cat).unwrap();
    assert_eq!(
        s.ok(ADMIN, &[("type", "users"), ("text", "rocket.cat")])
            .await["total"],
        0
    );
    assert_eq!(
        s.ok(ADMIN, &[("text", "general")]).await["result"][0]["usersCount"],
        6
    );
    let secret = s.state.store.read().room_idx("secretPlans00001").unwrap();
    s.state.store.write().remove_room(secret).unwrap();
    assert_eq!(s.ok(JANE, &[("text", "secret")]).await["total"], 0);
}

// ---- paging property ----

fn paging_case() -> impl Strategy<Value = (usize, usize, usize, usize, usize)> {
    (0usize..3, 0usize..3, 0usize..6, 0usize..5, 1usize..=12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn paging_yields_every_match_exactly_once_and_total_agrees(
        (caller, kind, text, sort, count) in paging_case()
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let s = server();
            let caller = [ADMIN, JANE, NORMAL][caller];
            let kind = ["users", "channels", "teams"][kind];
            let text = ["", "e", "ge", "gen", "an", " O "][text];
            let sort = ["", r#"{"name":1}"#, r#"{"name":-1}"#, r#"{"createdAt":1}"#, r#"{"usersCount":-1}"#][sort];
            let base = [("type", kind), ("text", text), ("sort", sort)];
            let everything = s.ok(caller, &[base[0], base[1], base[2], ALL]).await;
            let expected = strings(&everything, "_id");
            let total = everything["total"].as_u64().unwrap() as usize;
            assert_eq!(expected.len(), total);
            let mut seen = Vec::new();
            let mut offset = 0;
            loop {
                let (c, o) = (count.to_string(), offset.to_string());
                let page = s.ok(caller, &[base[0], base[1], base[2], ("count", &c), ("offset", &o)]).await;
                assert_eq!(page["total"].as_u64().unwrap() as usize, total);
                let ids = strings(&page, "_id");
                assert_eq!(page["count"].as_u64().unwrap() as usize, ids.len());
                assert!(ids.len() <= count);
                if ids.is_empty() {
                    break;
                }
                seen.extend(ids);
                offset += count;
            }
            assert_eq!(seen, expected, "pages concatenate to the full list, each match once");
        });
    }
}
