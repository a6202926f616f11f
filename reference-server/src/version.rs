/*!
Which Rocket.Chat release the server behaves as.

Rocket.Chat's two endpoints changed between releases (the table "What each line does" in
`docs/contract/README.md`, which `tests/version_table.rs` holds this code to). The server
emulates one release at a time, chosen with `--rocketchat-version` or through test control, and
reports it in `GET /api/info`; every rule that differs between releases asks the [`Line`] here
which way to go. Where a release
and Rocket.Chat's documentation pages disagree (the `query` and `fields` parameters), the server
follows the pages on every line.

The suite has its own copy of this table (`conformance/src/versions.rs`): an oracle that shared
this code could not catch a mistake in it.
*/

use std::fmt;

/// Releases between which the two endpoints behave alike, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Line {
    /// 5.x: `query` form only, 401 `{status, message}`, no `Presence_broadcast_disabled`.
    V5,
    /// 6.x: adds `Presence_broadcast_disabled`.
    V6,
    /// 7.0 to 8.3: top-level `text`, `type`, `workspace`; the four-key 401.
    V7,
    /// 8.4: `users.presence` validates its parameters; `ids=a,b` answers nobody (a regression).
    V8_4,
    /// 8.5: `ids=a,b` works again.
    V8_5,
    /// 8.6 and later: `statusSource`, `statusExpiresAt`; `ids` lists offline users with a status;
    /// the presence engine.
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

    /// `Presence_broadcast_disabled` empties `users.presence` (6.x and later).
    pub fn has_broadcast_setting(self) -> bool {
        self >= Line::V6
    }

    /// `users.presence` validates its query string: unknown names and a repeated `from` get 400
    /// (8.4 and later). Before, nothing is validated.
    pub fn validates_presence_params(self) -> bool {
        self >= Line::V8_4
    }

    /// `ids=a,b` is split on commas; 8.4 kept it whole and matched nobody.
    pub fn splits_comma_ids(self) -> bool {
        self != Line::V8_4
    }

    /// Presence objects carry `statusSource` and `statusExpiresAt`, and `ids` also lists
    /// offline users with a status text or an expiry (8.6 and later).
    pub fn has_status_source(self) -> bool {
        self >= Line::V8_6
    }

    /// `directory` takes `text`, `type` and `workspace` as top-level parameters (7.0 and later).
    /// Before, its schema refuses them.
    pub fn has_top_level_criteria(self) -> bool {
        self >= Line::V7
    }

    /// Validation failures read `<message> [invalid-params]` with `errorType: invalid-params`
    /// (the route validation up to 8.3); later typed routes send `error-invalid-params` and
    /// the bare message.
    pub fn legacy_validation_errors(self) -> bool {
        self <= Line::V7
    }

    /// `away` or `busy` set over REST shows as `offline` for a human user, who has no live
    /// connection here (8.6's presence engine); bots and apps keep it. Before 8.6 it shows as set
    /// (established for 7.x, taken as such for 8.0 to 8.5).
    pub fn has_presence_engine(self) -> bool {
        self >= Line::V8_6
    }

    /// The 401 body is `{status, message}` only (6.x and before).
    pub fn legacy_unauthorized_body(self) -> bool {
        self <= Line::V6
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The release the server behaves as: the version `GET /api/info` reports and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emulated {
    /// `major.minor.patch`.
    pub version: String,
    pub line: Line,
}

/// The release emulated when none is chosen.
pub const DEFAULT_VERSION: &str = "8.6.0";

/// The releases `--rocketchat-version` accepts, in words.
pub const ACCEPTED: &str = "5.0 to 8.8 (5.x, 6.x, 7.0-8.3, 8.4, 8.5, 8.6+)";

impl Default for Emulated {
    fn default() -> Self {
        Self::parse(DEFAULT_VERSION).expect("the default version is known")
    }
}

impl Emulated {
    /// Reads `7.10`, `8.4.1` or `v6.13.1`; the patch defaults to 0. Releases outside 5.0 to
    /// 8.8 are refused: the server knows nothing about them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let core = text.trim().trim_start_matches(['v', 'V']);
        let bad = || format!("{text:?} is not a Rocket.Chat version such as 7.10 or 8.6.0");
        let mut numbers = core.split('.').map(|p| p.parse::<u32>().map_err(|_| bad()));
        let major = numbers.next().ok_or_else(bad)??;
        let minor = numbers.next().transpose()?.unwrap_or(0);
        let patch = numbers.next().transpose()?.unwrap_or(0);
        if numbers.next().is_some() {
            return Err(bad());
        }
        let line = match (major, minor) {
            (5, _) => Line::V5,
            (6, _) => Line::V6,
            (7, _) | (8, 0..=3) => Line::V7,
            (8, 4) => Line::V8_4,
            (8, 5) => Line::V8_5,
            (8, 6..=8) => Line::V8_6,
            _ => {
                return Err(format!(
                    "Rocket.Chat {major}.{minor} is not emulated; the reference server knows {ACCEPTED}"
                ))
            }
        };
        Ok(Self {
            version: format!("{major}.{minor}.{patch}"),
            line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_map_to_their_lines() {
        for (text, version, line) in [
            ("5.4", "5.4.0", Line::V5),
            ("6.13.1", "6.13.1", Line::V6),
            ("7.10", "7.10.0", Line::V7),
            ("v8.3.2", "8.3.2", Line::V7),
            ("8.4", "8.4.0", Line::V8_4),
            ("8.5.1", "8.5.1", Line::V8_5),
            ("8.6", "8.6.0", Line::V8_6),
            ("8.8.1", "8.8.1", Line::V8_6),
        ] {
            let e = Emulated::parse(text).unwrap();
            assert_eq!((e.version.as_str(), e.line), (version, line), "{text}");
        }
        assert_eq!(Emulated::default().line, Line::V8_6);
    }

    #[test]
    fn unknown_or_malformed_versions_are_refused() {
        for text in ["", "x", "8.x", "4.9", "9.0", "8.9", "8.6.0.1", "8.-1"] {
            assert!(Emulated::parse(text).is_err(), "{text}");
        }
        assert!(Emulated::parse("9.0").unwrap_err().contains("5.0 to 8.8"));
    }

    #[test]
    fn each_behaviour_starts_where_the_table_says() {
        let since = |f: fn(Line) -> bool| Line::ALL.map(f);
        assert_eq!(
            since(Line::has_broadcast_setting),
            [false, true, true, true, true, true]
        );
        assert_eq!(
            since(Line::validates_presence_params),
            [false, false, false, true, true, true]
        );
        assert_eq!(
            since(Line::splits_comma_ids),
            [true, true, true, false, true, true]
        );
        assert_eq!(
            since(Line::has_top_level_criteria),
            [false, false, true, true, true, true]
        );
        assert_eq!(
            since(Line::legacy_unauthorized_body),
            [true, true, false, false, false, false]
        );
    }
}
