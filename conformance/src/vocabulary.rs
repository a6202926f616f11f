/*!
The vocabulary of the suite: a check's [`Level`] and [`Needs`], the [`Verdict`] a check body
returns when it does not pass, the [`CheckResult`] kept for every selected or unselected check
together with the HTTP [`Exchange`]s that led to it (so that every report, console, JUnit, JSON
and HTML, renders from the same data), and a logged-in [`User`]. It imports nothing of the
suite's: every other module may use it.
*/

use std::fmt;

use serde::Serialize;

/// How strongly a requirement binds a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// A seed document (the contract) says it.
    Must,
    /// Only Rocket.Chat's implementation (the spec notes) says it.
    Should,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        })
    }
}

/// What a check needs from the target beyond the caller's credentials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Needs {
    /// The reference server's `/test-control` API (clock, settings).
    pub test_control: bool,
    /// Managed mode: administrator credentials (`--admin-username`/`--admin-password` or
    /// `--admin-user-id`/`--admin-auth-token`), so the check creates and removes its own data.
    pub admin: bool,
    /// A second user's credentials (`--second-username`/`--second-password` or a token pair).
    pub second_user: bool,
    /// The second user is not an administrator.
    pub second_user_not_admin: bool,
}

impl Needs {
    pub const CREDENTIALS: Needs = Needs {
        test_control: false,
        admin: false,
        second_user: false,
        second_user_not_admin: false,
    };
    pub const TEST_CONTROL: Needs = Needs {
        test_control: true,
        ..Needs::CREDENTIALS
    };
    pub const MANAGED: Needs = Needs {
        admin: true,
        ..Needs::CREDENTIALS
    };
    pub const SECOND_USER: Needs = Needs {
        second_user: true,
        ..Needs::CREDENTIALS
    };
    pub const SECOND_NON_ADMIN: Needs = Needs {
        second_user: true,
        second_user_not_admin: true,
        ..Needs::CREDENTIALS
    };

    /// A short human description, e.g. `credentials, test control`.
    pub fn describe(&self) -> String {
        let mut parts = vec!["credentials"];
        if self.test_control {
            parts.push("test control");
        }
        if self.admin {
            parts.push("admin credentials (managed mode)");
        }
        if self.second_user_not_admin {
            parts.push("second non-admin user");
        } else if self.second_user {
            parts.push("second user");
        }
        parts.join(", ")
    }
}

/// The first segment of a check id.
pub fn endpoint_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

/// Why a check did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The target broke the rule.
    Fail(Failure),
    /// The target lacks what the check needs (e.g. test control, data of a kind).
    Skip(String),
    /// The rule does not exist on the Rocket.Chat version line the target is judged by.
    NotApplicable(String),
    /// The suite or the target broke: refused connection, timeout, non-JSON body, redirect.
    Error(String),
}

/// Expected against actual, as every failure shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub message: String,
    pub expected: String,
    pub actual: String,
}

impl Verdict {
    pub fn fail(
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Verdict::Fail(Failure {
            message: message.into(),
            expected: expected.into(),
            actual: actual.into(),
        })
    }
}

/// The outcomes of a check: the five verdicts, and `NotRun` for a selected check the run
/// could not reach (set-up failed, the target stopped answering, the run ran out of time or was
/// interrupted). `NotRun` says nothing about the target's conformance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Skip,
    Disabled,
    Error,
    NotRun,
    /// The rule does not exist on the Rocket.Chat version line the target is judged by.
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Pass,
        Status::Fail,
        Status::Skip,
        Status::Disabled,
        Status::Error,
        Status::NotRun,
        Status::NotApplicable,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
            Status::Disabled => "DISABLED",
            Status::Error => "ERROR",
            Status::NotRun => "NOT RUN",
            Status::NotApplicable => "N/A",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

/// One HTTP request and its answer, secrets already redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The body as text, cut after a few kilobytes.
    pub response_body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    /// A curl command that sends the same request, secrets as shell variables.
    pub curl: String,
    /// Sent to tidy up (log out, remove created data, restore the clock), not to test a rule:
    /// never the request a verdict is about.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cleanup: bool,
    /// In a model-based run: the number of the sequence it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<usize>,
}

/// The result of one check of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub endpoint: String,
    pub level: Level,
    pub sentence: String,
    /// The rules it enforces, cited: `docs/contract/<document>#<anchor> (<upstream source>)`.
    pub source: String,
    /// The anchors of those rules.
    pub rules: Vec<String>,
    /// Where the check is registered (`file:line`).
    pub code: String,
    pub needs: String,
    pub status: Status,
    /// Why it failed, errored, was skipped or disabled; notes on a pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// The curl command of the request the verdict is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
    /// The reason given in `--expect-fail` when this check is a known failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_failure: Option<String>,
    pub notes: Vec<String>,
    pub duration_ms: u64,
    pub exchanges: Vec<Exchange>,
}

impl CheckResult {
    /// Whether this result makes the run fail: Fail or Error, not listed as expected.
    pub fn is_blocking(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Error) && self.expected_failure.is_none()
    }
}

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct User {
    pub user_id: String,
    pub auth_token: String,
    /// From the login answer's roles, or `--admin`; `None` when unknown.
    pub admin: Option<bool>,
    pub username: Option<String>,
}
