/*!
`users.presence` checks that need no data of their own: the envelope and the user objects, the
`full` flag with and without `from`, the 10-minute cutoff on both sides (to the millisecond with
test control, a margin away from it without), every written form of `from`, unparseable and
future `from`, `ids`, parameter validation, `Presence_broadcast_disabled` and the content type.
Expectations come from the documents and from what the target itself returns.
*/

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use super::{check, spec, PRESENCE_SEED};
use crate::context::{
    ensure, ids_of, show, Auth, Ctx, DirQuery, PresenceAnswer, PRESENCE, TEN_MINUTES_MS,
};
use crate::http::{snippet, Req};
use crate::model::{Check, Level, Needs, Verdict};
use crate::shape::{item_field_types, item_shape, presence_seed_example, type_name};
use crate::timefmt::{ceil_to, floor_to, FromForm};

/// The projection of Rocket.Chat 8.6+ (§1.7); older versions return a subset.
pub const PROJECTED_KEYS: [&str; 9] = [
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

const CONNECTED: [&str; 3] = ["online", "away", "busy"];

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/envelope/full-list",
        Level::Must,
        Needs::CREDENTIALS,
        "If you don't pass from parameter, you'll get a list of all users presence and the result will have a full field with value true.",
        PRESENCE_SEED,
        |ctx| {
            let a = ctx.presence(&[])?;
            ensure(a.full, "without from, \"full\" must be true", "\"full\": true", "\"full\": false")
        },
    ));
    out.push(check(
        "presence/envelope/no-extra-top-level-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "The envelope is { users: [...], full: <bool>, success: true }; the 8.4+ response schema forbids extra top-level keys.",
        spec("spec §1.7, §1.2"),
        |ctx| {
            let a = ctx.presence(&[])?;
            let extra: Vec<&String> = a.body.keys().filter(|k| !["users", "full", "success"].contains(&k.as_str())).collect();
            ensure(extra.is_empty(), "extra top-level keys", "only users, full, success", format!("also {extra:?}"))
        },
    ));
    out.push(check(
        "presence/users/field-types",
        Level::Must,
        Needs::CREDENTIALS,
        "Each user is an object like the example's: \"_id\", \"username\", \"status\" strings; \"name\", \"avatarETag\" strings and \"utcOffset\" a number when present; never null.",
        PRESENCE_SEED,
        |ctx| {
            let a = ctx.presence(&[])?;
            check_user_types(&a.users)
        },
    ));
    out.push(check(
        "presence/users/only-projected-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "User objects carry only projected keys: _id, username, name, status, utcOffset, statusText, avatarETag (+ statusSource, statusExpiresAt on 8.6+); absent fields are omitted.",
        spec("spec §1.7, §9 rule 6"),
        |ctx| {
            let a = ctx.presence(&[])?;
            for u in &a.users {
                if let Value::Object(m) = u {
                    let extra: Vec<&String> = m.keys().filter(|k| !PROJECTED_KEYS.contains(&k.as_str())).collect();
                    ensure(
                        extra.is_empty(),
                        format!("user {} has keys outside the projection", show(m.get("_id"))),
                        format!("keys among {PROJECTED_KEYS:?}"),
                        format!("also {extra:?}"),
                    )?;
                }
            }
            Ok(())
        },
    ));
    out.push(check(
        "presence/full/only-connected-users",
        Level::Must,
        Needs::CREDENTIALS,
        "Gets all connected users presence: the full list holds users whose status is online, away or busy, never offline ones.",
        PRESENCE_SEED,
        |ctx| {
            let a = ctx.presence(&[])?;
            for u in &a.users {
                let status = u.get("status").and_then(Value::as_str).unwrap_or("(missing)");
                ensure(
                    CONNECTED.contains(&status),
                    format!("user {} in the full list is not connected", show(u.get("_id"))),
                    "status online, away or busy",
                    format!("status {status}"),
                )?;
            }
            Ok(())
        },
    ));
    out.push(check(
        "presence/full/each-user-once",
        Level::Should,
        Needs::CREDENTIALS,
        "The full list is one query over the users collection: each user appears once.",
        spec("spec §1.6"),
        |ctx| {
            let a = ctx.presence(&[])?;
            let ids = a.ids();
            let unique: HashSet<&String> = ids.iter().collect();
            ensure(
                unique.len() == ids.len(),
                "a user appears twice",
                "distinct _id values",
                format!("{ids:?}"),
            )
        },
    ));

    // ----- from and the 10-minute cutoff ---------------------------------------------------

    out.push(check(
        "presence/from/recent-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "If you pass from parameter, you'll get only a list users presence which have changed after the time of from parameter. The full result field will then be false.",
        PRESENCE_SEED,
        |ctx| {
            let from = FromForm::ZuluMillis.render(ctx.server_now_ms() - 60_000);
            ctx.expect_full(&from, false, "a from one minute old gives a partial result").map(drop)
        },
    ));
    out.push(check(
        "presence/from/now-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "If you pass from parameter […] the full result field will then be false (from = now: a partial, usually empty, list).",
        PRESENCE_SEED,
        |ctx| {
            let from = FromForm::ZuluMillis.render(ctx.server_now_ms());
            ctx.expect_full(&from, false, "from = now gives a partial result").map(drop)
        },
    ));
    out.push(check(
        "presence/from/future-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "If you pass from parameter […] the full result field will then be false. Only a from older than 10 minutes gives the full set; a future from is not.",
        PRESENCE_SEED,
        |ctx| {
            let from = FromForm::ZuluMillis.render(ctx.server_now_ms() + 3_600_000);
            ctx.expect_full(&from, false, "a from one hour in the future gives a partial result").map(drop)
        },
    ));
    out.push(check(
        "presence/cutoff/older-than-10-min-is-full",
        Level::Must,
        Needs::CREDENTIALS,
        "If the value of from parameter is older than 10 minutes, the server will reply with a full result set.",
        PRESENCE_SEED,
        |ctx| {
            // 12 minutes: clearly older, and a minute away from the 11-minute-cutoff defect, so
            // whether that defect trips this check never depends on request timing.
            let from = FromForm::ZuluMillis.render(ctx.server_now_ms() - 12 * 60_000);
            ctx.expect_full(&from, true, "a from 12 minutes old gives the full result set").map(drop)
        },
    ));
    out.push(check(
        "presence/cutoff/just-inside-window-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "Only a from older than 10 minutes gives a full result set: one just under 10 minutes old (9 min 59.999 s with test control; the time margin away without) is partial.",
        PRESENCE_SEED,
        |ctx| {
            let now = freeze_if_possible(ctx)?;
            let age = TEN_MINUTES_MS - ctx.time_margin_ms().max(1);
            let from = FromForm::ZuluMillis.render(now - age);
            note_age(ctx, age);
            ctx.expect_full(&from, false, &format!("a from {age} ms old is inside the 10-minute window")).map(drop)
        },
    ));
    out.push(check(
        "presence/cutoff/just-outside-window-is-full",
        Level::Must,
        Needs::CREDENTIALS,
        "If the value of from parameter is older than 10 minutes, the server will reply with a full result set (10 min 0.001 s with test control; the time margin away without).",
        PRESENCE_SEED,
        |ctx| {
            let now = freeze_if_possible(ctx)?;
            let age = TEN_MINUTES_MS + ctx.time_margin_ms().max(1);
            let from = FromForm::ZuluMillis.render(now - age);
            note_age(ctx, age);
            ctx.expect_full(&from, true, &format!("a from {age} ms old is outside the 10-minute window")).map(drop)
        },
    ));
    out.push(check(
        "presence/cutoff/exactly-10-min-is-full",
        Level::Should,
        Needs::TEST_CONTROL,
        "diff = (Date.now() - Number(ts)) / 1000 / 60; if (diff < 10) → partial: the comparison is strict, so a from exactly 600000 ms old gives the full list.",
        spec("spec §1.5, §9 rule 10"),
        |ctx| {
            let now = ctx.freeze_clock_on_minute()?;
            let from = FromForm::ZuluMillis.render(now - TEN_MINUTES_MS);
            ctx.expect_full(&from, true, "a from exactly 10 minutes old gives the full list").map(drop)
        },
    ));
    for (name, form) in FromForm::named() {
        out.push(check(
            format!("presence/from/form/{name}"),
            Level::Must,
            Needs::CREDENTIALS,
            "from: ISO 8601 datetime. Timezone, milliseconds and seconds are optional. Written this way, a from inside the 10-minute window gives a partial result and one outside it the full set.",
            PRESENCE_SEED,
            move |ctx| both_sides(ctx, form),
        ));
    }
    out.push(check(
        "presence/from/form/no-zone-is-utc",
        Level::Should,
        Needs::CREDENTIALS,
        "A from without a timezone is a local time; the reference server reads it as UTC (Rocket.Chat's `new Date()` uses the server's local zone, UTC on a typical deployment).",
        spec("spec §1.4"),
        |ctx| both_sides(ctx, FromForm::NoZoneMillis),
    ));
    for (name, value, why) in [
        (
            "garbage-is-full",
            "garbage",
            "an unparseable from is not an error: the full list",
        ),
        (
            "epoch-digits-is-full",
            "1558527105392",
            "a long digit string is not a date for `new Date()`: the full list",
        ),
        (
            "empty-is-full",
            "",
            "an empty from is ignored: the full list",
        ),
    ] {
        out.push(check(
            format!("presence/from/{name}"),
            Level::Should,
            Needs::CREDENTIALS,
            "`new Date(from)` with no validation: an Invalid Date makes diff NaN, `NaN < 10` is false, so the full list with full: true and no error; `from=` is falsy and ignored.",
            spec("spec §1.4, §9 rules 13, 15"),
            move |ctx| ctx.expect_full(value, true, why).map(drop),
        ));
    }
    out.push(check(
        "presence/delta/excludes-caller",
        Level::Should,
        Needs::TEST_CONTROL,
        "The delta (from under 10 minutes old) is findNotIdUpdatedFrom(this.userId, …): it never lists the caller. Checked with the clock stopped long ago so that every user counts as changed.",
        spec("spec §1.6, §10 rule 11"),
        |ctx| {
            let a = time_travel_delta(ctx)?;
            let me = ctx.session.caller.user_id.clone();
            ensure(!a.ids().contains(&me), "the caller is listed in the delta", format!("no user with _id {me}"), format!("{:?}", a.ids()))
        },
    ));
    out.push(check(
        "presence/delta/covers-changed-connected-users",
        Level::Should,
        Needs::TEST_CONTROL,
        "The delta lists every user with _updatedAt >= from (offline ones included): with from before every change, it holds at least everyone in the full list but the caller.",
        spec("spec §1.6, §9 rule 11"),
        |ctx| {
            let full: BTreeSet<String> = ctx.presence(&[])?.ids().into_iter().collect();
            let delta: BTreeSet<String> = time_travel_delta(ctx)?.ids().into_iter().collect();
            let me = &ctx.session.caller.user_id;
            let missing: Vec<&String> = full.iter().filter(|id| *id != me && !delta.contains(*id)).collect();
            ensure(missing.is_empty(), "users of the full list are missing from a delta that should cover them", "every full-list user but the caller", format!("missing {missing:?}"))
        },
    ));

    out.push(check(
        "presence/delta/covers-offline-users",
        Level::Should,
        Needs::TEST_CONTROL,
        "The delta lists every user with a username and _updatedAt >= from, offline ones included: with from before every change, it holds every user the directory lists but the caller.",
        spec("spec §1.6, §9 rules 11, 12, §10 rule 11"),
        |ctx| {
            let Some((users, _)) = ctx.list_all(&DirQuery::of("users"), 100, 20)? else {
                return Err(Verdict::Skip("more than 2000 users in the directory: too many to compare".into()));
            };
            let delta: BTreeSet<String> = time_travel_delta(ctx)?.ids().into_iter().collect();
            let me = &ctx.session.caller.user_id;
            let missing: Vec<String> = ids_of(&users).into_iter().filter(|id| id != me && !delta.contains(id)).collect();
            ensure(missing.is_empty(), "users the directory lists are missing from a delta that should cover every user", "every directory user but the caller, offline ones too", format!("missing {missing:?}"))
        },
    ));
    out.push(check(
        "presence/delta/lists-user-who-logged-in",
        Level::Should,
        Needs::SECOND_USER,
        "A REST login writes the user document (its _updatedAt moves) without making the user online; the delta lists every user with _updatedAt >= from, offline ones included: a user who logs in after from is in the delta.",
        spec("spec §1.6, §9 rules 11, 12"),
        |ctx| {
            let from = from_before_now(ctx)?;
            let second = ctx.login_again(true)?;
            let answer = ctx.expect_full(&from, false, "a from a moment ago gives a delta");
            ctx.logout(&second);
            let answer = answer?;
            if second.user_id == ctx.session.caller.user_id {
                return Err(Verdict::Skip("the second user is the caller".into()));
            }
            ensure(
                answer.ids().contains(&second.user_id),
                format!("the second user logged in after from={from} but is not in the delta"),
                format!("a user with _id {}", second.user_id),
                format!("{:?}", answer.ids()),
            )
        },
    ));
    out.push(check(
        "presence/delta/excludes-caller-who-logged-in",
        Level::Should,
        Needs::CREDENTIALS,
        "The delta is findNotIdUpdatedFrom(this.userId, …): it never lists the caller, even when the caller's own document changed after from (here: a REST login).",
        spec("spec §1.6, §10 rule 11"),
        |ctx| {
            let from = from_before_now(ctx)?;
            let again = ctx.login_again(false)?;
            let answer = ctx.expect_full(&from, false, "a from a moment ago gives a delta");
            ctx.logout(&again);
            let answer = answer?;
            let me = ctx.session.caller.user_id.clone();
            ensure(!answer.ids().contains(&me), format!("the caller logged in after from={from} and is listed in its own delta"), format!("no user with _id {me}"), format!("{:?}", answer.ids()))
        },
    ));

    // ----- ids -----------------------------------------------------------------------------

    out.push(check(
        "presence/ids/single",
        Level::Should,
        Needs::CREDENTIALS,
        "With ids, the listed users that are not offline, full: false; unknown ones are left out.",
        spec("spec §1.3, §1.6, §9 rule 16"),
        |ctx| {
            let ids = connected_ids(ctx, 1)?;
            let a = ctx.presence(&[("ids", &ids[0])])?;
            expect_exactly(&a, &ids[..1])
        },
    ));
    out.push(check(
        "presence/ids/comma-separated",
        Level::Should,
        Needs::CREDENTIALS,
        "ids accepts one id, a comma-separated list (ids=a,b) or repeated parameters (ids=a&ids=b).",
        spec("spec §1.3, §9 rule 17"),
        |ctx| {
            let ids = connected_ids(ctx, 2)?;
            let joined = ids.join(",");
            let a = ctx.presence(&[("ids", &joined)])?;
            expect_exactly(&a, &ids)
        },
    ));
    out.push(check(
        "presence/ids/repeated",
        Level::Should,
        Needs::CREDENTIALS,
        "ids accepts one id, a comma-separated list (ids=a,b) or repeated parameters (ids=a&ids=b).",
        spec("spec §1.3, §9 rule 17"),
        |ctx| {
            let ids = connected_ids(ctx, 2)?;
            let a = ctx.presence(&[("ids", &ids[0]), ("ids", &ids[1])])?;
            expect_exactly(&a, &ids)
        },
    ));
    out.push(check(
        "presence/ids/unknown-is-omitted",
        Level::Should,
        Needs::CREDENTIALS,
        "Unknown or offline ids are silently omitted; no error.",
        spec("spec §1.6, §9 rule 19"),
        |ctx| {
            let a = ctx.presence(&[("ids", "conformanceNoSuchUserId0")])?;
            expect_exactly(&a, &[])
        },
    ));
    out.push(check(
        "presence/ids/wins-over-from",
        Level::Should,
        Needs::CREDENTIALS,
        "If ids is truthy it wins; from is ignored and full: false.",
        spec("spec §1.3, §9 rule 18"),
        |ctx| {
            let ids = connected_ids(ctx, 1)?;
            let old = FromForm::ZuluMillis.render(ctx.server_now_ms() - 11 * 60_000);
            let a = ctx.presence(&[("ids", &ids[0]), ("from", &old)])?;
            expect_exactly(&a, &ids[..1])
        },
    ));
    out.push(check(
        "presence/ids/empty-is-ignored",
        Level::Should,
        Needs::CREDENTIALS,
        "ids= (empty string) is falsy, so the request falls through to the from/full branches.",
        spec("spec §1.3, §9 rule 20"),
        |ctx| {
            let a = ctx.presence(&[("ids", "")])?;
            ensure(
                a.full,
                "an empty ids must be ignored (full list)",
                "\"full\": true",
                "\"full\": false",
            )
        },
    ));

    // ----- validation, settings, content type ----------------------------------------------

    out.push(check(
        "presence/params/unknown-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "≥ 8.4: additionalProperties:false, so e.g. ?foo=1 gives 400 `must NOT have additional properties`.",
        spec("spec §1.3, §9 rule 21"),
        |ctx| {
            ctx.expect_400_containing(Req::get(PRESENCE).q("foo", "1"), "must NOT have additional properties")
                .map(drop)
        },
    ));
    out.push(check(
        "presence/params/repeated-from-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "≥ 8.4: from=x&from=y (an array) gives 400 \"must be string\".",
        spec("spec §1.3, §9 rule 22"),
        |ctx| {
            let now = FromForm::ZuluMillis.render(ctx.server_now_ms());
            ctx.expect_400_containing(
                Req::get(PRESENCE).q("from", &now).q("from", &now),
                "must be string",
            )
            .map(drop)
        },
    ));
    out.push(check(
        "presence/settings/broadcast-disabled-is-empty-full",
        Level::Should,
        Needs::TEST_CONTROL,
        "If presence broadcast is disabled, return an empty array: 200 {users:[], full:true, success:true} whatever the params, even ids/from.",
        spec("spec §1.8, §9 rule 23"),
        |ctx| {
            let ids = ctx.presence(&[])?.ids();
            ctx.patch_settings(json!({ "Presence_broadcast_disabled": true }))?;
            let recent = FromForm::ZuluMillis.render(ctx.server_now_ms() - 60_000);
            let first = ids.first().cloned().unwrap_or_else(|| ctx.session.caller.user_id.clone());
            let want = json!({ "users": [], "full": true, "success": true });
            for params in [vec![], vec![("from", recent.as_str())], vec![("ids", first.as_str())]] {
                let a = ctx.presence(&params)?;
                let got = Value::Object(a.body.clone());
                ensure(got == want, format!("with {params:?}"), want.to_string(), snippet(&got.to_string(), 300))?;
            }
            Ok(())
        },
    ));
    out.push(check(
        "presence/content-type/json",
        Level::Should,
        Needs::CREDENTIALS,
        "All responses are application/json: a success, a 400 and a 401.",
        spec("spec §9 rule 48"),
        |ctx| {
            let reqs = [
                (Req::get(PRESENCE), Auth::Caller),
                (Req::get(PRESENCE).q("foo", "1"), Auth::Caller),
                (Req::get(PRESENCE), Auth::None),
            ];
            for (req, auth) in reqs {
                let resp = ctx.send(req, &auth)?;
                let ct = resp.header("content-type").unwrap_or("(none)").to_owned();
                ensure(
                    is_json_media_type(&ct),
                    format!("the {} answer is not JSON-typed", resp.status),
                    "Content-Type: application/json",
                    format!("Content-Type: {ct}"),
                )?;
            }
            Ok(())
        },
    ));
}

