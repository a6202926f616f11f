/*!
What the managed checks (`presence/managed/…`, `directory/managed/…`) share. Each creates the
users, rooms and teams it needs through the companion API (names carry the run's prefix), acts as those users,
and asserts only about its own data, since a live server has other users. The runner removes
what a check created right after it. Without admin credentials they Skip.

Timing: a `from` is taken between two writes with [`Ctx::from_between_writes`], which waits
until the server's clock (as estimated from test control or the `Date` header, with its
uncertainty) has certainly passed every earlier write, so no assertion rests on a
millisecond tie.
*/

use serde_json::Value;

use crate::companion::MadeUser;
use crate::context::{ensure, Auth, Ctx, DirQuery, PresenceAnswer, PRESENCE};
use crate::http::Req;
use crate::timefmt::FromForm;
use crate::vocabulary::Verdict;

/// A `from` strictly between the writes so far and the next one, in ISO form with ms.
pub(super) fn from_now(ctx: &mut Ctx) -> Result<String, Verdict> {
    let ms = ctx.from_between_writes()?;
    Ok(FromForm::ZuluMillis.render(ms))
}

pub(super) fn presence_as(
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

pub(super) fn dir_as(
    ctx: &mut Ctx,
    q: &DirQuery,
    extra: &[(&str, &str)],
    auth: &Auth,
) -> Result<Vec<Value>, Verdict> {
    let req = ctx.dir_req(q, extra);
    Ok(ctx.directory_req(req, auth)?.result)
}

pub(super) fn expect_delta(answer: &PresenceAnswer, from: &str) -> Result<(), Verdict> {
    ensure(
        !answer.full,
        format!("from={from} is seconds old: the answer must be a delta"),
        "\"full\": false",
        format!("\"full\": true with {} users", answer.users.len()),
    )
}

pub(super) fn find<'v>(items: &'v [Value], id: &str) -> Option<&'v Value> {
    items.iter().find(|i| i["_id"] == id)
}
