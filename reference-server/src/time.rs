/*!
Time as the reference server sees it: a clock that tests can stop and move, the parser for the
`from` parameter of `users.presence`, and the ISO 8601 rendering of stored instants.

Why a module of its own: the 10-minute rule of `users.presence` is only testable to the
millisecond when the server's "now" is under the test's control, and the documented "ISO 8601,
timezone, milliseconds and seconds optional" needs one precise reading
(docs/contract/users.presence.md#presence.from.formats,
docs/contract/users.presence.md#presence.from.no-zone).

All instants are milliseconds since the Unix epoch (`i64`), as JavaScript's `Date` keeps them.
*/

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

tokio::task_local! {
    /// The instant the request being served sees as now, when test control gave it one.
    static REQUEST_NOW: Millis;
}

/// Serves `request` with `now` as every [`Clock::now`] inside it, leaving the clock itself alone.
pub async fn with_request_clock<F: std::future::Future>(now: Millis, request: F) -> F::Output {
    REQUEST_NOW.scope(now, request).await
}

/// The server's clock: the system clock, or a manual one that only moves when told to.
#[derive(Debug, Default)]
pub struct Clock {
    manual: AtomicBool,
    manual_now: AtomicI64,
}

impl Clock {
    /// A clock that follows the system time.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock stopped at `now`.
    pub fn manual(now: Millis) -> Self {
        let clock = Self::default();
        clock.set(now);
        clock
    }

    /// The instant the current request was given, else the manual clock, else the system time.
    pub fn now(&self) -> Millis {
        if let Ok(now) = REQUEST_NOW.try_with(|now| *now) {
            return now;
        }
        if self.manual.load(Ordering::Acquire) {
            self.manual_now.load(Ordering::Acquire)
        } else {
            Utc::now().timestamp_millis()
        }
    }

    pub fn is_manual(&self) -> bool {
        self.manual.load(Ordering::Acquire)
    }

    /// Stops the clock at `now`.
    pub fn set(&self, now: Millis) {
        self.manual_now.store(now, Ordering::Release);
        self.manual.store(true, Ordering::Release);
    }

    /// Moves the clock by `delta` milliseconds, stopping it first at the current time if it runs.
    pub fn advance(&self, delta: Millis) -> Millis {
        let now = self.now().saturating_add(delta);
        self.set(now);
        now
    }

    /// Lets the clock follow the system time again.
    pub fn resume_system(&self) {
        self.manual.store(false, Ordering::Release);
    }
}

/// Renders an instant as JavaScript's `Date.prototype.toISOString` does: `2019-05-22T12:11:45.392Z`.
pub fn to_iso(ms: Millis) -> String {
    let mut out = Vec::with_capacity(24);
    write_iso(&mut out, ms);
    String::from_utf8(out).expect("an ISO date is ASCII")
}

/// [`to_iso`] appended to `out`. Four-digit years, all that real data holds, are computed with
/// integer arithmetic and written digit by digit (a page of users writes one per user); other
/// years go through chrono's formatter.
pub fn write_iso(out: &mut Vec<u8>, ms: Millis) {
    let (days, ms_of_day) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        match DateTime::<Utc>::from_timestamp_millis(ms) {
            Some(t) => {
                out.extend_from_slice(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().as_bytes())
            }
            None => out.extend_from_slice(b"invalid date"),
        }
        return;
    }
    let ms_of_day = ms_of_day as u32;
    let seconds = ms_of_day / 1000;
    let year = year as u32;
    let mut text = *b"0000-00-00T00:00:00.000Z";
    let mut put_two = |at: usize, n: u32| {
        text[at..at + 2].copy_from_slice(&TWO_DIGITS[2 * n as usize..2 * n as usize + 2]);
    };
    put_two(0, year / 100);
    put_two(2, year % 100);
    put_two(5, month);
    put_two(8, day);
    put_two(11, seconds / 3600);
    put_two(14, seconds / 60 % 60);
    put_two(17, seconds % 60);
    put_two(21, ms_of_day % 100);
    text[20] = b'0' + (ms_of_day % 1000 / 100) as u8;
    out.extend_from_slice(&text);
}