/// Whether a Content-Type names JSON (`application/json`, parameters allowed).
pub fn is_json_media_type(ct: &str) -> bool {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
}

/// Checks every user object's field types against the seed example (and the spec notes for
/// fields the seed lacks); null is never a valid value.
pub fn check_user_types(users: &[Value]) -> Result<(), Verdict> {
    let types = item_field_types(
        &item_shape(&presence_seed_example(), "users"),
        &[
            ("statusText", "string"),
            ("statusSource", "string"),
            ("statusExpiresAt", "string"),
        ],
    );
    for u in users {
        let Value::Object(m) = u else {
            return Err(Verdict::fail(
                "a user is not an object",
                "an object",
                snippet(&u.to_string(), 200),
            ));
        };
        for required in ["_id", "username", "status"] {
            ensure(
                m.get(required).is_some_and(Value::is_string),
                format!("user {} lacks a string \"{required}\"", show(m.get("_id"))),
                format!("\"{required}\": <string>"),
                format!("\"{required}\": {}", show(m.get(required))),
            )?;
        }
        for (k, v) in m {
            if let Some(want) = types.get(k) {
                ensure(
                    type_name(v) == want,
                    format!(
                        "user {}: \"{k}\" has the wrong JSON type",
                        show(m.get("_id"))
                    ),
                    format!("\"{k}\": <{want}> (absent when unknown, never null)"),
                    format!("\"{k}\": {}", snippet(&v.to_string(), 100)),
                )?;
            }
        }
    }
    Ok(())
}

