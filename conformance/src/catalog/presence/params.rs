//! `presence/params/…`: parameter validation.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/params/unknown-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "≥ 8.4: additionalProperties:false, so e.g. ?foo=1 gives 400 `must NOT have additional properties`.",
        &["presence.params.unknown", "errors.bad-request"],
        unknown_is_400,
    ));
    out.push(check(
        "presence/params/repeated-from-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "≥ 8.4: from=x&from=y (an array) gives 400 \"must be string\".",
        &[
            "presence.params.types",
            "errors.query-string",
            "errors.bad-request",
        ],
        repeated_from_is_400,
    ));
}

pub(super) fn unknown_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    ctx.expect_400_containing(
        Req::get(PRESENCE).q("foo", "1"),
        "must NOT have additional properties",
    )
    .map(drop)
}

pub(super) fn repeated_from_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    let now = FromForm::ZuluMillis.render(ctx.server_now_ms());
    ctx.expect_400_containing(
        Req::get(PRESENCE).q("from", &now).q("from", &now),
        "must be string",
    )
    .map(drop)
}