/// "00" to "99", for writing two digits at once.
const TWO_DIGITS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

const DAY_MS: Millis = 86_400_000;

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01: Howard
/// Hinnant's `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>). Exact for
/// every day an `i64` of milliseconds can name.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March is 0
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses an ISO 8601 datetime (or an RFC 2822 date, which Rocket.Chat's `new Date()` also reads).
///
/// Accepted, all in UTC unless a zone is given:
/// - `2019-05-22T12:11:45.392Z`, `2019-05-22T12:11:45Z`, `2019-05-22T12:11Z` (seconds and fraction optional,
///   1 to 9 fraction digits, `T`, `t` or a space between date and time);
/// - zones `Z`, `±hh:mm`, `±hhmm`, `±hh`; no zone means UTC;
/// - an offset whose `+` arrived as a space (an unencoded `+` in a query string decodes to a space);
/// - reduced precision dates `2019-05-22`, `2019-05`, `2019` (midnight UTC of the first day);
/// - RFC 2822 dates such as `Wed, 22 May 2019 12:11:45 GMT`.
///
/// Anything else (including epoch digit strings other than a four-digit year) is `None`: the
/// caller treats it as "no usable `from`" and answers with the full list, as Rocket.Chat does.
pub fn parse_datetime(input: &str) -> Option<Millis> {
    let s = input.trim();
    if let Some(ms) = parse_iso(s) {
        return Some(ms);
    }
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn parse_iso(s: &str) -> Option<Millis> {
    if !s.is_ascii() {
        return None;
    }
    let (date_part, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let date = parse_date(date_part)?;
    let Some(rest) = rest else {
        return Some(
            Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
                .timestamp_millis(),
        );
    };
    // Only a full calendar date may carry a time.
    if date_part.len() != 10 {
        return None;
    }
    let zone_at = rest
        .char_indices()
        .find(|&(i, c)| matches!(c, 'Z' | 'z' | '+' | '-') || (c == ' ' && i > 0))
        .map(|(i, _)| i);
    let (time_part, zone_part) = match zone_at {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let time = parse_time(time_part)?;
    let local = NaiveDateTime::new(date, time);
    let offset = match zone_part {
        None => FixedOffset::east_opt(0)?,
        Some(z) => parse_zone(z)?,
    };
    offset
        .from_local_datetime(&local)
        .single()
        .map(|t| t.timestamp_millis())
}

fn digits(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut parts = s.split('-');
    let year = digits(parts.next()?, 4)? as i32;
    let month = parts.next().map(|m| digits(m, 2)).unwrap_or(Some(1))?;
    let day = parts.next().map(|d| digits(d, 2)).unwrap_or(Some(1))?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let (hms, fraction) = match s.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (s, None),
    };
    let mut parts = hms.split(':');
    let hour = digits(parts.next()?, 2)?;
    let minute = digits(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(sec) => digits(sec, 2)?,
        None if fraction.is_some() => return None,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<9}");
            padded.parse::<u32>().ok()?
        }
        Some(_) => return None,
    };
    // JavaScript dates keep milliseconds: finer digits are truncated.
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos / 1_000_000 * 1_000_000)
}

fn parse_zone(z: &str) -> Option<FixedOffset> {
    if z == "Z" || z == "z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, body) = match z.as_bytes().first()? {
        b'+' | b' ' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let (hours, minutes) = match body.len() {
        2 => (digits(body, 2)?, 0),
        4 => (digits(&body[..2], 2)?, digits(&body[2..], 2)?),
        5 if body.as_bytes()[2] == b':' => (digits(&body[..2], 2)?, digits(&body[3..], 2)?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours as i32 * 3600 + minutes as i32 * 60))
}

