//! `presence/users/…`: the user objects: field types and the projection.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/users/field-types",
        Level::Must,
        Needs::CREDENTIALS,
        "Each user is an object like the example's: \"_id\", \"username\", \"status\" strings; \"name\", \"avatarETag\" strings and \"utcOffset\" a number when present; never null.",
        &["presence.user.types"],
        field_types,
    ));
    out.push(check(
        "presence/users/only-projected-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "User objects carry only projected keys: _id, username, name, status, utcOffset, statusText, avatarETag (+ statusSource, statusExpiresAt on 8.6+); absent fields are omitted.",
        &["presence.user.projection"],
        only_projected_keys,
    ));
}

pub(super) fn field_types(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    check_user_types(&a.users)
}

pub(super) fn only_projected_keys(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    let line = ctx.line();
    items_within(&a.users, projected_keys(line)).map_err(|v| match v {
        Verdict::Fail(mut f) => {
            f.message = format!("{} (the projection of Rocket.Chat {line})", f.message);
            Verdict::Fail(f)
        }
        other => other,
    })
}
