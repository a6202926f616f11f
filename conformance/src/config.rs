/*!
What a run is asked to do, independent of how it was asked (command line, environment, or a
test calling the library): the target, the credentials, the selection, politeness limits and
the property-test budget. Also the redacted view of it that the JSON report records.
*/

use std::{collections::BTreeMap, path::Path};

use serde::Serialize;

use crate::http::HttpOptions;
use crate::vocabulary::Level;

/// How a user proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An existing token pair (`X-User-Id`, `X-Auth-Token`).
    Token { user_id: String, auth_token: String },
    /// A username and password; the suite logs in (`POST /api/v1/login`) and out.
    Login { username: String, password: String },
}

/// How the directory's search criteria are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectoryForm {
    /// `query={"text":…,"type":…,"workspace":…}`, as the seed document sends them.
    Query,
    /// Top-level `text`, `type`, `workspace` (Rocket.Chat 7.0+).
    TopLevel,
}

/// A whole run's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL of the target, e.g. `http://127.0.0.1:3000`.
    pub url: String,
    pub credentials: Option<Credentials>,
    /// A second user, for "another user's token" and non-admin checks.
    pub second: Option<Credentials>,
    /// Administrator credentials: managed mode (the suite creates and removes its own data).
    pub admin_credentials: Option<Credentials>,
    /// Managed mode: leave the created data in place.
    pub keep: bool,
    /// Whether the first user is an administrator, when known better than the login says.
    pub admin: Option<bool>,
    /// Whether the second user is an administrator, when known better than its login says.
    pub second_admin: Option<bool>,
    /// Run only checks whose id starts with one of these (all when empty).
    pub filters: Vec<String>,
    /// Do not run checks whose id starts with one of these.
    pub skips: Vec<String>,
    /// Run only checks of these levels (all when empty).
    pub levels: Vec<Level>,
    /// Known failures: id → reason.
    pub expect_fail: BTreeMap<String, String>,
    pub http: HttpOptions,
    /// Seed of the property tests; drawn at random when absent (and printed).
    pub seed: Option<u64>,
    /// Cases per property.
    pub cases: u32,
    /// Model-based run: random operation sequences per check.
    pub model_sequences: u32,
    /// Model-based run: the longest sequence, in operations.
    pub model_steps: u32,
    /// Model-based run: how long shrinking a failing sequence may take, in ms.
    pub model_shrink_ms: u32,
    /// Without test control: how far from the 10-minute boundary time checks stay, in ms.
    pub time_margin_ms: i64,
    /// How directory criteria are sent; `None`: as the version line sends them (`query` up to
    /// 6.x, top-level from 7.0).
    pub directory_form: Option<DirectoryForm>,
    /// The Rocket.Chat version to judge the target by (`None`: the one `/api/info` reports).
    pub rocketchat_version: Option<String>,
    /// The longest the whole run may take; the checks not reached by then are not run.
    pub max_duration: Option<std::time::Duration>,
    /// How many checks run at once (those that would disturb each other never do).
    pub jobs: usize,
}

/// `--max-duration`'s default: far beyond a whole run at a distance, short enough for a CI job.
pub const DEFAULT_MAX_DURATION_S: u64 = 900;

impl Config {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            credentials: None,
            second: None,
            admin_credentials: None,
            keep: false,
            admin: None,
            second_admin: None,
            filters: Vec::new(),
            skips: Vec::new(),
            levels: Vec::new(),
            expect_fail: BTreeMap::new(),
            http: HttpOptions::default(),
            seed: None,
            cases: 32,
            model_sequences: 12,
            model_steps: 30,
            model_shrink_ms: 60_000,
            time_margin_ms: 5_000,
            directory_form: None,
            rocketchat_version: None,
            max_duration: Some(std::time::Duration::from_secs(DEFAULT_MAX_DURATION_S)),
            jobs: crate::schedule::DEFAULT_JOBS,
        }
    }

    /// The configuration as the JSON report records it: no secret values.
    pub fn redacted(&self) -> RedactedConfig {
        let creds = |c: &Option<Credentials>| match c {
            None => "none".to_owned(),
            Some(Credentials::Token { .. }) => "token ($X_USER_ID, $X_AUTH_TOKEN)".to_owned(),
            Some(Credentials::Login { username, .. }) => {
                format!("login as {username} (password redacted)")
            }
        };
        RedactedConfig {
            url: self.url.clone(),
            credentials: creds(&self.credentials),
            second_user: creds(&self.second),
            admin_credentials: creds(&self.admin_credentials),
            keep: self.keep,
            filters: self.filters.clone(),
            skips: self.skips.clone(),
            levels: self.levels.iter().map(|l| l.to_string()).collect(),
            expect_fail: self.expect_fail.clone(),
            timeout_s: self.http.timeout.as_secs_f64(),
            max_body_bytes: self.http.max_body_bytes,
            rate_limit: self.http.rate_limit,
            cases: self.cases,
            model_sequences: self.model_sequences,
            model_steps: self.model_steps,
            time_margin_ms: self.time_margin_ms,
            directory_form: self.directory_form,
            rocketchat_version: self.rocketchat_version.clone(),
            max_duration_s: self.max_duration.map(|d| d.as_secs()),
            jobs: self.jobs,
        }
    }
}

/// [`Config`] without secrets.
#[derive(Debug, Clone, Serialize)]
pub struct RedactedConfig {
    pub url: String,
    pub credentials: String,
    pub second_user: String,
    pub admin_credentials: String,
    pub keep: bool,
    pub filters: Vec<String>,
    pub skips: Vec<String>,
    pub levels: Vec<String>,
    pub expect_fail: BTreeMap<String, String>,
    pub timeout_s: f64,
    pub max_body_bytes: usize,
    pub rate_limit: f64,
    pub cases: u32,
    pub model_sequences: u32,
    pub model_steps: u32,
    pub time_margin_ms: i64,
    pub directory_form: Option<DirectoryForm>,
    pub rocketchat_version: Option<String>,
    pub max_duration_s: Option<u64>,
    pub jobs: usize,
}

/// Reads an `--expect-fail` file: one `CHECK-ID  reason…` per line; `#` starts a comment.
/// A line without a reason is refused: every known failure says why.
pub fn parse_expect_fail(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, reason) = match line.split_once(char::is_whitespace) {
            Some((id, reason)) if !reason.trim().is_empty() => (id, reason.trim()),
            _ => {
                return Err(format!(
                    "line {}: `{line}` has no reason; write `CHECK-ID reason`",
                    n + 1
                ))
            }
        };
        out.insert(id.to_owned(), reason.to_owned());
    }
    Ok(out)
}

/// Reads an `--expect-fail` file from disk.
pub fn read_expect_fail(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_expect_fail(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_fail_needs_reasons() {
        let map =
            parse_expect_fail("# known\npresence/a  not yet\n\ndirectory/b because\n").unwrap();
        assert_eq!(map["presence/a"], "not yet");
        assert_eq!(map["directory/b"], "because");
        assert!(parse_expect_fail("presence/a\n").is_err());
    }
}
