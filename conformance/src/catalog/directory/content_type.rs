//! `directory/content-type/…`: the media type of answers and errors.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/content-type/json",
        Level::Should,
        Needs::CREDENTIALS,
        "All responses are application/json: a success, a 400 and a 401.",
        &["errors.content-type"],
        json,
    ));
    out.push(check(
        "directory/content-type/exactly-application-json",
        Level::Should,
        Needs::CREDENTIALS,
        "A success, a 400 and a 401 say Content-Type: application/json exactly, without a charset, as Rocket.Chat's own end-to-end tests require.",
        &["errors.content-type.exact", "errors.content-type"],
        exactly,
    ));
}

/// A success, a 400 and a 401.
fn requests(ctx: &Ctx) -> [(Req, Auth); 3] {
    [
        (ctx.dir_req(&DirQuery::of("users"), &[]), Auth::Caller),
        (ctx.dir_req(&DirQuery::of("invalid"), &[]), Auth::Caller),
        (Req::get(DIRECTORY), Auth::None),
    ]
}

pub(super) fn json(ctx: &mut Ctx) -> Result<(), Verdict> {
    for (req, auth) in requests(ctx) {
        json_media_type(&ctx.send(req, &auth)?)?;
    }
    Ok(())
}

pub(super) fn exactly(ctx: &mut Ctx) -> Result<(), Verdict> {
    for (req, auth) in requests(ctx) {
        exactly_application_json(&ctx.send(req, &auth)?)?;
    }
    Ok(())
}
