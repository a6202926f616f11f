//! `GET /api/v1/users.presence` in-process: one test per rule of docs/contract/users.presence.md,
//! named after the rule.

mod common;

use common::{Harness, ADMIN, ALICE, BOB};
use poem::http::Method;
use reference_server::settings::Settings;
use serde_json::json;

const PRESENCE: &str = "/api/v1/users.presence";

fn ids(v: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn without_from_lists_named_users_online_away_or_busy_with_full_true() {
    let h = Harness::presence();
    let r = h.get_as(ALICE, PRESENCE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["success"], json!(true));
    assert!(r.full());
    assert_eq!(
        r.sorted_user_ids(),
        ids(&["rocket.cat", "rocket.admin", "alice", "carol", "gone"])
    );
    for user in r.body["users"].as_array().unwrap() {
        assert!(["online", "away", "busy"].contains(&user["status"].as_str().unwrap()));
        assert!(user["username"].is_string());
    }
}

#[tokio::test]
async fn full_list_includes_online_bots_and_the_caller_when_online() {
    let h = Harness::presence();
    let r = h.get_as(ADMIN, PRESENCE).await;
    let listed = r.user_ids();
    assert!(listed.contains(&"rocket.cat".to_owned()));
    assert!(
        listed.contains(&"rocket.admin".to_owned()),
        "the caller is in the full list"
    );
}

#[tokio::test]
async fn full_list_excludes_users_without_username_and_offline_users() {
    let h = Harness::presence();
    let listed = h.get_as(ADMIN, PRESENCE).await.user_ids();
    assert!(!listed.contains(&"nameless".to_owned()));
    assert!(!listed.contains(&"bob".to_owned()));
}

#[tokio::test]
async fn deactivated_users_are_not_filtered_out_of_presence() {
    let h = Harness::presence();
    assert!(h
        .get_as(ADMIN, PRESENCE)
        .await
        .user_ids()
        .contains(&"gone".to_owned()));
}

#[tokio::test]
async fn rocket_cat_has_exactly_the_keys_of_the_seed_example() {
    let h = Harness::presence();
    let r = h.get_as(ADMIN, PRESENCE).await;
    let cat = r.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["_id"] == "rocket.cat")
        .unwrap();
    assert_eq!(
        cat,
        &json!({"_id":"rocket.cat","name":"Rocket.Cat","username":"rocket.cat","status":"online","utcOffset":0,"avatarETag":"5BB9B5ny5DkKdrwkq"})
    );
}

#[tokio::test]
async fn user_objects_carry_only_projected_keys_and_never_null() {
    let h = Harness::presence();
    let allowed = [
        "_id",
        "username",
        "name",
        "status",
        "utcOffset",
        "statusText",
        "avatarETag",
        "statusSource",
        "statusExpiresAt",
    ];
    for uri in [
        PRESENCE.to_owned(),
        format!("{PRESENCE}?from={}", h.iso_ago(600_000 - 1)),
        format!("{PRESENCE}?ids=dave,erin,carol"),
    ] {
        let r = h.get_as(ADMIN, &uri).await;
        for user in r.body["users"].as_array().unwrap() {
            for (key, value) in user.as_object().unwrap() {
                assert!(
                    allowed.contains(&key.as_str()),
                    "{key} is not projected ({uri})"
                );
                assert!(!value.is_null(), "{key} is null ({uri})");
            }
        }
    }
}

#[tokio::test]
async fn from_now_is_partial_and_empty_when_nothing_changed() {
    let h = Harness::presence();
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?from={}", h.iso_ago(0)))
        .await;
    assert_eq!((r.user_ids(), r.full()), (vec![], false));
}

#[tokio::test]
async fn from_eleven_minutes_ago_is_the_full_list() {
    let h = Harness::presence();
    let r = h
        .get_as(
            ADMIN,
            &format!("{PRESENCE}?from={}", h.iso_ago(11 * 60_000)),
        )
        .await;
    assert!(r.full());
    assert_eq!(
        r.sorted_user_ids(),
        ids(&["rocket.cat", "rocket.admin", "alice", "carol", "gone"])
    );
}

#[tokio::test]
async fn cutoff_is_strict_exactly_ten_minutes_old_is_full_one_ms_less_is_partial() {
    let h = Harness::presence();
    let from = h.iso_ago(0);
    // Move the server's clock, not the from: the same from ages across the boundary.
    h.state.clock.advance(600_000 - 1);
    assert!(
        !h.get_as(ADMIN, &format!("{PRESENCE}?from={from}"))
            .await
            .full(),
        "9:59.999 old is partial"
    );
    h.state.clock.advance(1);
    assert!(
        h.get_as(ADMIN, &format!("{PRESENCE}?from={from}"))
            .await
            .full(),
        "exactly 10:00 old is full"
    );
}

