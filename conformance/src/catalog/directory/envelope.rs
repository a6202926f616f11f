//! `directory/envelope/…`: the top-level shape of the answer for each type.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/envelope/no-extra-top-level-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "The 8.4+ response schema forbids top-level keys other than result, count, offset, total, success.",
        &["directory.envelope.extra-keys"],
        no_extra_top_level_keys,
    ));
    for (kind, level, source) in [
        ("users", Level::Must, &["directory.envelope"] as &[&str]),
        ("channels", Level::Must, &["directory.envelope"]),
        (
            "teams",
            Level::Should,
            &["directory.envelope", "directory.teams"],
        ),
    ] {
        out.push(check(
            format!("directory/envelope/{kind}"),
            level,
            Needs::CREDENTIALS,
            "The result is { result: [...], count, offset, total, success: true }: count the number of items returned, offset the requested offset (0 by default), total at least count.",
            source,
            move |ctx| envelope_of(ctx, kind),
        ));
    }
}

pub(super) fn no_extra_top_level_keys(ctx: &mut Ctx) -> Result<(), Verdict> {
    let a = ctx.directory(&DirQuery::of("users"), &[])?;
    keys_within(
        &a.body,
        &["result", "count", "offset", "total", "success"],
        "the body",
    )
}

/// The envelope of a search of one type, without text.
fn envelope_of(ctx: &mut Ctx, kind: &str) -> Result<(), Verdict> {
    let a = ctx.directory(&DirQuery::of(kind), &[])?;
    page_arithmetic(&a, 0)
}
