/*!
`users.presence` checks that need no data of their own: the envelope and the user objects, the
`full` flag with and without `from`, the 10-minute cutoff on both sides (to the millisecond with
test control, a margin away from it without), every written form of `from`, unparseable and
future `from`, `ids`, parameter validation, `Presence_broadcast_disabled` and the content type.
Expectations come from the documents and from what the target itself returns.
*/

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use super::expect::{exactly_application_json, items_within, json_media_type, keys_within};
use super::Check;
use super::{check, shared_as};
use crate::context::{
    ensure, ids_of, show, Auth, Ctx, DirQuery, PresenceAnswer, PRESENCE, TEN_MINUTES_MS,
};
pub(crate) use crate::contract::projected_keys;
use crate::http::{snippet, Req};
use crate::schedule::Sharing;
use crate::shape::{item_field_types, item_shape, presence_seed_example, type_name};
use crate::timefmt::{ceil_to, floor_to, FromForm};
use crate::versions::{Line, Lines};
use crate::vocabulary::{Level, Needs, Verdict};

const CONNECTED: [&str; 3] = ["online", "away", "busy"];

mod content_type;
mod cutoff;
mod delta;
mod envelope;
mod from;
mod full;
mod ids;
mod managed;
mod params;
mod property;
mod settings;
mod users;

pub(super) fn add(out: &mut Vec<Check>) {
    // One answer's own content: nothing shared.
    let start = out.len();
    super::auth::add(out, "presence", PRESENCE);
    envelope::add(out);
    users::add(out);
    full::add(out);
    shared_as(out, start, Sharing::INDEPENDENT);
    // Each says what it shares.
    from::add(out);
    cutoff::add(out);
    delta::add(out);
    // Picks users from the full list, then asks for them.
    let start = out.len();
    ids::add(out);
    shared_as(out, start, Sharing::READS_DATA);
    let start = out.len();
    params::add(out);
    shared_as(out, start, Sharing::INDEPENDENT);
    settings::add(out);
    let start = out.len();
    content_type::add(out);
    shared_as(out, start, Sharing::INDEPENDENT);
    managed::add(out);
    property::add(out);
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
