//! `directory/teams/…`: team items.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/teams/field-types",
        Level::Should,
        Needs::CREDENTIALS,
        "type teams gives team main rooms with _id, fname, teamMain, name, t, usersCount, ts, teamId, default, roomsCount (room field types).",
        &["directory.teams"],
        field_types,
    ));
}

pub(super) fn field_types(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.directory(&DirQuery::of("teams"), &[("count", "100")])?;
    check_items(&a.result, Kind::Rooms)?;
    for item in &a.result {
        ensure(
            item.get("teamMain") == Some(&Value::Bool(true)),
            format!("team {} is not a team main room", show(item.get("_id"))),
            "\"teamMain\": true",
            format!("\"teamMain\": {}", show(item.get("teamMain"))),
        )?;
    }
    Ok(())
}
