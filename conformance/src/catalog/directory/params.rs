//! `directory/params/…`: the two forms of the search criteria, and parameter validation.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/params/count-not-a-number-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "count=abc: 400 \"must be number\".",
        &["directory.params.validation", "errors.bad-request"],
        count_not_a_number_is_400,
    ));
    out.push(check(
        "directory/params/unknown-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "Unknown params (page, fields, foo): 400 \"must NOT have additional properties\" (7.x+).",
        &["directory.params.validation", "errors.bad-request"],
        unknown_is_400,
    ));
    for (form, level, source, id, lines) in [
        (
            DirectoryForm::Query,
            Level::Must,
            &[
                "directory.params.query",
                "directory.users.types",
                "directory.channels.types",
                "directory.text.match",
            ],
            "directory/params/query-form",
            Lines::until(Line::V6),
        ),
        (
            DirectoryForm::TopLevel,
            Level::Should,
            &[
                "directory.params.top-level",
                "directory.users.types",
                "directory.channels.types",
                "directory.text.match",
            ],
            "directory/params/top-level-form",
            Lines::since(Line::V7),
        ),
    ] {
        out.push(check(
            id,
            level,
            Needs::CREDENTIALS,
            if form == DirectoryForm::Query {
                "Payload: query {\"text\": \"rocket\", \"type\": \"users\", \"workspace\": \"local\"}: the JSON query selects the type and filters by text."
            } else {
                "7.0+: top-level text, type and workspace select the type and filter by text."
            },
            source,
            move |ctx| forms_work(ctx, form),
        )
        .holds_for(lines));
    }
}

pub(super) fn count_not_a_number_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    let req = ctx.dir_req(&DirQuery::of("users"), &[("count", "abc")]);
    ctx.expect_400_containing(req, "must be number").map(drop)
}

pub(super) fn unknown_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    let req = ctx.dir_req(&DirQuery::of("users"), &[("foo", "1")]);
    ctx.expect_400_containing(req, "must NOT have additional properties")
        .map(drop)
}
