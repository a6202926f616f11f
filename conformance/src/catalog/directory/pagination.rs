//! `directory/pagination/…`: `count`, `offset` and `total`, and paging through every match.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/pagination/count-limits-items",
        Level::Must,
        Needs::CREDENTIALS,
        "It supports the pagination parameters (example: count=1 returns one item, \"count\": 1, with total counting every match).",
        &["directory.pagination"],
        count_limits_items,
    ));
    out.push(check(
        "directory/pagination/offset-skips-and-is-echoed",
        Level::Must,
        Needs::CREDENTIALS,
        "It supports the pagination parameters (example: offset=2 skips two matches and the answer says \"offset\": 2).",
        &["directory.pagination"],
        offset_skips_and_is_echoed,
    ));
    out.push(check(
        "directory/pagination/total-ignores-paging",
        Level::Must,
        Needs::CREDENTIALS,
        "total is the number of matches regardless of count and offset (example: count 1, offset 2, total 4).",
        &["directory.pagination"],
        total_ignores_paging,
    ));
    out.push(check(
        "directory/pagination/beyond-the-end-is-empty",
        Level::Should,
        Needs::CREDENTIALS,
        "An offset past the last match gives result [], count 0, and total unchanged.",
        &["directory.pagination.beyond-end"],
        beyond_the_end_is_empty,
    ));
    out.push(check(
        "directory/pagination/default-count",
        Level::Should,
        Needs::CREDENTIALS,
        "No count: API_Default_Count (50) items at most. With test control the setting is lowered below the number of users so that the rule shows.",
        &["directory.pagination.default-count"],
        default_count,
    )
    // With test control it lowers the limit to fit the target's users.
    .shares(Sharing::ALONE));
    out.push(check(
        "directory/pagination/count-clamped-to-upper-limit",
        Level::Should,
        Needs::CREDENTIALS,
        "count > API_Upper_Count_Limit (100) is clamped to it. With test control the limit is lowered below the number of users so that the rule shows.",
        &["directory.pagination.upper-limit"],
        count_clamped_to_upper_limit,
    )
    // With test control it lowers the limit to fit the target's users.
    .shares(Sharing::ALONE));
    out.push(check(
        "directory/pagination/negative-offset-is-echoed-and-skips-nothing",
        Level::Should,
        Needs::CREDENTIALS,
        "offset=-3: skip Math.max(0, offset) = 0, but the response's offset echoes the parsed value -3.",
        &["directory.pagination.negative-offset"],
        negative_offset_is_echoed_and_skips_nothing,
    ));
    add_families(out);
}

/// The checks drawn from a table: paging through each type, and each non-positive `count`.
fn add_families(out: &mut Vec<Check>) {
    for kind in ["users", "channels"] {
        out.push(check(
            format!("directory/pagination/pages-cover-{kind}-once"),
            Level::Must,
            Needs::CREDENTIALS,
            "Paging with count and offset through every page yields every match exactly once, and their number is total.",
            &["directory.pagination.complete"],
            move |ctx| pages_cover_once(ctx, kind),
        ));
    }
    for (name, count) in [
        ("zero-count-gives-at-most-10", "0"),
        ("negative-count-gives-at-most-10", "-5"),
    ] {
        out.push(check(
            format!("directory/pagination/{name}"),
            Level::Should,
            Needs::CREDENTIALS,
            "count=0 or a negative count: browseChannels uses limit > 0 ? limit : 10, so at most 10 items (not unlimited).",
            &["directory.pagination.non-positive-count"],
            move |ctx| non_positive_count_gives_at_most_10(ctx, count),
        ));
    }
}

pub(super) fn count_limits_items(ctx: &mut Ctx) -> Result<(), Verdict> {
    let all = ctx.directory(&DirQuery::of("users"), &[])?;
    let one = ctx.directory(&DirQuery::of("users"), &[("count", "1")])?;
    page_arithmetic(&one, 0)?;
    let want = all.total.min(1);
    ensure(
        one.result.len() as i64 == want,
        "count=1 must return at most one item",
        format!("{want} item(s)"),
        format!("{} items", one.result.len()),
    )
}

pub(super) fn offset_skips_and_is_echoed(ctx: &mut Ctx) -> Result<(), Verdict> {
    let first = ctx.directory(&DirQuery::of("users"), &[("count", "4")])?;
    let later = ctx.directory(&DirQuery::of("users"), &[("count", "2"), ("offset", "2")])?;
    page_arithmetic(&later, 2)?;
    let want: Vec<String> = first.ids().into_iter().skip(2).take(2).collect();
    ensure(
        later.ids() == want,
        "offset=2&count=2 must give the third and fourth items of the same search",
        format!("{want:?}"),
        format!("{:?}", later.ids()),
    )
}

