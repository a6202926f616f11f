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
}

pub(super) fn json(ctx: &mut Ctx) -> Result<(), Verdict> {
    let reqs = [
        (Req::get(PRESENCE), Auth::Caller),
        (Req::get(PRESENCE).q("foo", "1"), Auth::Caller),
        (Req::get(PRESENCE), Auth::None),
    ];
    for (req, auth) in reqs {
        json_media_type(&ctx.send(req, &auth)?)?;
    }
    Ok(())
}
