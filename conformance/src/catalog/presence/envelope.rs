//! `presence/envelope/…`: the top-level shape of the answer.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/envelope/full-list",
        Level::Must,
        Needs::CREDENTIALS,
        "If you don't pass from parameter, you'll get a list of all users presence and the result will have a full field with value true.",
        &["presence.full", "presence.envelope"],
        full_list,
    ));
    out.push(check(
        "presence/envelope/no-extra-top-level-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "The envelope is { users: [...], full: <bool>, success: true }; the 8.4+ response schema forbids extra top-level keys.",
        &["presence.envelope.extra-keys"],
        no_extra_top_level_keys,
    ));
}

pub(super) fn full_list(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    ensure(
        a.full,
        "without from, \"full\" must be true",
        "\"full\": true",
        "\"full\": false",
    )
}

pub(super) fn no_extra_top_level_keys(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.presence(&[])?;
    keys_within(&a.body, &["users", "full", "success"], "the body")
}
