/*!
Renders an instant as a `from` value in every form the seed document allows ("ISO 8601
datetime. Timezone, milliseconds and seconds are optional"), and estimates the target's clock
from its `Date` header. Kept apart so that the fixed checks and the properties render `from`
identically.
*/

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

/// One written form of a `from` instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromForm {
    /// `2019-05-22T12:11:45.392Z`
    ZuluMillis,
    /// `2019-05-22T12:11:45Z`
    ZuluSeconds,
    /// `2019-05-22T12:11Z`
    ZuluMinutes,
    /// `2019-05-22T17:41:45.392+05:30` (any offset)
    OffsetMillis(i32),
    /// `2019-05-22T09:11:45-03:00`
    OffsetSeconds(i32),
    /// `2019-05-22T13:11+01:00`
    OffsetMinutes(i32),
    /// `2019-05-22T12:11:45.392`: no zone; UTC in the reference server (Rocket.Chat: server
    /// local time).
    NoZoneMillis,
}

impl FromForm {
    /// The forms the fixed checks exercise, one per written shape, with named ids.
    pub fn named() -> Vec<(&'static str, FromForm)> {
        vec![
            ("zulu-with-millis", FromForm::ZuluMillis),
            ("zulu-without-millis", FromForm::ZuluSeconds),
            ("zulu-without-seconds", FromForm::ZuluMinutes),
            (
                "positive-offset-with-millis",
                FromForm::OffsetMillis(5 * 3600 + 30 * 60),
            ),
            (
                "negative-offset-without-millis",
                FromForm::OffsetSeconds(-3 * 3600),
            ),
            ("offset-without-seconds", FromForm::OffsetMinutes(3600)),
        ]
    }

    /// The unit an instant must be a multiple of to be written exactly in this form.
    pub fn resolution_ms(self) -> i64 {
        match self {
            FromForm::ZuluMinutes | FromForm::OffsetMinutes(_) => 60_000,
            FromForm::ZuluSeconds | FromForm::OffsetSeconds(_) => 1_000,
            _ => 1,
        }
    }

    /// Writes the instant `ms` (Unix epoch ms, a multiple of [`Self::resolution_ms`]).
    pub fn render(self, ms: i64) -> String {
        let utc = Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
        let at = |secs: i32| -> DateTime<FixedOffset> {
            let offset = FixedOffset::east_opt(secs)
                .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
            utc.with_timezone(&offset)
        };
        match self {
            FromForm::ZuluMillis => utc.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            FromForm::ZuluSeconds => utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            FromForm::ZuluMinutes => utc.format("%Y-%m-%dT%H:%MZ").to_string(),
            FromForm::OffsetMillis(s) => at(s).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
            FromForm::OffsetSeconds(s) => at(s).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            FromForm::OffsetMinutes(s) => at(s).format("%Y-%m-%dT%H:%M%:z").to_string(),
            FromForm::NoZoneMillis => utc.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        }
    }
}

/// `ms` rounded down to a multiple of `unit`.
pub fn floor_to(ms: i64, unit: i64) -> i64 {
    ms.div_euclid(unit) * unit
}

/// `ms` rounded up to a multiple of `unit`.
pub fn ceil_to(ms: i64, unit: i64) -> i64 {
    -floor_to(-ms, unit)
}

/// The instant a `Date` header names, in ms.
pub fn parse_http_date(value: &str) -> Option<i64> {
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_form_of_the_seed_example() {
        let ms = DateTime::parse_from_rfc3339("2019-05-22T12:11:45.392Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(FromForm::ZuluMillis.render(ms), "2019-05-22T12:11:45.392Z");
        assert_eq!(
            FromForm::OffsetMillis(19800).render(ms),
            "2019-05-22T17:41:45.392+05:30"
        );
        assert_eq!(FromForm::NoZoneMillis.render(ms), "2019-05-22T12:11:45.392");
        let s = floor_to(ms, 1000);
        assert_eq!(FromForm::ZuluSeconds.render(s), "2019-05-22T12:11:45Z");
        assert_eq!(
            FromForm::OffsetSeconds(-10800).render(s),
            "2019-05-22T09:11:45-03:00"
        );
        let m = floor_to(ms, 60_000);
        assert_eq!(FromForm::ZuluMinutes.render(m), "2019-05-22T12:11Z");
        assert_eq!(
            FromForm::OffsetMinutes(3600).render(m),
            "2019-05-22T13:11+01:00"
        );
    }

    #[test]
    fn rounds_both_ways() {
        assert_eq!(floor_to(61_500, 60_000), 60_000);
        assert_eq!(ceil_to(60_001, 60_000), 120_000);
        assert_eq!(ceil_to(60_000, 60_000), 60_000);
        assert_eq!(floor_to(-1, 1000), -1000);
    }

    #[test]
    fn reads_http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777000)
        );
        assert_eq!(parse_http_date("nonsense"), None);
    }
}