#[tokio::test]
async fn delta_lists_users_changed_since_from_offline_included_caller_excluded() {
    let h = Harness::presence();
    let from = h.iso_ago(9 * 60_000);
    let r = h.get_as(ADMIN, &format!("{PRESENCE}?from={from}")).await;
    assert!(!r.full());
    assert_eq!(
        r.sorted_user_ids(),
        ids(&["alice", "bob", "gone"]),
        "nameless has no username"
    );
    let r = h.get_as(ALICE, &format!("{PRESENCE}?from={from}")).await;
    assert_eq!(
        r.sorted_user_ids(),
        ids(&["bob", "gone"]),
        "the caller is left out"
    );
}

#[tokio::test]
async fn delta_is_inclusive_of_from() {
    let h = Harness::presence();
    let exactly_alice = h.iso_ago(2 * 60_000);
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?from={exactly_alice}"))
        .await;
    assert_eq!(r.user_ids(), vec!["alice"]);
    let after_alice = h.iso_ago(2 * 60_000 - 1);
    assert_eq!(
        h.get_as(ADMIN, &format!("{PRESENCE}?from={after_alice}"))
            .await
            .user_ids(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_write_to_a_user_after_from_shows_in_the_delta() {
    let h = Harness::presence();
    let from = h.iso_ago(0);
    h.state.clock.advance(1000);
    let login = h
        .request(
            Method::POST,
            "/api/v1/login",
            &[],
            Some(r#"{"user":"bob","password":"bob-pw"}"#),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.raw);
    let r = h.get_as(ADMIN, &format!("{PRESENCE}?from={from}")).await;
    assert_eq!((r.user_ids(), r.full()), (vec!["bob".to_owned()], false));
    let bob = &r.body["users"][0];
    assert_eq!(
        bob["status"], "offline",
        "a REST login does not make a user online"
    );
}

#[tokio::test]
async fn every_from_form_the_seed_allows_is_read() {
    let h = Harness::presence();
    // From 9 minutes ago in every form: all must answer the same partial list.
    let at = h.now() - 9 * 60_000;
    let utc = chrono::DateTime::from_timestamp_millis(at).unwrap();
    let plus2 = utc.with_timezone(&chrono::FixedOffset::east_opt(7200).unwrap());
    let minus5 = utc.with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap());
    // NOW is on a whole minute, so the forms without seconds name the same instant.
    let forms = [
        utc.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        utc.format("%Y-%m-%dT%H:%MZ").to_string(),
        utc.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        utc.format("%Y-%m-%dT%H:%M").to_string(),
        plus2.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        plus2.format("%Y-%m-%dT%H:%M%:z").to_string(),
        minus5.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    ];
    for form in forms {
        let r = h
            .get_as(ADMIN, &format!("{PRESENCE}?from={}", enc(&form)))
            .await;
        assert_eq!(
            (r.sorted_user_ids(), r.full()),
            (ids(&["alice", "bob", "gone"]), false),
            "from={form}"
        );
    }
}

#[tokio::test]
async fn from_without_timezone_is_utc() {
    let h = Harness::presence();
    let at = chrono::DateTime::from_timestamp_millis(h.now() - 2 * 60_000).unwrap();
    let naive = at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
    assert_eq!(
        h.get_as(ADMIN, &format!("{PRESENCE}?from={naive}"))
            .await
            .user_ids(),
        vec!["alice"]
    );
}

#[tokio::test]
async fn unparseable_from_gives_the_full_list_without_error() {
    let h = Harness::presence();
    for from in ["garbage", "1558527105392", "2019-13-45T99:99Z", "%20"] {
        let r = h.get_as(ADMIN, &format!("{PRESENCE}?from={from}")).await;
        assert_eq!(r.status, 200, "from={from}: {}", r.raw);
        assert!(r.full(), "from={from}");
        assert_eq!(r.user_ids().len(), 5, "from={from}");
    }
}

#[tokio::test]
async fn future_from_is_partial_and_empty() {
    let h = Harness::presence();
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?from={}", h.iso_ago(-3_600_000)))
        .await;
    assert_eq!((r.user_ids(), r.full()), (vec![], false));
}

#[tokio::test]
async fn empty_from_gives_the_full_list() {
    let h = Harness::presence();
    let r = h.get_as(ADMIN, &format!("{PRESENCE}?from=")).await;
    assert!(r.full());
    assert_eq!(r.user_ids().len(), 5);
}

#[tokio::test]
async fn ids_answers_listed_users_not_offline_or_with_status_text_or_expiry() {
    let h = Harness::presence();
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?ids=alice,bob,dave,erin,frank"))
        .await;
    assert!(!r.full());
    assert_eq!(r.sorted_user_ids(), ids(&["alice", "dave", "erin"]));
}

#[tokio::test]
async fn ids_single_comma_separated_and_repeated_forms_agree() {
    let h = Harness::presence();
    let single = h.get_as(ADMIN, &format!("{PRESENCE}?ids=carol")).await;
    assert_eq!(
        (single.user_ids(), single.full()),
        (vec!["carol".to_owned()], false)
    );
    let comma = h
        .get_as(ADMIN, &format!("{PRESENCE}?ids=carol,alice"))
        .await;
    let repeated = h
        .get_as(ADMIN, &format!("{PRESENCE}?ids=carol&ids=alice"))
        .await;
    let brackets = h
        .get_as(ADMIN, &format!("{PRESENCE}?ids[]=carol&ids[]=alice"))
        .await;
    assert_eq!(comma.sorted_user_ids(), ids(&["alice", "carol"]));
    assert_eq!(repeated.sorted_user_ids(), comma.sorted_user_ids());
    assert_eq!(brackets.sorted_user_ids(), comma.sorted_user_ids());
}

#[tokio::test]
async fn ids_take_precedence_over_from() {
    let h = Harness::presence();
    let from = h.iso_ago(9 * 60_000);
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?from={from}&ids=carol"))
        .await;
    assert_eq!((r.user_ids(), r.full()), (vec!["carol".to_owned()], false));
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?from=garbage&ids=carol"))
        .await;
    assert_eq!((r.user_ids(), r.full()), (vec!["carol".to_owned()], false));
}

#[tokio::test]
async fn unknown_ids_are_left_out_silently() {
    let h = Harness::presence();
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?ids=nobody,carol,,alsonobody"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.user_ids(), vec!["carol"]);
    let r = h.get_as(ADMIN, &format!("{PRESENCE}?ids=nobody")).await;
    assert_eq!((r.user_ids(), r.full()), (vec![], false));
}

#[tokio::test]
async fn empty_ids_is_ignored() {
    let h = Harness::presence();
    let r = h.get_as(ADMIN, &format!("{PRESENCE}?ids=")).await;
    assert!(r.full());
    let from = h.iso_ago(9 * 60_000);
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?ids=&from={from}"))
        .await;
    assert_eq!(
        (r.sorted_user_ids(), r.full()),
        (ids(&["alice", "bob", "gone"]), false)
    );
}

#[tokio::test]
async fn unknown_query_parameter_is_400_must_not_have_additional_properties() {
    let h = Harness::presence();
    for q in ["foo=1", "count=5", "offset=0", "from=x&bar="] {
        let r = h.get_as(ADMIN, &format!("{PRESENCE}?{q}")).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(
            r.body,
            json!({"success": false, "errorType": "error-invalid-params", "error": "must NOT have additional properties"}),
            "{q}"
        );
    }
}

#[tokio::test]
async fn repeated_from_is_400_must_be_string() {
    let h = Harness::presence();
    let r = h.get_as(ADMIN, &format!("{PRESENCE}?from=a&from=b")).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"success": false, "errorType": "error-invalid-params", "error": "must be string"})
    );
}

#[tokio::test]
async fn object_ids_is_400_must_be_string_array() {
    let h = Harness::presence();
    let r = h.get_as(ADMIN, &format!("{PRESENCE}?ids[a]=b")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "must be string,array");
}

#[tokio::test]
async fn more_than_500_ids_is_400_invalid_query_parameters() {
    let h = Harness::presence();
    let many: Vec<String> = (0..501).map(|i| format!("ids=u{i}")).collect();
    let r = h
        .get_as(ADMIN, &format!("{PRESENCE}?{}", many.join("&")))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"success": false, "error": "Invalid query parameters"})
    );
}

