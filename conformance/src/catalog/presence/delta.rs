//! `presence/delta/…`: what a partial answer (`from` under 10 minutes old) lists and leaves out.

use super::*;

/// The checks that stop the clock in 1971 change no setting: they run beside checks that do not
/// use the clock or write data.
const TIME_TRAVEL: Sharing = Sharing {
    clock: crate::schedule::Clock::Moves,
    data: crate::schedule::Data::Reads,
    alone: false,
};

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/delta/excludes-caller",
        Level::Should,
        Needs::TEST_CONTROL,
        "The delta (from under 10 minutes old) is findNotIdUpdatedFrom(this.userId, …): it never lists the caller. Checked with the clock stopped long ago so that every user counts as changed.",
        &["presence.delta.caller"],
        excludes_caller,
    )
    .shares(TIME_TRAVEL));
    out.push(check(
        "presence/delta/covers-changed-connected-users",
        Level::Should,
        Needs::TEST_CONTROL,
        "The delta lists every user with _updatedAt >= from (offline ones included): with from before every change, it holds at least everyone in the full list but the caller.",
        &["presence.delta.members"],
        covers_changed_connected_users,
    )
    .shares(TIME_TRAVEL));
    out.push(check(
        "presence/delta/covers-offline-users",
        Level::Should,
        Needs::TEST_CONTROL,
        "The delta lists every user with a username and _updatedAt >= from, offline ones included: with from before every change, it holds every user the directory lists but the caller.",
        &["presence.delta.members", "directory.users.visibility"],
        covers_offline_users,
    )
    .shares(TIME_TRAVEL));
    out.push(check(
        "presence/delta/lists-user-who-logged-in",
        Level::Should,
        Needs::SECOND_USER,
        "A REST login writes the user document (its _updatedAt moves) without making the user online; the delta lists every user with _updatedAt >= from, offline ones included: a user who logs in after from is in the delta.",
        &["presence.delta.updated-at", "presence.delta.members", "auth.login"],
        lists_user_who_logged_in,
    ));
    out.push(check(
        "presence/delta/excludes-caller-who-logged-in",
        Level::Should,
        Needs::CREDENTIALS,
        "The delta is findNotIdUpdatedFrom(this.userId, …): it never lists the caller, even when the caller's own document changed after from (here: a REST login).",
        &["presence.delta.caller", "auth.login"],
        excludes_caller_who_logged_in,
    ));
}

pub(super) fn excludes_caller(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = time_travel_delta(ctx)?;
    let me = ctx.session.caller.user_id.clone();
    ensure(
        !a.ids().contains(&me),
        "the caller is listed in the delta",
        format!("no user with _id {me}"),
        format!("{:?}", a.ids()),
    )
}

pub(super) fn covers_changed_connected_users(ctx: &mut Ctx) -> Result<(), Verdict> {
    let full: BTreeSet<String> = ctx.presence(&[])?.ids().into_iter().collect();
    let delta: BTreeSet<String> = time_travel_delta(ctx)?.ids().into_iter().collect();
    let me = &ctx.session.caller.user_id;
    let missing: Vec<&String> = full
        .iter()
        .filter(|id| *id != me && !delta.contains(*id))
        .collect();
    ensure(
        missing.is_empty(),
        "users of the full list are missing from a delta that should cover them",
        "every full-list user but the caller",
        format!("missing {missing:?}"),
    )
}

pub(super) fn covers_offline_users(ctx: &mut Ctx) -> Result<(), Verdict> {
    let Some((users, _)) = ctx.list_all(&DirQuery::of("users"), 100, 20)? else {
        return Err(Verdict::Skip(
            "more than 2000 users in the directory: too many to compare".into(),
        ));
    };
    let delta: BTreeSet<String> = time_travel_delta(ctx)?.ids().into_iter().collect();
    let me = &ctx.session.caller.user_id;
    let missing: Vec<String> = ids_of(&users)
        .into_iter()
        .filter(|id| id != me && !delta.contains(id))
        .collect();
    ensure(
        missing.is_empty(),
        "users the directory lists are missing from a delta that should cover every user",
        "every directory user but the caller, offline ones too",
        format!("missing {missing:?}"),
    )
}

pub(super) fn lists_user_who_logged_in(ctx: &mut Ctx) -> Result<(), Verdict> {
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
}

pub(super) fn excludes_caller_who_logged_in(ctx: &mut Ctx) -> Result<(), Verdict> {
    let from = from_before_now(ctx)?;
    let again = ctx.login_again(false)?;
    let answer = ctx.expect_full(&from, false, "a from a moment ago gives a delta");
    ctx.logout(&again);
    let answer = answer?;
    let me = ctx.session.caller.user_id.clone();
    ensure(
        !answer.ids().contains(&me),
        format!("the caller logged in after from={from} and is listed in its own delta"),
        format!("no user with _id {me}"),
        format!("{:?}", answer.ids()),
    )
}
