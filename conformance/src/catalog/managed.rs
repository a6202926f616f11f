/*!
Managed checks (`presence/managed/…`, `directory/managed/…`): each creates the users, rooms and
teams it needs through the companion API (names carry the run's prefix), acts as those users,
and asserts only about its own data, since a live server has other users. The runner removes
what a check created right after it. Without admin credentials they Skip.

Timing: a `from` is taken between two writes with [`Ctx::from_between_writes`], which waits
until the server's clock (as estimated from test control or the `Date` header, with its
uncertainty) has certainly passed every earlier write, so no assertion rests on a
millisecond tie.
*/

use serde_json::Value;

use super::{check, spec, PRESENCE_SEED};
use crate::context::{ensure, Auth, Ctx, DirQuery, PresenceAnswer, PRESENCE};
use crate::http::Req;
use crate::managed::MadeUser;
use crate::model::{Check, Level, Needs, Verdict};
use crate::timefmt::FromForm;

pub fn add(out: &mut Vec<Check>) {
    // ----- users.presence ------------------------------------------------------------------
    out.push(check(
        "presence/managed/delta-contains-changed-user",
        Level::Should,
        Needs::MANAGED,
        "A user whose status changes after from is in the delta (from under 10 minutes old) of another user, with the new status. Checked with two created users: one sets busy, the other asks.",
        spec("spec §1.6, §9 rules 11, 12"),
        |ctx| {
            let a = ctx.create_user("dc-a")?;
            let b = ctx.create_user("dc-b")?;
            let from = from_now(ctx)?;
            ctx.set_status(&a, "busy", None)?;
            let answer = presence_as(ctx, &b, &[("from", &from)])?;
            expect_delta(&answer, &from)?;
            let got = find(&answer.users, &a.user_id);
            ensure(
                got.is_some_and(|u| u["status"] == "busy"),
                format!("the delta since {from} as {} lacks {} who set busy after it", b.username, a.username),
                format!("{} with \"status\": \"busy\"", a.user_id),
                format!("{:?}", got.cloned().unwrap_or(Value::Null)),
            )
        },
    ));
    out.push(check(
        "presence/managed/delta-excludes-caller",
        Level::Should,
        Needs::MANAGED,
        "The delta is findNotIdUpdatedFrom(this.userId, …): a caller who changed its own status after from is not in its own delta, while another changed user is.",
        spec("spec §1.6, §10 rule 11"),
        |ctx| {
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
                format!("the delta since {from} lacks {}, who set busy after it", b.username),
                format!("{} among the users", b.user_id),
                format!("{ids:?}"),
            )?;
            ensure(
                !ids.contains(&a.user_id),
                format!("the delta of {} lists the caller itself", a.username),
                format!("no {}", a.user_id),
                format!("{ids:?}"),
            )
        },
    ));
    out.push(check(
        "presence/managed/delta-includes-user-gone-offline",
        Level::Should,
        Needs::MANAGED,
        "The delta has no status filter: a user who went offline after from is in the delta with status offline.",
        spec("spec §1.6, §9 rules 11, 12"),
        |ctx| {
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
                format!("the delta since {from} lacks {}, who went offline after it", a.username),
                format!("{} with \"status\": \"offline\"", a.user_id),
                format!("{:?}", got.cloned().unwrap_or(Value::Null)),
            )
        },
    ));
    out.push(check(
        "presence/managed/full-excludes-offline-user",
        Level::Must,
        Needs::MANAGED,
        "Gets all connected users presence: a created user who went offline is not in the full list, while a created user who set online is.",
        PRESENCE_SEED,
        |ctx| {
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
        },
    ));
    out.push(check(
        "presence/managed/ids-leaves-out-offline-without-status-text",
        Level::Should,
        Needs::MANAGED,
        "ids gives the listed users that are online, away or busy, or have a status text or expiry: an offline user without status text is left out, a busy one is listed.",
        spec("spec §1.3, §1.6"),
        |ctx| {
            let a = ctx.create_user("io-a")?;
            let b = ctx.create_user("io-b")?;
            let c = ctx.create_user("io-c")?;
            ctx.set_status(&a, "online", None)?;
            ctx.set_status(&a, "offline", None)?;
            ctx.set_status(&c, "busy", None)?;
            let ids = format!("{},{}", a.user_id, c.user_id);
            let answer = presence_as(ctx, &b, &[("ids", &ids)])?;
            let got = answer.ids();
            ensure(
                got.contains(&c.user_id),
                format!("ids={ids} lacks {}, who is busy", c.username),
                format!("{} among the users", c.user_id),
                format!("{got:?}"),
            )?;
            ensure(
                !got.contains(&a.user_id),
                format!("ids={ids} lists {}, offline without a status text", a.username),
                format!("no {}", a.user_id),
                format!("{got:?}"),
            )
        },
    ));

    // ----- directory -----------------------------------------------------------------------
    out.push(check(
        "directory/managed/emails-only-for-admins",
        Level::Should,
        Needs::MANAGED,
        "emails is projected only for callers with view-full-other-user-info (admins by default): searching a created user's unique username gives its emails to the admin, none to a created normal user.",
        spec("spec §2.8, §9 rule 27"),
        |ctx| {
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
                format!("{} with \"emails\": [{{\"address\": {want:?}, …}}]", a.user_id),
                format!("{:?}", item.unwrap_or(Value::Null)),
            )?;
            let as_user = dir_as(ctx, &q, &[], &a.auth())?;
            let leaked: Vec<&Value> = as_user.iter().filter(|i| i.get("emails").is_some()).collect();
            ensure(
                !as_user.is_empty() && leaked.is_empty(),
                format!("the search for {} as the normal user {} must list it without emails", a.username, a.username),
                "its item, without \"emails\"",
                format!("{} items, {} with emails: {leaked:?}", as_user.len(), leaked.len()),
            )
        },
    ));
    out.push(check(
        "directory/managed/deactivated-user-excluded",
        Level::Should,
        Needs::MANAGED,
        "type=users lists active users only ({active: true, …}): a created user is found by its username, and no longer after users.setActiveStatus false.",
        spec("spec §2.8"),
        |ctx| {
            let a = ctx.create_user("de-a")?;
            let q = DirQuery::of("users").text(&a.username);
            let before = ctx.directory(&q, &[])?;
            ensure(
                before.ids().contains(&a.user_id),
                format!("the active user {} is not found by its username", a.username),
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
        },
    ));
    out.push(check(
        "directory/managed/private-group-members-only",
        Level::Should,
        Needs::MANAGED,
        "Channels list public channels and every room the caller is in, private groups too; never a private group the caller is not in: a created member finds the created group, a created non-member does not.",
        spec("spec §2.6, §9 rule 39"),
        |ctx| {
            let member = ctx.create_user("pm-in")?;
            let outsider = ctx.create_user("pm-out")?;
            let (id, name) = ctx.create_room("pm-group", true, None, &[&member.username])?;
            let q = DirQuery::of("channels").text(&name);
            let seen = dir_as(ctx, &q, &[], &member.auth())?;
            ensure(
                find(&seen, &id).is_some(),
                format!("the member {} does not find the private group {name}", member.username),
                format!("{id} among the results"),
                format!("{:?}", crate::context::ids_of(&seen)),
            )?;
            let hidden = dir_as(ctx, &q, &[], &outsider.auth())?;
            ensure(
                find(&hidden, &id).is_none(),
                format!("{}, not a member, sees the private group {name}", outsider.username),
                format!("no {id}"),
                format!("{:?}", crate::context::ids_of(&hidden)),
            )
        },
    ));
    out.push(check(
        "directory/managed/team-channel-belongs-to-team",
        Level::Should,
        Needs::MANAGED,
        "Rooms inside a team also get belongsTo: <team name>: a channel created in a created team is listed with belongsTo naming the team.",
        spec("spec §2.6, §4"),
        |ctx| {
            let (team_id, team) = ctx.create_team("tb-team")?;
            let (room_id, room) = ctx.create_room("tb-room", false, Some(&team_id), &[])?;
            let answer = ctx.directory(&DirQuery::of("channels").text(&room), &[])?;
            let item = find(&answer.result, &room_id).cloned();
            ensure(
                item.as_ref().is_some_and(|i| i["belongsTo"] == team.as_str()),
                format!("the team channel {room} does not carry belongsTo {team:?}"),
                format!("{room_id} with \"belongsTo\": {team:?}"),
                format!("{:?}", item.unwrap_or(Value::Null)),
            )
        },
    ));
    out.push(check(
        "directory/managed/paging-own-users-once",
        Level::Must,
        Needs::MANAGED,
        "It supports the pagination parameters: paging with count=2 over five created users (text=their common prefix) yields each exactly once, and total is five on every page.",
        super::DIRECTORY_SEED,
        |ctx| {
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
        },
    ));
}