/// Parses a fixture time: an absolute ISO 8601 datetime, `now`, or an offset from `now` such as
/// `-15m`, `+2h`, `-3d`, `-30s`, `-1500ms`.
pub fn parse_fixture_time(input: &str, now: Millis) -> Result<Millis, String> {
    let s = input.trim();
    if s == "now" {
        return Ok(now);
    }
    if let Some(rest) = s.strip_prefix(['+', '-']) {
        let sign = if s.starts_with('-') { -1 } else { 1 };
        let split = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("relative time {s:?} lacks a unit (ms, s, m, h or d)"))?;
        let (number, unit) = rest.split_at(split);
        let amount: i64 = number
            .parse()
            .map_err(|_| format!("relative time {s:?} lacks a number"))?;
        let unit_ms = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => {
                return Err(format!(
                    "relative time {s:?} has unknown unit {unit:?} (use ms, s, m, h or d)"
                ))
            }
        };
        return amount
            .checked_mul(unit_ms)
            .and_then(|offset| now.checked_add(sign * offset))
            .ok_or_else(|| format!("relative time {s:?} is out of range"));
    }
    parse_datetime(s).ok_or_else(|| {
        format!(
            "{s:?} is neither an ISO 8601 datetime, \"now\", nor a relative time such as \"-15m\""
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Millis = 1_558_527_105_392; // 2019-05-22T12:11:45.392Z

    #[test]
    fn iso_rendering_matches_javascript_to_iso_string() {
        assert_eq!(to_iso(T), "2019-05-22T12:11:45.392Z");
        assert_eq!(to_iso(0), "1970-01-01T00:00:00.000Z");
        // Both writers agree around the edges of four-digit years, and beyond them.
        for ms in [
            -62_167_219_200_000, // 0000-01-01
            -62_167_219_200_001,
            253_402_300_799_999, // 9999-12-31T23:59:59.999
            253_402_300_800_000,
            1_767_225_600_123,
            951_782_400_007, // 2000-02-29T00:00:00.007
            -1,
        ] {
            let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
            assert_eq!(to_iso(ms), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn iso_rendering_agrees_with_chrono(ms in -70_000_000_000_000i64..260_000_000_000_000) {
            let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
            proptest::prop_assert_eq!(to_iso(ms), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
    }

    #[test]
    fn out_of_range_instants_are_invalid_dates() {
        assert_eq!(to_iso(i64::MAX), "invalid date");
        assert_eq!(to_iso(i64::MIN), "invalid date");
    }

    #[test]
    fn from_accepts_every_form_the_seed_document_allows() {
        assert_eq!(parse_datetime("2019-05-22T12:11:45.392Z"), Some(T));
        assert_eq!(parse_datetime("2019-05-22T12:11:45Z"), Some(T - 392));
        assert_eq!(parse_datetime("2019-05-22T12:11Z"), Some(T - 45_392));
        assert_eq!(
            parse_datetime("2019-05-22T12:11:45.392"),
            Some(T),
            "no zone means UTC"
        );
        assert_eq!(parse_datetime("2019-05-22T12:11:45"), Some(T - 392));
        assert_eq!(parse_datetime("2019-05-22T12:11"), Some(T - 45_392));
        assert_eq!(parse_datetime("2019-05-22T14:11:45.392+02:00"), Some(T));
        assert_eq!(parse_datetime("2019-05-22T10:11:45.392-02:00"), Some(T));
        assert_eq!(parse_datetime("2019-05-22T14:11:45.392+0200"), Some(T));
        assert_eq!(parse_datetime("2019-05-22T14:11:45.392+02"), Some(T));
        assert_eq!(parse_datetime("2019-05-22T14:11+02:00"), Some(T - 45_392));
        assert_eq!(parse_datetime("2019-05-22 12:11:45.392Z"), Some(T));
    }

    #[test]
    fn from_offset_whose_plus_was_decoded_as_space_is_read_as_plus() {
        assert_eq!(parse_datetime("2019-05-22T14:11:45.392 02:00"), Some(T));
    }

    #[test]
    fn from_fraction_is_truncated_to_milliseconds() {
        assert_eq!(parse_datetime("2019-05-22T12:11:45.3929Z"), Some(T));
        assert_eq!(parse_datetime("2019-05-22T12:11:45.3Z"), Some(T - 92));
        assert_eq!(parse_datetime("2019-05-22T12:11:45.392999999Z"), Some(T));
    }

    #[test]
    fn from_reduced_precision_dates_are_midnight_utc() {
        assert_eq!(parse_datetime("2019-05-22"), Some(1_558_483_200_000));
        assert_eq!(parse_datetime("2019-05"), Some(1_556_668_800_000));
        assert_eq!(parse_datetime("2019"), Some(1_546_300_800_000));
    }

    #[test]
    fn from_rfc2822_is_accepted_as_javascript_date_does() {
        assert_eq!(
            parse_datetime("Wed, 22 May 2019 12:11:45 GMT"),
            Some(T - 392)
        );
    }

    #[test]
    fn from_unparseable_values_are_none() {
        for bad in [
            "",
            "garbage",
            "1558527105392",
            "12345",
            "2019-13-01",
            "2019-02-30T00:00Z",
            "2019-05-22T25:00Z",
            "2019-05-22T12:60Z",
            "2019-05-22T12Z",
            "2019-05-22T12:11:45.Z",
            "2019-05-22T12:11:45.1234567890Z",
            "2019-05-22T12:11:45+24:00",
            "2019-05-22T12:11:45+05:60",
            "2019-05-22T12:11:45+05x30",
            "2019-05-22T12:11.5Z",
            "2019-05-22T12:11:45+2",
            "2019-05T12:11Z",
            "2019-05-22T12:11:45ZZ",
            "２０１９-05-22",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad:?} must not parse");
        }
    }

    #[test]
    fn zone_offsets_count_hours_and_minutes_up_to_23_59() {
        let utc = parse_datetime("2019-05-22T12:11:45Z").unwrap();
        for (zone, seconds) in [
            ("+05:30", 5 * 3600 + 30 * 60),
            ("-0330", -(3 * 3600 + 30 * 60)),
            ("+23:59", 23 * 3600 + 59 * 60),
            ("-05:59", -(5 * 3600 + 59 * 60)),
        ] {
            assert_eq!(
                parse_datetime(&format!("2019-05-22T12:11:45{zone}")),
                Some(utc - seconds * 1000),
                "{zone}"
            );
        }
    }

    #[test]
    fn manual_clock_stays_put_until_moved() {
        assert!(!Clock::system().is_manual());
        let clock = Clock::manual(T);
        assert!(clock.is_manual());
        assert_eq!(clock.now(), T);
        assert_eq!(clock.advance(600_000), T + 600_000);
        assert_eq!(clock.now(), T + 600_000);
        clock.resume_system();
        assert!(!clock.is_manual());
        assert!(clock.now() > T + 600_000);
    }

    #[test]
    fn fixture_times_may_be_relative_to_start() {
        assert_eq!(parse_fixture_time("now", T), Ok(T));
        assert_eq!(parse_fixture_time("-15m", T), Ok(T - 900_000));
        assert_eq!(parse_fixture_time("-30s", T), Ok(T - 30_000));
        assert_eq!(parse_fixture_time("+2h", T), Ok(T + 7_200_000));
        assert_eq!(parse_fixture_time("-1500ms", T), Ok(T - 1500));
        assert_eq!(parse_fixture_time("2019-05-22T12:11:45.392Z", 0), Ok(T));
        assert!(parse_fixture_time("-15", T)
            .unwrap_err()
            .contains("lacks a unit"));
        assert!(parse_fixture_time("-15w", T)
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_fixture_time("yesterday", T).is_err());
        assert!(parse_fixture_time("-99999999999999999d", T)
            .unwrap_err()
            .contains("out of range"));
        assert!(parse_fixture_time("+1d", i64::MAX)
            .unwrap_err()
            .contains("out of range"));
    }
}
