//! `directory/users/…`: user items, their fields, and what a caller may see of them.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/users/field-types",
        Level::Must,
        Needs::CREDENTIALS,
        "type users gives user items like the example's: \"_id\", \"username\" strings; \"name\", \"createdAt\" (ISO 8601), \"avatarETag\" strings and \"emails\" [{address, verified}] when present; never null; no room fields.",
        &["directory.users.types"],
        field_types,
    ));
    out.push(check(
        "directory/users/only-projected-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "User items carry only _id, username, name, nickname, bio, createdAt, emails (when allowed), federation, avatarETag.",
        &["directory.users.projection"],
        only_projected_keys,
    ));
    out.push(check(
        "directory/users/no-emails-for-non-admin",
        Level::Should,
        Needs::SECOND_NON_ADMIN,
        "emails is projected only if the caller has view-full-other-user-info (admins by default): a normal user's results have no emails.",
        &["directory.users.emails"],
        no_emails_for_non_admin,
    ));
}

pub(super) fn field_types(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.directory(&DirQuery::of("users"), &[("count", "100")])?;
    check_items(&a.result, Kind::Users)
}

pub(super) fn only_projected_keys(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.directory(&DirQuery::of("users"), &[("count", "100")])?;
    items_within(&a.result, &USER_KEYS)
}

pub(super) fn no_emails_for_non_admin(ctx: &mut Ctx) -> Result<(), Verdict> {
    let req = ctx.dir_req(&DirQuery::of("users"), &[("count", "100")]);
    let a = ctx.directory_req(req, &Auth::Second)?;
    for item in &a.result {
        ensure(
            item.get("emails").is_none(),
            format!(
                "a non-admin sees the emails of {}",
                show(item.get("username"))
            ),
            "no \"emails\" key",
            format!("\"emails\": {}", show(item.get("emails"))),
        )?;
    }
    Ok(())
}
