//! `presence/full/…`: who the full list holds.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/full/only-connected-users",
        Level::Must,
        Needs::CREDENTIALS,
        "Gets all connected users presence: the full list holds users whose status is online, away or busy, never offline ones.",
        &["presence.full.connected"],
        only_connected_users,
    ));
    out.push(check(
        "presence/full/each-user-once",
        Level::Should,
        Needs::CREDENTIALS,
        "The full list is one query over the users collection: each user appears once.",
        &["presence.full.unique"],
        each_user_once,
    ));
}

pub(super) fn only_connected_users(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    for u in &a.users {
        let status = u
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("(missing)");
        ensure(
            CONNECTED.contains(&status),
            format!(
                "user {} in the full list is not connected",
                show(u.get("_id"))
            ),
            "status online, away or busy",
            format!("status {status}"),
        )?;
    }
    Ok(())
}

pub(super) fn each_user_once(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    let ids = a.ids();
    let unique: HashSet<&String> = ids.iter().collect();
    ensure(
        unique.len() == ids.len(),
        "a user appears twice",
        "distinct _id values",
        format!("{ids:?}"),
    )
}
