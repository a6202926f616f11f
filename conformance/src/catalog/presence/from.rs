//! `presence/from/…`: how `from` is read: every written form, and what an unparseable, empty or
//! future `from` gives.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/from/recent-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "If you pass from parameter, you'll get only a list users presence which have changed after the time of from parameter. The full result field will then be false.",
        &["presence.from.partial"],
        recent_is_partial,
    )
    .shares(Sharing::READS_CLOCK_WITH_SLACK));
    out.push(check(
        "presence/from/now-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "If you pass from parameter […] the full result field will then be false (from = now: a partial, usually empty, list).",
        &["presence.from.partial"],
        now_is_partial,
    )
    .shares(Sharing::READS_CLOCK_WITH_SLACK));
    out.push(check(
        "presence/from/future-is-partial",
        Level::Must,
        Needs::CREDENTIALS,
        "If you pass from parameter […] the full result field will then be false. Only a from older than 10 minutes gives the full set; a future from is not.",
        &["presence.from.future"],
        future_is_partial,
    )
    .shares(Sharing::READS_CLOCK_WITH_SLACK));
    out.push(check(
        "presence/from/form/no-zone-is-utc",
        Level::Should,
        Needs::CREDENTIALS,
        "A from without a timezone is a local time; the reference server reads it as UTC (Rocket.Chat's `new Date()` uses the server's local zone, UTC on a typical deployment).",
        &["presence.from.no-zone"],
        no_zone_is_utc,
    )
    .shares(Sharing::STOPS_CLOCK_ON_MINUTE));
    for (name, form) in FromForm::named() {
        out.push(check(
            format!("presence/from/form/{name}"),
            Level::Must,
            Needs::CREDENTIALS,
            "from: ISO 8601 datetime. Timezone, milliseconds and seconds are optional. Written this way, a from inside the 10-minute window gives a partial result and one outside it the full set.",
            if name == "no-zone-is-utc" {
                &["presence.from.no-zone"]
            } else {
                &["presence.from.formats", "presence.cutoff"]
            },
            move |ctx| both_sides(ctx, form),
        )
    .shares(Sharing::STOPS_CLOCK_ON_MINUTE));
    }
    for (name, value, why) in [
        (
            "garbage-is-full",
            "garbage",
            "an unparseable from is not an error: the full list",
        ),
        (
            "epoch-digits-is-full",
            "1558527105392",
            "a long digit string is not a date for `new Date()`: the full list",
        ),
        (
            "empty-is-full",
            "",
            "an empty from is ignored: the full list",
        ),
    ] {
        out.push(check(
            format!("presence/from/{name}"),
            Level::Should,
            Needs::CREDENTIALS,
            "`new Date(from)` with no validation: an Invalid Date makes diff NaN, `NaN < 10` is false, so the full list with full: true and no error; `from=` is falsy and ignored.",
            if name == "empty-is-full" {
                &["presence.from.empty"]
            } else {
                &["presence.from.unparseable"]
            },
            move |ctx| ctx.expect_full(value, true, why).map(drop),
        )
    .shares(Sharing::INDEPENDENT));
    }
}

pub(super) fn recent_is_partial(ctx: &mut Ctx) -> Result<(), Verdict> {
    let from = FromForm::ZuluMillis.render(ctx.server_now_ms() - 60_000);
    ctx.expect_full(&from, false, "a from one minute old gives a partial result")
        .map(drop)
}

pub(super) fn now_is_partial(ctx: &mut Ctx) -> Result<(), Verdict> {
    let from = FromForm::ZuluMillis.render(ctx.server_now_ms());
    ctx.expect_full(&from, false, "from = now gives a partial result")
        .map(drop)
}

pub(super) fn future_is_partial(ctx: &mut Ctx) -> Result<(), Verdict> {
    let from = FromForm::ZuluMillis.render(ctx.server_now_ms() + 3_600_000);
    ctx.expect_full(
        &from,
        false,
        "a from one hour in the future gives a partial result",
    )
    .map(drop)
}

pub(super) fn no_zone_is_utc(ctx: &mut Ctx) -> Result<(), Verdict> {
    both_sides(ctx, FromForm::NoZoneMillis)
}