pub(super) fn total_ignores_paging(ctx: &mut Ctx) -> Result<(), Verdict> {
    let all = ctx.directory(&DirQuery::of("users"), &[])?;
    for (count, offset) in [("1", "0"), ("1", "1"), ("2", "3")] {
        let page = ctx.directory(
            &DirQuery::of("users"),
            &[("count", count), ("offset", offset)],
        )?;
        ensure(
            page.total == all.total,
            format!("count={count}&offset={offset} changed total"),
            format!("\"total\": {}", all.total),
            format!("\"total\": {}", page.total),
        )?;
    }
    Ok(())
}

pub(super) fn beyond_the_end_is_empty(ctx: &mut Ctx) -> Result<(), Verdict> {
    let all = ctx.directory(&DirQuery::of("users"), &[])?;
    let offset = (all.total + 5).to_string();
    let past = ctx.directory(&DirQuery::of("users"), &[("offset", &offset)])?;
    ensure(
        past.result.is_empty()
            && past.count == 0
            && past.total == all.total
            && past.offset == all.total + 5,
        "an offset beyond the end",
        format!("result [], count 0, offset {offset}, total {}", all.total),
        format!(
            "{} items, count {}, offset {}, total {}",
            past.result.len(),
            past.count,
            past.offset,
            past.total
        ),
    )
}

pub(super) fn default_count(ctx: &mut Ctx) -> Result<(), Verdict> {
    let total = ctx.directory(&DirQuery::of("users"), &[])?.total;
    let mut default = ctx.settings().default_count();
    if ctx.session.test_control && total >= 2 && total <= default {
        default = total - 1;
        ctx.patch_settings(json!({ "API_Default_Count": default }))?;
    }
    let a = ctx.directory(&DirQuery::of("users"), &[])?;
    note_indecisive(ctx, total, default);
    let want = total.min(default);
    ensure(
        a.result.len() as i64 == want,
        format!("no count: API_Default_Count={default}"),
        format!("{want} items"),
        format!("{} items", a.result.len()),
    )
}

pub(super) fn count_clamped_to_upper_limit(ctx: &mut Ctx) -> Result<(), Verdict> {
    let total = ctx.directory(&DirQuery::of("users"), &[])?.total;
    let mut upper = ctx.settings().upper_count_limit();
    if ctx.session.test_control && total >= 2 && total <= upper {
        upper = total - 1;
        ctx.patch_settings(json!({ "API_Upper_Count_Limit": upper }))?;
    }
    let asked = (upper + 50).to_string();
    let a = ctx.directory(&DirQuery::of("users"), &[("count", &asked)])?;
    note_indecisive(ctx, total, upper);
    let want = total.min(upper);
    ensure(
        a.result.len() as i64 == want,
        format!("count={asked} with API_Upper_Count_Limit={upper}"),
        format!("{want} items"),
        format!("{} items", a.result.len()),
    )
}

pub(super) fn negative_offset_is_echoed_and_skips_nothing(ctx: &mut Ctx) -> Result<(), Verdict> {
    let zero = ctx.directory(&DirQuery::of("users"), &[("count", "5")])?;
    let neg = ctx.directory(&DirQuery::of("users"), &[("count", "5"), ("offset", "-3")])?;
    ensure(
        neg.offset == -3,
        "a negative offset is echoed",
        "\"offset\": -3",
        format!("\"offset\": {}", neg.offset),
    )?;
    ensure(
        neg.ids() == zero.ids(),
        "a negative offset skips nothing",
        format!("{:?}", zero.ids()),
        format!("{:?}", neg.ids()),
    )
}

/// `count` of zero or below gives at most 10 items, and `count` says how many.
fn non_positive_count_gives_at_most_10(ctx: &mut Ctx, count: &str) -> Result<(), Verdict> {
    let total = ctx.directory(&DirQuery::of("users"), &[])?.total;
    let a = ctx.directory(&DirQuery::of("users"), &[("count", count)])?;
    note_indecisive(ctx, total, 10);
    let want = total.min(10);
    ensure(
        a.result.len() as i64 == want,
        format!("count={count}"),
        format!("{want} items"),
        format!("{} items", a.result.len()),
    )?;
    page_arithmetic(&a, 0)
}
