/*!
Rocket.Chat's version lines: the releases between which the two endpoints behave alike, as the
contract's version table (`docs/contract/README.md#rocketchat-version-lines`) sets them out. A
run judges its target by one line: the one `--rocketchat-version` names, else the one of the
version `GET /api/info` reports, else the newest, with a warning. A version the suite does not
know (newer than the newest line it knows) is judged by the nearest older line.

Checks whose expectation changes between lines ask [`Line`] which one holds; checks whose rule
does not exist on a line declare the lines they hold for, and the runner reports them there as
not applicable.
*/

use std::fmt;

use serde::Serialize;

/// A range of releases that behave alike for these endpoints, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Line {
    /// 5.x and before: criteria only in `query`, 401 `{status, message}`, no broadcast setting.
    #[serde(rename = "5.x")]
    V5,
    /// 6.x: the `Presence_broadcast_disabled` short cut; criteria only in `query`.
    #[serde(rename = "6.x")]
    V6,
    /// 7.0 to 8.3: top-level criteria, `query` ignored; the four-key 401; presence parameters
    /// not validated.
    #[serde(rename = "7.0-8.3")]
    V7,
    /// 8.4: typed presence route (unknown parameters 400); `ids=a,b` answers an empty list.
    #[serde(rename = "8.4")]
    V8_4,
    /// 8.5: `ids=a,b` fixed.
    #[serde(rename = "8.5")]
    V8_5,
    /// 8.6 and later (checked to 8.8): `statusSource`, `statusExpiresAt`; `ids` lists offline
    /// users with a status text or expiry.
    #[serde(rename = "8.6+")]
    V8_6,
}

impl Line {
    /// Every line, oldest first.
    pub const ALL: [Line; 6] = [
        Line::V5,
        Line::V6,
        Line::V7,
        Line::V8_4,
        Line::V8_5,
        Line::V8_6,
    ];
    /// The newest line, the default.
    pub const NEWEST: Line = Line::V8_6;
    /// The newest release the newest line was checked against.
    const NEWEST_CHECKED: (u32, u32) = (8, 8);

