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
        let resp = ctx.send(req, &auth)?;
        let ct = resp.header("content-type").unwrap_or("(none)").to_owned();
        ensure(
            is_json_media_type(&ct),
            format!("the {} answer is not JSON-typed", resp.status),
            "Content-Type: application/json",
            format!("Content-Type: {ct}"),
        )?;
    }
    Ok(())
}
