//! `presence/managed/…`: checks on data of their own, made through the companion API (managed
//! mode; see [`crate::catalog::managed_checks`]), and the model-based run.

use super::*;
use crate::catalog::managed_checks::*;
use crate::catalog::model_run;
use crate::schedule::{Clock, Data};

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/managed/delta-contains-changed-user",
        Level::Should,
        Needs::MANAGED,
        "A user whose status changes after from is in the delta (from under 10 minutes old) of another user, with the new status. Checked with two created users: one sets busy (online from 8.6, whose presence engine shows a busy set over REST as offline), the other asks.",
        &["presence.delta.members", "companion.users.setstatus"],
        delta_contains_changed_user,
    ));
    out.push(check(
        "presence/managed/delta-excludes-caller",
        Level::Should,
        Needs::MANAGED,
        "The delta is findNotIdUpdatedFrom(this.userId, …): a caller who changed its own status after from is not in its own delta, while another changed user is.",
        &["presence.delta.caller", "presence.delta.members", "companion.users.setstatus"],
        delta_excludes_caller,
    ));
    out.push(check(
        "presence/managed/delta-includes-user-gone-offline",
        Level::Should,
        Needs::MANAGED,
        "The delta has no status filter: a user who went offline after from is in the delta with status offline.",
        &["presence.delta.members", "companion.users.setstatus"],
        delta_includes_user_gone_offline,
    ));
    out.push(check(
        "presence/managed/full-excludes-offline-user",
        Level::Must,
        Needs::MANAGED,
        "Gets all connected users presence: a created user who went offline is not in the full list, while a created user who set online is.",
        &["presence.full.connected", "presence.full", "presence.full.members", "companion.users.setstatus"],
        full_excludes_offline_user,
    ));
    out.push(check(
        "presence/managed/ids-leaves-out-offline-without-status-text",
        Level::Should,
        Needs::MANAGED,
        "ids gives the listed users that are online, away or busy, or have a status text or expiry: an offline user without status text is left out, a busy one (online from 8.6) is listed. (8.4 is asked with repeated ids, as its comma lists match nobody.)",
        &["presence.ids", "presence.ids.forms", "companion.users.setstatus"],
        ids_leaves_out_offline_without_status_text,
    ));
    out.push(check(
        "presence/managed/ids-offline-with-status-text",
        Level::Should,
        Needs::MANAGED,
        "An offline user with a status text, asked for with ids: listed from 8.6 (findPresenceUsersByIds), left out before (findNotOfflineByIds).",
        &["presence.ids", "companion.users.setstatus"],
        ids_offline_with_status_text,
    ));
    out.push(check(
        "presence/managed/model-based-run",
        Level::Should,
        Needs::MANAGED,
        "After any sequence of writes (users created, statuses and profiles changed, users deactivated and reactivated, rooms and teams created, invitations) users.presence answers what the rules compute: the full list holds the users not offline (full: true); from under 10 minutes old gives every user written since, offline ones too, never the caller (full: false); from 10 minutes old or older gives the full list; ids gives the listed users not offline (full: false); fields are only the projected ones, never null.",
        &["presence.full", "presence.full.connected", "presence.full.members", "presence.from.partial", "presence.cutoff", "presence.cutoff.boundary", "presence.from.formats", "presence.delta.members", "presence.delta.caller", "presence.delta.updated-at", "presence.ids", "presence.ids.forms", "presence.user.types", "presence.user.projection", "companion.users.create", "companion.users.setstatus", "companion.users.setactivestatus", "companion.users.update", "companion.channels.create", "companion.channels.invite", "companion.groups.create", "companion.teams.create"],
        model_based_run,
    )
    // It moves the time its requests see (with test control) around its own data.
    .shares(Sharing {
        clock: Clock::MovesOwn,
        data: Data::Writes,
        alone: false,
    })
    .long());
}

/// A status that shows as set when set over REST, meaning "connected": `busy` up to 8.5; from
/// 8.6, whose presence engine shows a human's `away` or `busy` without a live connection as
/// `offline`, `online`.
fn connected_status(ctx: &Ctx) -> &'static str {
    if ctx.line() >= Line::V8_6 {
        "online"
    } else {
        "busy"
    }
}

pub(super) fn delta_contains_changed_user(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.create_user("dc-a")?;
    let b = ctx.create_user("dc-b")?;
    let from = from_now(ctx)?;
    let status = connected_status(ctx);
    ctx.set_status(&a, status, None)?;
    let answer = presence_as(ctx, &b, &[("from", &from)])?;
    expect_delta(&answer, &from)?;
    let got = find(&answer.users, &a.user_id);
    ensure(
        got.is_some_and(|u| u["status"] == status),
        format!(
            "the delta since {from} as {} lacks {} who set {status} after it",
            b.username, a.username
        ),
        format!("{} with \"status\": \"{status}\"", a.user_id),
        format!("{:?}", got.cloned().unwrap_or(Value::Null)),
    )
}

