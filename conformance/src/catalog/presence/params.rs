//! `presence/params/…`: parameter validation.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/params/unknown-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "An unknown parameter (?foo=1): from 8.4 (additionalProperties: false) a 400 `must NOT have additional properties`; up to 8.3 it is ignored.",
        &["presence.params.unknown", "errors.bad-request"],
        unknown_is_400,
    ));
    out.push(
        check(
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
        )
        .holds_for(Lines::since(Line::V8_4)),
    );
}

pub(super) fn unknown_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    if ctx.line() >= Line::V8_4 {
        return ctx
            .expect_400_containing(
                Req::get(PRESENCE).q("foo", "1"),
                "must NOT have additional properties",
            )
            .map(drop);
    }
    // Up to 8.3 nothing validates the query: the parameter changes nothing.
    let line = ctx.line();
    let resp = ctx.call(Req::get(PRESENCE).q("foo", "1"))?;
    ensure(
        resp.status == 200,
        format!(
            "Rocket.Chat {line} ignores unknown parameters: ?foo=1 must be answered as without it"
        ),
        "200 with the full list",
        format!("{} {}", resp.status, snippet(&resp.text(), 300)),
    )?;
    let a = ctx.presence_req(Req::get(PRESENCE).q("foo", "1"))?;
    ensure(
        a.full,
        format!("Rocket.Chat {line} ignores unknown parameters: ?foo=1 is the full list"),
        "\"full\": true",
        "\"full\": false",
    )
}

pub(super) fn repeated_from_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    let now = FromForm::ZuluMillis.render(ctx.server_now_ms());
    ctx.expect_400_containing(
        Req::get(PRESENCE).q("from", &now).q("from", &now),
        "must be string",
    )
    .map(drop)
}
