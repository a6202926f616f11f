//! `presence/property/…`: properties of `from`, drawn and shrunk by proptest.

use super::*;
use crate::catalog::properties::{malformed_params_check, run_property};

use proptest::prelude::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/property/from-forms-pick-the-window",
        Level::Must,
        Needs::CREDENTIALS,
        "from: ISO 8601 datetime; timezone, milliseconds and seconds are optional. Any instant in any allowed form gives full: false when under 10 minutes old (or in the future) and full: true when older.",
        &["presence.from.formats", "presence.cutoff", "presence.from.future"],
        from_forms_pick_the_window,
    )
    .shares(Sharing::STOPS_CLOCK_ON_MINUTE)
    .long());
    out.push(malformed_params_check("presence", PRESENCE));
}

#[derive(Debug, Clone)]
struct FromCase {
    form: FromForm,
    /// How old `from` is, before rounding to the form's resolution (negative: future).
    age_ms: i64,
}

fn from_case() -> impl Strategy<Value = FromCase> {
    let zone = (-48i32..=56).prop_map(|q| q * 15 * 60);
    let form = prop_oneof![
        Just(FromForm::ZuluMillis),
        Just(FromForm::ZuluSeconds),
        Just(FromForm::ZuluMinutes),
        zone.clone().prop_map(FromForm::OffsetMillis),
        zone.clone().prop_map(FromForm::OffsetSeconds),
        zone.prop_map(FromForm::OffsetMinutes),
    ];
    let age = prop_oneof![
        -300_000i64..1_200_000,
        (TEN_MINUTES_MS - 3_000)..(TEN_MINUTES_MS + 3_000),
        Just(TEN_MINUTES_MS - 1),
        Just(TEN_MINUTES_MS + 1),
    ];
    (form, age).prop_map(|(form, age_ms)| FromCase { form, age_ms })
}

pub(super) fn from_forms_pick_the_window(ctx: &mut Ctx) -> Result<(), Verdict> {
    let frozen = if ctx.session.test_control {
        Some(ctx.freeze_clock_on_minute()?)
    } else {
        None
    };
    run_property(ctx, from_case(), move |ctx, case| {
        let now = frozen.unwrap_or_else(|| ctx.server_now_ms());
        let instant = floor_to(now - case.age_ms, case.form.resolution_ms());
        let age = now - instant;
        if age == TEN_MINUTES_MS || (age - TEN_MINUTES_MS).abs() < ctx.time_margin_ms() {
            // Exactly 10 minutes is a SHOULD (strict `<`), and near the boundary the estimated
            // clock cannot decide.
            return Err(Verdict::Skip("too close to the boundary".into()));
        }
        let from = case.form.render(instant);
        let want = age > TEN_MINUTES_MS;
        ctx.expect_full(
            &from,
            want,
            &format!(
                "{age} ms old ({})",
                if want {
                    "older than 10 minutes"
                } else {
                    "not older than 10 minutes"
                }
            ),
        )
        .map(drop)
    })
}