pub(super) fn delta_excludes_caller(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.create_user("dx-a")?;
    let b = ctx.create_user("dx-b")?;
    let from = from_now(ctx)?;
    ctx.set_status(&a, "away", None)?;
    ctx.set_status(&b, "busy", None)?;
    let answer = presence_as(ctx, &a, &[("from", &from)])?;
    expect_delta(&answer, &from)?;
    let ids = answer.ids();
    ensure(
        ids.contains(&b.user_id),
        format!(
            "the delta since {from} lacks {}, who set busy after it",
            b.username
        ),
        format!("{} among the users", b.user_id),
        format!("{ids:?}"),
    )?;
    ensure(
        !ids.contains(&a.user_id),
        format!("the delta of {} lists the caller itself", a.username),
        format!("no {}", a.user_id),
        format!("{ids:?}"),
    )
}

pub(super) fn delta_includes_user_gone_offline(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.create_user("do-a")?;
    let b = ctx.create_user("do-b")?;
    ctx.set_status(&a, "online", None)?;
    let from = from_now(ctx)?;
    ctx.set_status(&a, "offline", None)?;
    let answer = presence_as(ctx, &b, &[("from", &from)])?;
    expect_delta(&answer, &from)?;
    let got = find(&answer.users, &a.user_id);
    ensure(
        got.is_some_and(|u| u["status"] == "offline"),
        format!(
            "the delta since {from} lacks {}, who went offline after it",
            a.username
        ),
        format!("{} with \"status\": \"offline\"", a.user_id),
        format!("{:?}", got.cloned().unwrap_or(Value::Null)),
    )
}

pub(super) fn full_excludes_offline_user(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.create_user("fo-a")?;
    let b = ctx.create_user("fo-b")?;
    let c = ctx.create_user("fo-c")?;
    ctx.set_status(&a, "online", None)?;
    ctx.set_status(&a, "offline", None)?;
    ctx.set_status(&c, "online", None)?;
    let answer = presence_as(ctx, &b, &[])?;
    ensure(
        answer.full,
        "without from the answer must be the full list",
        "\"full\": true",
        format!("\"full\": {}", answer.full),
    )?;
    let ids = answer.ids();
    ensure(
        ids.contains(&c.user_id),
        format!("the full list lacks {}, who set online", c.username),
        format!("{} among the users", c.user_id),
        format!("{} users, not it", ids.len()),
    )?;
    ensure(
        !ids.contains(&a.user_id),
        format!("the full list holds {}, who went offline", a.username),
        format!("no {}", a.user_id),
        format!("{:?}", find(&answer.users, &a.user_id)),
    )
}

pub(super) fn ids_leaves_out_offline_without_status_text(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.create_user("io-a")?;
    let b = ctx.create_user("io-b")?;
    let c = ctx.create_user("io-c")?;
    ctx.set_status(&a, "online", None)?;
    ctx.set_status(&a, "offline", None)?;
    let status = connected_status(ctx);
    ctx.set_status(&c, status, None)?;
    let ids = format!("{},{}", a.user_id, c.user_id);
    let answer = if ctx.line() == Line::V8_4 {
        presence_as(ctx, &b, &[("ids", &a.user_id), ("ids", &c.user_id)])?
    } else {
        presence_as(ctx, &b, &[("ids", &ids)])?
    };
    let got = answer.ids();
    ensure(
        got.contains(&c.user_id),
        format!("ids={ids} lacks {}, who is {status}", c.username),
        format!("{} among the users", c.user_id),
        format!("{got:?}"),
    )?;
    ensure(
        !got.contains(&a.user_id),
        format!(
            "ids={ids} lists {}, offline without a status text",
            a.username
        ),
        format!("no {}", a.user_id),
        format!("{got:?}"),
    )
}

pub(super) fn ids_offline_with_status_text(ctx: &mut Ctx) -> Result<(), Verdict> {
    let away = ctx.create_user("it-a")?;
    let caller = ctx.create_user("it-b")?;
    ctx.set_status(&away, "online", None)?;
    ctx.set_status(&away, "offline", Some("on leave"))?;
    let answer = presence_as(ctx, &caller, &[("ids", &away.user_id)])?;
    let listed = answer.ids().contains(&away.user_id);
    let line = ctx.line();
    let (expected, why) = if line >= Line::V8_6 {
        (true, "lists offline users that have a status text")
    } else {
        (false, "lists only users who are online, away or busy")
    };
    ensure(
        listed == expected,
        format!(
            "Rocket.Chat {line} {why}: {} (offline, \"on leave\") is {}",
            away.username,
            if listed { "listed" } else { "left out" }
        ),
        format!(
            "{} {}",
            away.user_id,
            if expected { "listed" } else { "left out" }
        ),
        format!("{:?}", answer.ids()),
    )
}

/// Random operation sequences compared with the model of `users.presence`.
pub(super) fn model_based_run(ctx: &mut Ctx) -> Result<(), Verdict> {
    model_run::run(ctx, model_run::Endpoint::Presence)
}