/// With test control, stops the clock on a whole minute and returns it; without, returns the
/// estimated server time.
fn freeze_if_possible(ctx: &mut Ctx) -> Result<i64, Verdict> {
    if ctx.session.test_control {
        ctx.freeze_clock_on_minute()
    } else {
        Ok(ctx.server_now_ms())
    }
}

fn note_age(ctx: &mut Ctx, age: i64) {
    if !ctx.is_frozen() {
        let skew = ctx.session.skew;
        ctx.note(format!(
            "no test control: from was {age} ms old by the estimated server clock (skew {} ms ± {} ms, {})",
            skew.ms, skew.uncertainty_ms, skew.method
        ));
    }
}

/// A `from` in `form` just inside the window gives `full: false`, one just outside `full: true`.
fn both_sides(ctx: &mut Ctx, form: FromForm) -> Result<(), Verdict> {
    let now = freeze_if_possible(ctx)?;
    let unit = form.resolution_ms();
    let margin = ctx.time_margin_ms();
    // Inside: the representable instant nearest the boundary that is still inside it.
    let inside = if ctx.is_frozen() {
        now - TEN_MINUTES_MS + unit.max(60_000)
    } else {
        ceil_to(now - TEN_MINUTES_MS + margin + 1, unit.max(60_000))
    };
    let outside = if ctx.is_frozen() {
        now - TEN_MINUTES_MS - unit.max(60_000)
    } else {
        floor_to(now - TEN_MINUTES_MS - margin - 1, unit.max(60_000))
    };
    let inside_text = form.render(inside);
    let outside_text = form.render(outside);
    ctx.expect_full(
        &inside_text,
        false,
        &format!("{} ms old: inside the 10-minute window", now - inside),
    )?;
    ctx.expect_full(
        &outside_text,
        true,
        &format!("{} ms old: not inside the 10-minute window", now - outside),
    )?;
    Ok(())
}