/// A `from` strictly between the writes so far and the next one, in ISO form with ms.
fn from_now(ctx: &mut Ctx) -> Result<String, Verdict> {
    let ms = ctx.from_between_writes()?;
    Ok(FromForm::ZuluMillis.render(ms))
}

fn presence_as(
    ctx: &mut Ctx,
    user: &MadeUser,
    params: &[(&str, &str)],
) -> Result<PresenceAnswer, Verdict> {
    let mut req = Req::get(PRESENCE);
    for (n, v) in params {
        req = req.q(n, v);
    }
    ctx.presence_req_as(req, &user.auth())
}

fn dir_as(
    ctx: &mut Ctx,
    q: &DirQuery,
    extra: &[(&str, &str)],
    auth: &Auth,
) -> Result<Vec<Value>, Verdict> {
    let req = ctx.dir_req(q, extra);
    Ok(ctx.directory_req(req, auth)?.result)
}

fn expect_delta(answer: &PresenceAnswer, from: &str) -> Result<(), Verdict> {
    ensure(
        !answer.full,
        format!("from={from} is seconds old: the answer must be a delta"),
        "\"full\": false",
        format!("\"full\": true with {} users", answer.users.len()),
    )
}

fn find<'v>(items: &'v [Value], id: &str) -> Option<&'v Value> {
    items.iter().find(|i| i["_id"] == id)
}
