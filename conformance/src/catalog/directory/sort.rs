//! `directory/sort/…`: the `sort` parameter and the orders it gives.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/sort/default-is-name-descending",
        Level::Should,
        Needs::CREDENTIALS,
        "No sort: sortBy 'name', sortDirection 'desc' (channels and teams: featured ones first); byte order.",
        &["directory.sort.default"],
        default_is_name_descending,
    ));
    out.push(check(
        "directory/sort/name-ascending",
        Level::Should,
        Needs::CREDENTIALS,
        "sort={\"name\":1} orders by name ascending (channels: featured first); byte order.",
        &["directory.sort.keys"],
        name_ascending,
    ));
    out.push(check(
        "directory/sort/two-keys-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "sort with two keys: 400 {success:false, error:\"This method support only one \\\"sort\\\" parameter\"}.",
        &["directory.sort.two-keys", "errors.bad-request"],
        two_keys_is_400,
    ));
    out.push(check(
        "directory/sort/disallowed-key-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "sort on a field outside the allowed list: browseChannels returns undefined, 400 \"Please verify the parameters\".",
        &["directory.sort.disallowed-key", "errors.bad-request"],
        disallowed_key_is_400,
    ));
    for (name, sort) in [
        ("invalid-json-is-400", "{name:1"),
        ("value-not-one-is-400", r#"{"name":2}"#),
    ] {
        out.push(check(
            format!("directory/sort/{name}"),
            Level::Should,
            Needs::CREDENTIALS,
            "sort not valid JSON, or a value not ±1: 400 errorType \"error-invalid-sort\", error `Invalid sort parameter provided: \"<raw>\" [error-invalid-sort]`.",
            &["directory.sort.invalid", "errors.bad-request"],
            move |ctx| invalid_sort_is_400(ctx, sort),
        ));
    }
}

pub(super) fn default_is_name_descending(ctx: &mut Ctx) -> Result<(), Verdict> {
    for kind in ["users", "channels"] {
        let a = ctx.directory(&DirQuery::of(kind), &[("count", "100")])?;
        check_name_order(&a.result, true, kind == "channels")?;
    }
    Ok(())
}

pub(super) fn name_ascending(ctx: &mut Ctx) -> Result<(), Verdict> {
    for kind in ["users", "channels"] {
        let a = ctx.directory(
            &DirQuery::of(kind),
            &[("count", "100"), ("sort", r#"{"name":1}"#)],
        )?;
        check_name_order(&a.result, false, kind == "channels")?;
    }
    Ok(())
}

pub(super) fn two_keys_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    let req = ctx.dir_req(
        &DirQuery::of("channels"),
        &[("sort", r#"{"name":1,"usersCount":1}"#)],
    );
    ctx.expect_400_containing(req, r#"This method support only one "sort" parameter"#)
        .map(drop)
}

pub(super) fn disallowed_key_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    let req = ctx.dir_req(
        &DirQuery::of("users"),
        &[("sort", r#"{"conformanceNoSuchField":1}"#)],
    );
    ctx.expect_400_containing(req, "Please verify the parameters")
        .map(drop)
}

/// A `sort` that is not JSON, or whose value is not 1 or -1, is a 400 `error-invalid-sort`.
fn invalid_sort_is_400(ctx: &mut Ctx, sort: &str) -> Result<(), Verdict> {
    let req = ctx.dir_req(&DirQuery::of("users"), &[("sort", sort)]);
    ctx.expect_error(
        req,
        &Auth::Caller,
        400,
        "\"errorType\": \"error-invalid-sort\"",
        |m| {
            m.get("errorType").and_then(Value::as_str) == Some("error-invalid-sort")
                || error_text(m).contains("[error-invalid-sort]")
        },
    )
    .map(drop)
}
