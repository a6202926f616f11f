//! `directory/managed/…`: checks on data of their own, made through the companion API (managed
//! mode; see [`crate::catalog::managed_checks`]), and the model-based run.

use super::*;
use crate::catalog::managed_checks::*;
use crate::catalog::model_run;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/managed/emails-only-for-admins",
        Level::Should,
        Needs::MANAGED,
        "emails is projected only for callers with view-full-other-user-info (admins by default): searching a created user's unique username gives its emails to the admin, none to a created normal user.",
        &["directory.users.emails", "companion.users.create"],
        emails_only_for_admins,
    ));
    out.push(check(
        "directory/managed/deactivated-user-excluded",
        Level::Should,
        Needs::MANAGED,
        "type=users lists active users only ({active: true, …}): a created user is found by its username, and no longer after users.setActiveStatus false.",
        &["directory.users.visibility", "companion.users.setactivestatus"],
        deactivated_user_excluded,
    ));
    out.push(check(
        "directory/managed/private-group-members-only",
        Level::Should,
        Needs::MANAGED,
        "Channels list public channels and every room the caller is in, private groups too; never a private group the caller is not in: a created member finds the created group, a created non-member does not.",
        &["directory.channels.visibility", "companion.groups.create"],
        private_group_members_only,
    ));
    out.push(check(
        "directory/managed/team-channel-belongs-to-team",
        Level::Should,
        Needs::MANAGED,
        "Rooms inside a team also get belongsTo: <team name>: a channel created in a created team is listed with belongsTo naming the team.",
        &["directory.channels.belongs-to", "companion.teams.create", "companion.channels.create"],
        team_channel_belongs_to_team,
    ));
    out.push(check(
        "directory/managed/paging-own-users-once",
        Level::Must,
        Needs::MANAGED,
        "It supports the pagination parameters: paging with count=2 over five created users (text=their common prefix) yields each exactly once, and total is five on every page.",
        &["directory.pagination.complete", "directory.pagination", "companion.users.create"],
        paging_own_users_once,
    ));
    out.push(check(
        "directory/managed/model-based-run",
        Level::Should,
        Needs::MANAGED,
        "After any sequence of writes, directory answers what the rules compute for any caller, type, text (case-insensitive literal substring), workspace, count, offset and sort: exactly the visible matches (active users by the search fields; public channels, channels of public or joined teams, and the caller's rooms; public or joined teams), total = all matches, the sorted slice [max(offset,0), +limit), emails only for administrators, belongsTo, usersCount and roomsCount right.",
        &["directory.envelope", "directory.users.visibility", "directory.users.emails", "directory.channels.visibility", "directory.channels.belongs-to", "directory.teams", "directory.workspace.default", "directory.workspace.all", "directory.text.match", "directory.text.literal", "directory.pagination", "directory.pagination.default-count", "directory.pagination.upper-limit", "directory.pagination.non-positive-count", "directory.pagination.negative-offset", "directory.sort.default", "directory.sort.keys", "companion.users.create", "companion.users.setstatus", "companion.users.setactivestatus", "companion.users.update", "companion.channels.create", "companion.channels.invite", "companion.groups.create", "companion.teams.create"],
        model_based_run,
    )
    .long());
}

pub(super) fn emails_only_for_admins(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.create_user("em-a")?;
    let q = DirQuery::of("users").text(&a.username);
    let admin = ctx.admin_auth()?;
    let as_admin = dir_as(ctx, &q, &[], &admin)?;
    let item = find(&as_admin, &a.user_id).cloned();
    let want = format!("{}@example.org", a.username);
    ensure(
        item.as_ref().is_some_and(|i| {
            i["emails"]
                .as_array()
                .is_some_and(|e| e.iter().any(|m| m["address"] == want.as_str()))
        }),
        format!("the admin's search for {} gives no emails", a.username),
        format!(
            "{} with \"emails\": [{{\"address\": {want:?}, …}}]",
            a.user_id
        ),
        format!("{:?}", item.unwrap_or(Value::Null)),
    )?;
    let as_user = dir_as(ctx, &q, &[], &a.auth())?;
    let leaked: Vec<&Value> = as_user
        .iter()
        .filter(|i| i.get("emails").is_some())
        .collect();
    ensure(
        !as_user.is_empty() && leaked.is_empty(),
        format!(
            "the search for {} as the normal user {} must list it without emails",
            a.username, a.username
        ),
        "its item, without \"emails\"",
        format!(
            "{} items, {} with emails: {leaked:?}",
            as_user.len(),
            leaked.len()
        ),
    )
}

