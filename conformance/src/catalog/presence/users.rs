//! `presence/users/…`: the user objects: field types and the projection.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/users/field-types",
        Level::Must,
        Needs::CREDENTIALS,
        "Each user is an object like the example's: \"_id\", \"username\", \"status\" strings; \"name\", \"avatarETag\" strings and \"utcOffset\" a number when present; never null.", &["presence.user.types"],
        field_types,
    ));
    out.push(check(
        "presence/users/only-projected-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "User objects carry only projected keys: _id, username, name, status, utcOffset, statusText, avatarETag (+ statusSource, statusExpiresAt on 8.6+); absent fields are omitted.", &["presence.user.projection"],
        only_projected_keys,
    ));
}

pub(super) fn field_types(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    check_user_types(&a.users)
}

pub(super) fn only_projected_keys(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    for u in &a.users {
        if let Value::Object(m) = u {
            let extra: Vec<&String> = m
                .keys()
                .filter(|k| !PROJECTED_KEYS.contains(&k.as_str()))
                .collect();
            ensure(
                extra.is_empty(),
                format!(
                    "user {} has keys outside the projection",
                    show(m.get("_id"))
                ),
                format!("keys among {PROJECTED_KEYS:?}"),
                format!("also {extra:?}"),
            )?;
        }
    }
    Ok(())
}
