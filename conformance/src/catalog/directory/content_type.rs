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
}

pub(super) fn json(ctx: &mut Ctx) -> Result<(), Verdict> {
    let ok = ctx.dir_req(&DirQuery::of("users"), &[]);
    let bad = ctx.dir_req(&DirQuery::of("invalid"), &[]);
    for (req, auth) in [
        (ok, Auth::Caller),
        (bad, Auth::Caller),
        (Req::get(DIRECTORY), Auth::None),
    ] {
        json_media_type(&ctx.send(req, &auth)?)?;
    }
    Ok(())
}
