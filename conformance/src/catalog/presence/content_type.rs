//! `presence/content-type/…`: the media type of the answer.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/content-type/json",
        Level::Should,
        Needs::CREDENTIALS,
        "All responses are application/json: a success, a 400 and a 401.",
        &["errors.content-type"],
        json,
    ));
    out.push(check(
        "presence/content-type/exactly-application-json",
        Level::Should,
        Needs::CREDENTIALS,
        "A success, a 400 and a 401 say Content-Type: application/json exactly, without a charset, as Rocket.Chat's own end-to-end tests require.",
        &["errors.content-type.exact", "errors.content-type"],
        exactly,
    ));
}

/// A success, a 400 (from 8.4; an ignored parameter before) and a 401.
fn requests() -> [(Req, Auth); 3] {
    [
        (Req::get(PRESENCE), Auth::Caller),
        (Req::get(PRESENCE).q("foo", "1"), Auth::Caller),
        (Req::get(PRESENCE), Auth::None),
    ]
}

pub(super) fn json(ctx: &mut Ctx) -> Result<(), Verdict> {
    for (req, auth) in requests() {
        json_media_type(&ctx.send(req, &auth)?)?;
    }
    Ok(())
}

pub(super) fn exactly(ctx: &mut Ctx) -> Result<(), Verdict> {
    for (req, auth) in requests() {
        exactly_application_json(&ctx.send(req, &auth)?)?;
    }
    Ok(())
}