pub(super) fn deactivated_user_excluded(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.create_user("de-a")?;
    let q = DirQuery::of("users").text(&a.username);
    let before = ctx.directory(&q, &[])?;
    ensure(
        before.ids().contains(&a.user_id),
        format!(
            "the active user {} is not found by its username",
            a.username
        ),
        format!("{} among the results", a.user_id),
        format!("{:?}", before.ids()),
    )?;
    ctx.set_active(&a, false)?;
    let after = ctx.directory(&q, &[])?;
    ensure(
        !after.ids().contains(&a.user_id) && after.total == 0,
        format!("the deactivated user {} is still listed", a.username),
        "no result, \"total\": 0",
        format!("{:?}, \"total\": {}", after.ids(), after.total),
    )
}

pub(super) fn private_group_members_only(ctx: &mut Ctx) -> Result<(), Verdict> {
    let member = ctx.create_user("pm-in")?;
    let outsider = ctx.create_user("pm-out")?;
    let (id, name) = ctx.create_room("pm-group", true, None, &[&member.username])?;
    let q = DirQuery::of("channels").text(&name);
    let seen = dir_as(ctx, &q, &[], &member.auth())?;
    ensure(
        find(&seen, &id).is_some(),
        format!(
            "the member {} does not find the private group {name}",
            member.username
        ),
        format!("{id} among the results"),
        format!("{:?}", crate::context::ids_of(&seen)),
    )?;
    let hidden = dir_as(ctx, &q, &[], &outsider.auth())?;
    ensure(
        find(&hidden, &id).is_none(),
        format!(
            "{}, not a member, sees the private group {name}",
            outsider.username
        ),
        format!("no {id}"),
        format!("{:?}", crate::context::ids_of(&hidden)),
    )
}

pub(super) fn team_channel_belongs_to_team(ctx: &mut Ctx) -> Result<(), Verdict> {
    let (team_id, team) = ctx.create_team("tb-team")?;
    let (room_id, room) = ctx.create_room("tb-room", false, Some(&team_id), &[])?;
    let answer = ctx.directory(&DirQuery::of("channels").text(&room), &[])?;
    let item = find(&answer.result, &room_id).cloned();
    ensure(
        item.as_ref()
            .is_some_and(|i| i["belongsTo"] == team.as_str()),
        format!("the team channel {room} does not carry belongsTo {team:?}"),
        format!("{room_id} with \"belongsTo\": {team:?}"),
        format!("{:?}", item.unwrap_or(Value::Null)),
    )
}

pub(super) fn paging_own_users_once(ctx: &mut Ctx) -> Result<(), Verdict> {
    let mut made = Vec::new();
    for n in 1..=5 {
        made.push(ctx.create_user(&format!("pg-{n}"))?.user_id);
    }
    let text = ctx.managed_name("pg-")?;
    let q = DirQuery::of("users").text(&text);
    let mut seen = Vec::new();
    for page in 0..4 {
        let offset = (page * 2).to_string();
        let answer = ctx.directory(&q, &[("count", "2"), ("offset", &offset)])?;
        ensure(
            answer.total == 5,
            format!("text={text}: total must count the five created users (offset {offset})"),
            "\"total\": 5",
            format!("\"total\": {}", answer.total),
        )?;
        seen.extend(answer.ids());
    }
    let mut sorted = seen.clone();
    sorted.sort();
    let mut want = made.clone();
    want.sort();
    ensure(
        sorted == want,
        format!("pages of 2 over text={text} must give each created user exactly once"),
        format!("{want:?}"),
        format!("{seen:?}"),
    )
}

/// Random operation sequences compared with the model of `directory`.
pub(super) fn model_based_run(ctx: &mut Ctx) -> Result<(), Verdict> {
    model_run::run(ctx, model_run::Endpoint::Directory)
}
