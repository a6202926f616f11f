//! `presence/cutoff/…`: the 10-minute boundary of `from`, on both sides (to the millisecond with
//! test control, a margin away from it without).

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/cutoff/older-than-10-min-is-full",
        Level::Must,
        Needs::CREDENTIALS,
        "If the value of from parameter is older than 10 minutes, the server will reply with a full result set.",
        &["presence.cutoff"],
        older_than_10_min_is_full,
    )
    .shares(Sharing::READS_CLOCK_WITH_SLACK));
    out.push(check(
        "presence/cutoff/just-inside-window-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "Only a from older than 10 minutes gives a full result set: one just under 10 minutes old (9 min 59.999 s with test control; the time margin away without) is partial.",
        &["presence.cutoff", "presence.from.partial"],
        just_inside_window_is_partial,
    )
    .shares(Sharing::STOPS_CLOCK_ON_MINUTE));
    out.push(check(
        "presence/cutoff/just-outside-window-is-full",
        Level::Must,
        Needs::CREDENTIALS,
        "If the value of from parameter is older than 10 minutes, the server will reply with a full result set (10 min 0.001 s with test control; the time margin away without).",
        &["presence.cutoff"],
        just_outside_window_is_full,
    )
    .shares(Sharing::STOPS_CLOCK_ON_MINUTE));
    out.push(check(
        "presence/cutoff/exactly-10-min-is-full",
        Level::Should,
        Needs::TEST_CONTROL,
        "diff = (Date.now() - Number(ts)) / 1000 / 60; if (diff < 10) → partial: the comparison is strict, so a from exactly 600000 ms old gives the full list.",
        &["presence.cutoff.boundary"],
        exactly_10_min_is_full,
    )
    .shares(Sharing::STOPS_CLOCK_ON_MINUTE));
}

pub(super) fn older_than_10_min_is_full(ctx: &mut Ctx) -> Result<(), Verdict> {
    // 12 minutes: clearly older, and a minute away from the 11-minute-cutoff defect, so
    // whether that defect trips this check never depends on request timing.
    let from = FromForm::ZuluMillis.render(ctx.server_now_ms() - 12 * 60_000);
    ctx.expect_full(
        &from,
        true,
        "a from 12 minutes old gives the full result set",
    )
    .map(drop)
}

pub(super) fn just_inside_window_is_partial(ctx: &mut Ctx) -> Result<(), Verdict> {
    let now = freeze_if_possible(ctx)?;
    let age = TEN_MINUTES_MS - ctx.time_margin_ms().max(1);
    let from = FromForm::ZuluMillis.render(now - age);
    note_age(ctx, age);
    ctx.expect_full(
        &from,
        false,
        &format!("a from {age} ms old is inside the 10-minute window"),
    )
    .map(drop)
}

pub(super) fn just_outside_window_is_full(ctx: &mut Ctx) -> Result<(), Verdict> {
    let now = freeze_if_possible(ctx)?;
    let age = TEN_MINUTES_MS + ctx.time_margin_ms().max(1);
    let from = FromForm::ZuluMillis.render(now - age);
    note_age(ctx, age);
    ctx.expect_full(
        &from,
        true,
        &format!("a from {age} ms old is outside the 10-minute window"),
    )
    .map(drop)
}

pub(super) fn exactly_10_min_is_full(ctx: &mut Ctx) -> Result<(), Verdict> {
    let now = ctx.freeze_clock_on_minute()?;
    let from = FromForm::ZuluMillis.render(now - TEN_MINUTES_MS);
    ctx.expect_full(
        &from,
        true,
        "a from exactly 10 minutes old gives the full list",
    )
    .map(drop)
}
