//! `directory/text/…`: how `text` matches: case, trimming, literal characters, fields searched.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/text/users-match-case-insensitive-substring",
        Level::Should,
        Needs::CREDENTIALS,
        "Users: new RegExp(escapeRegExp(text), 'i') over the Accounts_SearchFields fields (default username, name, bio, nickname): a case-insensitive substring; the user whose name gave the text is found.",
        &["directory.text.match"],
        users_match_case_insensitive_substring,
    ));
    out.push(check(
        "directory/text/channels-match-case-insensitive-substring",
        Level::Should,
        Needs::CREDENTIALS,
        "Channels: a case-insensitive substring of name or fname (not topic or description); the channel whose name gave the text is found.",
        &["directory.text.match"],
        channels_match_case_insensitive_substring,
    ));
    out.push(check(
        "directory/text/regex-metacharacters-are-literal",
        Level::Should,
        Needs::CREDENTIALS,
        "searchTerm = escapeRegExp(text): regex metacharacters match literally (and never break the search).",
        &["directory.text.literal"],
        metacharacters_literal,
    ));
    out.push(check(
        "directory/text/surrounding-whitespace-is-trimmed",
        Level::Should,
        Needs::CREDENTIALS,
        "The search text is trimmed: \"  x  \" searches for x.",
        &["directory.text.trim"],
        surrounding_whitespace_is_trimmed,
    ));
    out.push(check(
        "directory/text/whitespace-only-matches-everything",
        Level::Should,
        Needs::CREDENTIALS,
        "Whitespace-only text is the same as no text, for every type.",
        &["directory.text.trim"],
        whitespace_only_matches_everything,
    ));
}

pub(super) fn users_match_case_insensitive_substring(ctx: &mut Ctx) -> Result<(), Verdict> {
    text_matches(ctx, "users", "username")
}

pub(super) fn channels_match_case_insensitive_substring(ctx: &mut Ctx) -> Result<(), Verdict> {
    text_matches(ctx, "channels", "name")
}

pub(super) fn surrounding_whitespace_is_trimmed(ctx: &mut Ctx) -> Result<(), Verdict> {
    let Some((needle, _)) = pick_needle(ctx, "users", "username")? else {
        return Err(Verdict::Skip(
            "no user with a username of 3 characters or more".into(),
        ));
    };
    let plain = ctx.directory(&DirQuery::of("users").text(&needle), &[("count", "100")])?;
    let padded = ctx.directory(
        &DirQuery::of("users").text(&format!("  {needle}  ")),
        &[("count", "100")],
    )?;
    same_answer(
        &plain,
        &padded,
        &format!("text {needle:?}"),
        &format!("text {:?}", format!("  {needle}  ")),
    )
}

pub(super) fn whitespace_only_matches_everything(ctx: &mut Ctx) -> Result<(), Verdict> {
    for kind in ["users", "channels"] {
        let none = ctx.directory(&DirQuery::of(kind), &[("count", "100")])?;
        let blank = ctx.directory(&DirQuery::of(kind).text("   "), &[("count", "100")])?;
        same_answer(
            &none,
            &blank,
            &format!("type {kind}, no text"),
            &format!("type {kind}, text \"   \""),
        )?;
    }
    Ok(())
}
