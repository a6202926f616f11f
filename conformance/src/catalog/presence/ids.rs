//! `presence/ids/…`: the `ids` parameter and its forms.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/ids/single",
        Level::Should,
        Needs::CREDENTIALS,
        "With ids, the listed users that are not offline, full: false; unknown ones are left out.",
        &["presence.ids"],
        single,
    ));
    out.push(check(
        "presence/ids/comma-separated",
        Level::Should,
        Needs::CREDENTIALS,
        "ids accepts one id, a comma-separated list (ids=a,b) or repeated parameters (ids=a&ids=b).",
        &["presence.ids.forms", "presence.ids"],
        comma_separated,
    ));
    out.push(check(
        "presence/ids/repeated",
        Level::Should,
        Needs::CREDENTIALS,
        "ids accepts one id, a comma-separated list (ids=a,b) or repeated parameters (ids=a&ids=b).",
        &["presence.ids.forms", "presence.ids", "errors.query-string"],
        repeated,
    ));
    out.push(check(
        "presence/ids/unknown-is-omitted",
        Level::Should,
        Needs::CREDENTIALS,
        "Unknown or offline ids are silently omitted; no error.",
        &["presence.ids"],
        unknown_is_omitted,
    ));
    out.push(check(
        "presence/ids/wins-over-from",
        Level::Should,
        Needs::CREDENTIALS,
        "If ids is truthy it wins; from is ignored and full: false.",
        &["presence.ids.precedence"],
        wins_over_from,
    ));
    out.push(check(
        "presence/ids/empty-is-ignored",
        Level::Should,
        Needs::CREDENTIALS,
        "ids= (empty string) is falsy, so the request falls through to the from/full branches.",
        &["presence.ids.empty"],
        empty_is_ignored,
    ));
}

pub(super) fn single(ctx: &mut Ctx) -> Result<(), Verdict> {
    let ids = connected_ids(ctx, 1)?;
    let a = ctx.presence(&[("ids", &ids[0])])?;
    expect_exactly(&a, &ids[..1])
}

pub(super) fn comma_separated(ctx: &mut Ctx) -> Result<(), Verdict> {
    if ctx.line() == Line::V8_4 {
        return Err(Verdict::NotApplicable(
            "8.4 answers ids=a,b with an empty list (a regression fixed in 8.5)".into(),
        ));
    }
    let ids = connected_ids(ctx, 2)?;
    let joined = ids.join(",");
    let a = ctx.presence(&[("ids", &joined)])?;
    expect_exactly(&a, &ids)
}

pub(super) fn repeated(ctx: &mut Ctx) -> Result<(), Verdict> {
    let ids = connected_ids(ctx, 2)?;
    let a = ctx.presence(&[("ids", &ids[0]), ("ids", &ids[1])])?;
    expect_exactly(&a, &ids)
}

pub(super) fn unknown_is_omitted(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[("ids", "conformanceNoSuchUserId0")])?;
    expect_exactly(&a, &[])
}

pub(super) fn wins_over_from(ctx: &mut Ctx) -> Result<(), Verdict> {
    let ids = connected_ids(ctx, 1)?;
    let old = FromForm::ZuluMillis.render(ctx.server_now_ms() - 11 * 60_000);
    let a = ctx.presence(&[("ids", &ids[0]), ("from", &old)])?;
    expect_exactly(&a, &ids[..1])
}

pub(super) fn empty_is_ignored(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[("ids", "")])?;
    ensure(
        a.full,
        "an empty ids must be ignored (full list)",
        "\"full\": true",
        "\"full\": false",
    )
}