#[tokio::test]
async fn presence_broadcast_disabled_answers_empty_full_list_whatever_the_params() {
    let settings = Settings {
        presence_broadcast_disabled: true,
        ..Settings::default()
    };
    let h = Harness::with(common::PRESENCE_FIXTURE, settings, false);
    let from = h.iso_ago(60_000);
    for q in ["", "?ids=alice", &format!("?from={from}")] {
        let r = h.get_as(ADMIN, &format!("{PRESENCE}{q}")).await;
        assert_eq!(r.raw, r#"{"users":[],"full":true,"success":true}"#, "{q}");
    }
}

#[tokio::test]
async fn answers_are_application_json() {
    let h = Harness::presence();
    for r in [
        h.get_as(ADMIN, PRESENCE).await,
        h.get_as(ADMIN, &format!("{PRESENCE}?foo=1")).await,
        h.get_anonymous(PRESENCE).await,
    ] {
        assert!(
            r.content_type.starts_with("application/json"),
            "{}",
            r.content_type
        );
    }
}

#[tokio::test]
async fn no_order_is_promised_but_the_full_list_is_stable_between_calls() {
    let h = Harness::presence();
    let a = h.get_as(ADMIN, PRESENCE).await.raw;
    let b = h.get_as(BOB, PRESENCE).await.raw;
    assert_eq!(
        a, b,
        "the cached full list is the same bytes for every caller"
    );
}

#[tokio::test]
async fn a_status_change_invalidates_the_cached_full_list() {
    let h = Harness::presence();
    let before = h.get_as(ADMIN, PRESENCE).await.user_ids();
    assert!(!before.contains(&"bob".to_owned()));
    {
        let mut store = h.state.store.write();
        let bob = store.user_idx("bob").unwrap();
        store
            .modify_user(bob, h.now(), |u| {
                u.status = reference_server::model::Status::Online
            })
            .unwrap();
    }
    assert!(h
        .get_as(ADMIN, PRESENCE)
        .await
        .user_ids()
        .contains(&"bob".to_owned()));
}