/// A `from` a second before the server's present (exact with test control, the clock-skew
/// uncertainty earlier without), so that a write made next has `_updatedAt >= from`.
fn from_before_now(ctx: &mut Ctx) -> Result<String, Verdict> {
    let now = if ctx.session.test_control {
        ctx.tc_clock_ms()?
    } else {
        ctx.server_now_ms() - ctx.session.skew.uncertainty_ms
    };
    Ok(FromForm::ZuluMillis.render(now - 1_000))
}

/// Stops the clock in 1971 and asks for the delta since a minute before: every user that has a
/// username has changed since then.
fn time_travel_delta(ctx: &mut Ctx) -> Result<PresenceAnswer, Verdict> {
    let then = 31_536_000_000; // 1971-01-01T00:00:00Z
    ctx.freeze_clock(then)?;
    let from = FromForm::ZuluMillis.render(then - 60_000);
    ctx.expect_full(
        &from,
        false,
        "a from one minute before the (stopped) clock gives a delta",
    )
}

/// Up to `n` ids of users in the full list, the caller last; Skip when there are fewer.
fn connected_ids(ctx: &mut Ctx, n: usize) -> Result<Vec<String>, Verdict> {
    let mut ids = ctx.presence(&[])?.ids();
    let me = ctx.session.caller.user_id.clone();
    ids.sort_by_key(|id| *id == me);
    if ids.len() < n {
        return Err(Verdict::Skip(format!(
            "the full list has {} users; this check needs {n}",
            ids.len()
        )));
    }
    ids.truncate(n);
    Ok(ids)
}

/// An `ids` answer must be partial and list exactly these users.
fn expect_exactly(a: &PresenceAnswer, want: &[String]) -> Result<(), Verdict> {
    ensure(
        !a.full,
        "an ids answer is partial",
        "\"full\": false",
        "\"full\": true",
    )?;
    let got: BTreeSet<String> = a.ids().into_iter().collect();
    let want_set: BTreeSet<String> = want.iter().cloned().collect();
    ensure(
        got == want_set && a.users.len() == want.len(),
        "the ids answer does not list exactly the requested connected users",
        format!("users {want_set:?}"),
        format!("users {:?}", a.ids()),
    )
}
