//! `directory/type/…`: the `type` parameter.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/type/missing-is-channels",
        Level::Should,
        Needs::CREDENTIALS,
        "type missing: browseChannels defaults to 'channels'.",
        &["directory.type.default"],
        missing_is_channels,
    ));
    out.push(check(
        "directory/type/invalid-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "type not in channels|users|teams: 400 {success:false, error:\"Please verify the parameters\"}.",
        &["directory.type.invalid", "errors.bad-request"],
        invalid_is_400,
    ));
}

pub(super) fn missing_is_channels(ctx: &mut Ctx) -> Result<(), Verdict> {
    let channels = ctx.directory(&DirQuery::of("channels"), &[("count", "100")])?;
    let missing = ctx.directory(&DirQuery::default(), &[("count", "100")])?;
    same_answer(&channels, &missing, "type=channels", "no type")
}

pub(super) fn invalid_is_400(ctx: &mut Ctx) -> Result<(), Verdict> {
    let req = ctx.dir_req(&DirQuery::of("invalid").text("invalid channel"), &[]);
    ctx.expect_400_containing(req, "Please verify the parameters")
        .map(drop)
}
