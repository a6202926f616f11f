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
