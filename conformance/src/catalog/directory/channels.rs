//! `directory/channels/…`: channel items and which rooms a caller sees.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/channels/field-types",
        Level::Must,
        Needs::CREDENTIALS,
        "type channels gives room items like the example's: \"_id\", \"name\" strings; \"ts\" an ISO 8601 string and \"usernames\" an array of strings when present; never null; no user fields.",
        &["directory.channels.types"],
        field_types,
    )
    .shares(Sharing::INDEPENDENT));
    out.push(check(
        "directory/channels/only-projected-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "Channel items carry only the room projection: _id, t, name, fname, description, topic, lastMessage, ts, archived, default, featured, usersCount, prid, teamId, federated, belongsTo (and usernames, which the documentation page's example shows).",
        &["directory.channels.projection"],
        only_projected_keys,
    )
    .shares(Sharing::INDEPENDENT));
    out.push(check(
        "directory/channels/private-group-only-for-members",
        Level::Should,
        Needs::SECOND_USER,
        "Channels list public channels and every room the caller is in, private groups too; never a private group the caller is not in. Checked with a private group the caller creates (groups.create) and deletes.",
        &["directory.channels.visibility", "companion.groups.create"],
        private_group_only_for_members,
    )
    // The caller's private group shows in the caller's channel lists.
    .shares(Sharing::WRITES_DATA));
}

pub(super) fn field_types(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.directory(&DirQuery::of("channels"), &[("count", "100")])?;
    check_items(&a.result, Kind::Rooms)
}

pub(super) fn only_projected_keys(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.directory(&DirQuery::of("channels"), &[("count", "100")])?;
    items_within(&a.result, &ROOM_KEYS)
}