    /// A release of the line, to judge a target as the line.
    pub fn example(self) -> &'static str {
        match self {
            Line::V5 => "5.4.10",
            Line::V6 => "6.13.1",
            Line::V7 => "7.10.0",
            Line::V8_4 => "8.4.0",
            Line::V8_5 => "8.5.0",
            Line::V8_6 => "8.6.0",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Line::V5 => "5.x",
            Line::V6 => "6.x",
            Line::V7 => "7.0-8.3",
            Line::V8_4 => "8.4",
            Line::V8_5 => "8.5",
            Line::V8_6 => "8.6+",
        }
    }

    /// The line of a version such as `7.10.3`, `8.4`, `6` or `8.6.0-rc.1`, and whether the
    /// suite knows the release (false: newer than it was checked against).
    pub fn of(version: &str) -> Result<(Line, bool), String> {
        let core = version.trim().trim_start_matches(['v', 'V']);
        let core = core.split(['-', '+', ' ']).next().unwrap_or("");
        let mut parts = core.split('.');
        let number = |p: Option<&str>| -> Result<Option<u32>, String> {
            match p {
                None | Some("") => Ok(None),
                Some(s) => s
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{version:?} is not a version like 7.10 or 8.6.0")),
            }
        };
        let major = number(parts.next())?
            .ok_or_else(|| format!("{version:?} is not a version like 7.10 or 8.6.0"))?;
        let minor = number(parts.next())?.unwrap_or(0);
        let line = match (major, minor) {
            (0..=5, _) => Line::V5,
            (6, _) => Line::V6,
            (7, _) | (8, 0..=3) => Line::V7,
            (8, 4) => Line::V8_4,
            (8, 5) => Line::V8_5,
            _ => Line::V8_6,
        };
        Ok((line, (major, minor) <= Self::NEWEST_CHECKED))
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The lines a rule holds for: `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lines {
    pub from: Line,
    pub to: Line,
}

impl Lines {
    /// Every line.
    pub const ALL: Lines = Lines {
        from: Line::V5,
        to: Line::NEWEST,
    };

    pub fn since(from: Line) -> Lines {
        Lines {
            from,
            to: Line::NEWEST,
        }
    }

    pub fn until(to: Line) -> Lines {
        Lines { from: Line::V5, to }
    }

    pub fn contains(self, line: Line) -> bool {
        self.from <= line && line <= self.to
    }

    /// The lines in words: `all`, `8.4 and later`, `up to 6.x`, `7.0-8.3 to 8.5`.
    pub fn describe(self) -> String {
        match (self.from, self.to) {
            (Line::V5, Line::V8_6) => "all".into(),
            (from, Line::V8_6) => format!("{from} and later"),
            (Line::V5, to) => format!("up to {to}"),
            (from, to) if from == to => format!("{from} only"),
            (from, to) => format!("{from} to {to}"),
        }
    }
}

/// The line a run judges its target by, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judged {
    pub line: Line,
    /// E.g. `--rocketchat-version 7.10`, `/api/info says 8.6.0`.
    pub chosen_by: String,
    /// When the choice is a guess: no version known, or a version newer than the suite knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Judged {
    /// The line for `given` (`--rocketchat-version`), else `reported` (`/api/info`), else the
    /// newest. A `given` version that does not parse is an error; a `reported` one is a warning.
    pub fn choose(given: Option<&str>, reported: Option<&str>) -> Result<Judged, String> {
        if let Some(v) = given {
            let (line, known) = Line::of(v).map_err(|e| format!("--rocketchat-version: {e}"))?;
            return Ok(Judged {
                line,
                chosen_by: format!("--rocketchat-version {v}"),
                warning: (!known).then(|| newer_than_known(v, line)),
            });
        }
        match reported.map(|v| (v, Line::of(v))) {
            Some((v, Ok((line, known)))) => Ok(Judged {
                line,
                chosen_by: format!("/api/info says {v}"),
                warning: (!known).then(|| newer_than_known(v, line)),
            }),
            Some((v, Err(_))) => Ok(Judged {
                line: Line::NEWEST,
                chosen_by: format!("the newest line: /api/info says {v:?}, not a version"),
                warning: Some(format!(
                    "/api/info gave no version the suite can read ({v:?}): judging as Rocket.Chat {}; pass --rocketchat-version to choose",
                    Line::NEWEST
                )),
            }),
            None => Ok(Judged {
                line: Line::NEWEST,
                chosen_by: "the newest line: /api/info gave no version".into(),
                warning: Some(format!(
                    "the target does not say its version: judging as Rocket.Chat {}; pass --rocketchat-version to choose",
                    Line::NEWEST
                )),
            }),
        }
    }
}

fn newer_than_known(version: &str, line: Line) -> String {
    format!(
        "Rocket.Chat {version} is newer than the lines the suite knows: judging by the nearest older one, {line}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_fall_into_their_lines() {
        for (v, line, known) in [
            ("3.18.2", Line::V5, true),
            ("6.13.1", Line::V6, true),
            ("7.0.0", Line::V7, true),
            ("7.10", Line::V7, true),
            ("8.3.9", Line::V7, true),
            ("8.4.0", Line::V8_4, true),
            ("8.5.1", Line::V8_5, true),
            ("8.6.0", Line::V8_6, true),
            ("8.6.0-rc.1", Line::V8_6, true),
            ("v8.8", Line::V8_6, true),
            ("8.9.0", Line::V8_6, false),
            ("9.0.0", Line::V8_6, false),
            ("6", Line::V6, true),
        ] {
            assert_eq!(Line::of(v), Ok((line, known)), "{v}");
        }
        assert!(Line::of("latest").is_err());
        assert!(Line::of("").is_err());
    }

    #[test]
    fn the_given_version_wins_then_the_reported_one_then_the_newest() {
        let j = Judged::choose(Some("7.10"), Some("8.6.0")).unwrap();
        assert_eq!((j.line, j.warning.is_none()), (Line::V7, true));
        assert!(j.chosen_by.contains("--rocketchat-version 7.10"));
        let j = Judged::choose(None, Some("8.4.2")).unwrap();
        assert_eq!(j.line, Line::V8_4);
        assert!(j.chosen_by.contains("/api/info"));
        let j = Judged::choose(None, None).unwrap();
        assert_eq!(j.line, Line::NEWEST);
        assert!(j.warning.is_some());
        let j = Judged::choose(None, Some("9.1.0")).unwrap();
        assert!(j.warning.unwrap().contains("nearest older"));
        assert!(Judged::choose(Some("next"), None).is_err());
    }

    #[test]
    fn ranges_contain_their_ends() {
        let r = Lines::since(Line::V8_4);
        assert!(r.contains(Line::V8_4) && r.contains(Line::V8_6) && !r.contains(Line::V7));
        assert_eq!(r.describe(), "8.4 and later");
        assert_eq!(Lines::until(Line::V6).describe(), "up to 6.x");
        assert_eq!(Lines::ALL.describe(), "all");
    }
}
