/*!
Runs a catalog against a target: establishes the session once (reachability, `/api/info`
version, login, test-control detection, clock skew, settings), then runs each selected check in
catalog order with its own context, converts panics into Errors, restores whatever a check
changed through test control, applies `--expect-fail`, and returns a [`Report`] that every
renderer reads. The library entry point for `cargo xtask conform` and for tests alike.
*/

use std::{
    collections::BTreeMap,
    panic::{catch_unwind, AssertUnwindSafe},
    time::Instant,
};

use serde::Serialize;
use serde_json::{json, Value};

use crate::config::{Config, Credentials, RedactedConfig};
use crate::context::{Auth, Ctx, Session, Settings, Skew, User};
use crate::http::{snippet, Http, Req, Resp};
use crate::model::{Check, CheckResult, Exchange, Status, Verdict};
use crate::timefmt::parse_http_date;

/// Progress callbacks (the console's progress bar, `--verbose`).
pub trait Observer {
    fn started(&mut self, _total: usize) {}
    fn finished(&mut self, _result: &CheckResult) {}
    /// A remark about the run as a whole (e.g. the seed, an unknown `--expect-fail` id).
    fn message(&mut self, _text: &str) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

/// What the suite knows about the target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    pub url: String,
    /// `version` from `GET /api/info`.
    pub version: Option<String>,
    pub test_control: bool,
    pub clock_skew: Option<Skew>,
    /// Whether the caller is an administrator, when known.
    pub caller_admin: Option<bool>,
    pub second_user: bool,
}

/// Counts per status.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub disabled: usize,
    pub error: usize,
    /// Fail or Error results listed in `--expect-fail`.
    pub expected_failures: usize,
    /// Fail or Error results that make the run fail.
    pub blocking: usize,
}

impl Summary {
    pub fn of(results: &[CheckResult]) -> Self {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
                Status::Disabled => s.disabled += 1,
                Status::Error => s.error += 1,
            }
            if matches!(r.status, Status::Fail | Status::Error) && r.expected_failure.is_some() {
                s.expected_failures += 1;
            }
            if r.is_blocking() {
                s.blocking += 1;
            }
        }
        s
    }
}

/// Everything a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub suite: String,
    pub suite_version: String,
    /// The seed documents and notes the catalog was written from.
    pub contract: Vec<String>,
    pub target: TargetInfo,
    pub config: RedactedConfig,
    pub seed: u64,
    pub started_at: String,
    pub duration_ms: u64,
    /// Problems before any check ran (unreachable target, failed login).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
    /// The requests of the set-up (probe, login, test-control detection).
    pub setup_exchanges: Vec<Exchange>,
    pub summary: Summary,
    pub results: Vec<CheckResult>,
    /// Managed mode: the run's prefix, what was created and whether it was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed: Option<crate::managed::ManagedReport>,
}

impl Report {
    /// 0 when no selected check Failed or Errored (known failures aside), else 1.
    pub fn exit_code(&self) -> i32 {
        if self.summary.blocking == 0 {
            0
        } else {
            1
        }
    }
}

/// Runs the whole catalog.
pub fn run(config: &Config, observer: &mut dyn Observer) -> Report {
    run_checks(config, &crate::catalog::catalog(), observer)
}

/// Why a check is not selected, if it is not.
pub fn deselected(check: &Check, config: &Config) -> Option<String> {
    if !config.filters.is_empty()
        && !config
            .filters
            .iter()
            .any(|f| check.id.starts_with(f.as_str()))
    {
        return Some(format!(
            "not matched by --filter {}",
            config.filters.join(", ")
        ));
    }
    if let Some(s) = config
        .skips
        .iter()
        .find(|s| check.id.starts_with(s.as_str()))
    {
        return Some(format!("--skip {s}"));
    }
    if !config.levels.is_empty() && !config.levels.contains(&check.level) {
        return Some(format!("level {} not selected by --level", check.level));
    }
    None
}

/// Runs the given checks.
pub fn run_checks(config: &Config, checks: &[Check], observer: &mut dyn Observer) -> Report {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let seed = config.seed.unwrap_or_else(random_seed);
    let selected = checks
        .iter()
        .filter(|c| deselected(c, config).is_none())
        .count();
    observer.message(&format!("seed {seed} (replay with --seed {seed})"));
    for id in config.expect_fail.keys() {
        if !checks.iter().any(|c| &c.id == id) {
            observer.message(&format!(
                "--expect-fail names {id}, which is not in the catalog"
            ));
        }
    }
    observer.started(selected);

    let mut setup = Setup::default();
    let session = if selected > 0 {
        establish(config, seed, &mut setup)
    } else {
        Err("no check selected".into())
    };
    let mut target = TargetInfo {
        url: config.url.clone(),
        version: setup.version.clone(),
        test_control: false,
        clock_skew: None,
        caller_admin: None,
        second_user: false,
    };
    let mut results = Vec::new();
    // Sweeps what managed checks left behind, at the end or when this function unwinds.
    let mut janitor = match &session {
        Ok((_, s)) => s.managed.clone().and_then(|m| {
            Http::new(&config.url, config.http.clone())
                .ok()
                .map(|mut h| {
                    h.options.verbose = false;
                    crate::managed::Janitor::new(h, m)
                })
        }),
        Err(_) => None,
    };
    let (mut http, session, setup_error) = match session {
        Ok((http, session)) => {
            target.test_control = session.test_control;
            target.clock_skew = Some(session.skew);
            target.caller_admin = session.caller.admin;
            target.second_user = session.second.is_some();
            (Some(http), Some(session), None)
        }
        Err(e) => (None, None, if selected > 0 { Some(e) } else { None }),
    };
    for check in checks {
        let result = match (deselected(check, config), &session, http.as_mut()) {
            (Some(reason), _, _) => blank(check, Status::Disabled, Some(reason)),
            (None, _, _) if crate::interrupt::requested() => blank(
                check,
                Status::Error,
                Some("not run: the run was interrupted (Ctrl-C)".into()),
            ),
            (None, Some(session), Some(http)) => run_one(check, config, session, http),
            (None, _, _) => blank(
                check,
                Status::Error,
                Some(format!(
                    "set-up failed: {}",
                    setup_error.clone().unwrap_or_default()
                )),
            ),
        };
        let result = apply_expectation(result, config);
        if result.status != Status::Disabled {
            observer.finished(&result);
        }
        results.push(result);
    }
    // Before logging out: the admin's token may be the caller's.
    let managed = janitor.take().map(crate::managed::Janitor::finish);
    if let (Some(http), Some(session)) = (http.as_mut(), &session) {
        logout(http, session, config, &mut setup.exchanges);
    }
    Report {
        suite: "rocketchat-presence-directory-conformance".into(),
        suite_version: env!("CARGO_PKG_VERSION").into(),
        contract: vec![
            crate::catalog::PRESENCE_SEED.into(),
            crate::catalog::DIRECTORY_SEED.into(),
            "spec rocketchat-semantics.md (SHOULD level)".into(),
        ],
        target,
        config: config.redacted(),
        seed,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        setup_error,
        setup_exchanges: setup.exchanges,
        summary: Summary::of(&results),
        results,
        managed,
    }
}

fn random_seed() -> u64 {
    random_u64() % 1_000_000_000_000
}

/// A random number from the standard library's randomly keyed hasher and the time.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

fn blank(check: &Check, status: Status, message: Option<String>) -> CheckResult {
    CheckResult {
        id: check.id.clone(),
        endpoint: check.endpoint().to_owned(),
        level: check.level,
        sentence: check.sentence.to_owned(),
        source: check.source.to_owned(),
        needs: check.needs.describe(),
        status,
        message,
        expected: None,
        actual: None,
        curl: None,
        expected_failure: None,
        notes: Vec::new(),
        duration_ms: 0,
        exchanges: Vec::new(),
    }
}

fn apply_expectation(mut r: CheckResult, config: &Config) -> CheckResult {
    if let Some(reason) = config.expect_fail.get(&r.id) {
        match r.status {
            Status::Fail | Status::Error => r.expected_failure = Some(reason.clone()),
            Status::Pass => r.notes.push(format!(
                "listed in --expect-fail ({reason}) but passed: remove it from the file"
            )),
            _ => {}
        }
    }
    r
}

fn unmet_needs(check: &Check, session: &Session) -> Option<String> {
    let n = check.needs;
    if n.test_control && !session.test_control {
        return Some(
            "the target has no test-control API (/test-control/clock answered no clock)".into(),
        );
    }
    if n.admin && session.managed.is_none() {
        return Some("managed mode is off: no admin credentials (--admin-username/--admin-password or --admin-user-id/--admin-auth-token)".into());
    }
    if n.second_user && session.second.is_none() {
        return Some("no second user (--second-username/--second-password or --second-user-id/--second-auth-token)".into());
    }
    if n.second_user_not_admin && session.second.as_ref().and_then(|s| s.admin) != Some(false) {
        return Some("the second user is not known to be a non-administrator".into());
    }
    None
}

fn run_one(check: &Check, config: &Config, session: &Session, http: &mut Http) -> CheckResult {
    if let Some(reason) = unmet_needs(check, session) {
        return blank(check, Status::Skip, Some(reason));
    }
    let started = Instant::now();
    let mut ctx = Ctx::new(http, session, config, &check.id);
    let outcome = catch_unwind(AssertUnwindSafe(|| (check.run)(&mut ctx)));
    let outcome = match outcome {
        Ok(o) => o,
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            Err(Verdict::Error(format!("the check panicked: {text}")))
        }
    };
    // What the check created goes now, whatever its outcome (a panic was caught above).
    crate::managed::remove_for_check(&mut ctx, &check.id);
    let restore_error = restore(&mut ctx, session);
    let curl = ctx.last_curl();
    let mut result = blank(check, Status::Pass, None);
    result.notes = std::mem::take(&mut ctx.notes);
    result.exchanges = std::mem::take(&mut ctx.exchanges);
    result.duration_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => {}
        Err(Verdict::Fail(f)) => {
            result.status = Status::Fail;
            result.message = Some(f.message);
            result.expected = Some(f.expected);
            result.actual = Some(f.actual);
            result.curl = curl;
        }
        Err(Verdict::Skip(why)) => {
            result.status = Status::Skip;
            result.message = Some(why);
        }
        Err(Verdict::Error(e)) => {
            result.status = Status::Error;
            result.message = Some(e);
            result.curl = curl;
        }
    }
    if let Some(e) = restore_error {
        if result.status == Status::Pass {
            result.status = Status::Error;
            result.message = Some(e);
        } else {
            result.notes.push(e);
        }
    }
    result
}

/// Puts back the clock and settings a check changed; returns what could not be restored.
fn restore(ctx: &mut Ctx, session: &Session) -> Option<String> {
    let mut problems = Vec::new();
    if ctx.settings_touched {
        if let Some(settings) = &session.settings {
            match ctx.send(
                Req::method("PATCH", "/test-control/settings")
                    .json(Value::Object(settings.raw.clone())),
                &Auth::None,
            ) {
                Ok(r) if r.status == 200 => {}
                Ok(r) => problems.push(format!("restoring the settings answered {}", r.status)),
                Err(v) => problems.push(format!("restoring the settings failed: {v:?}")),
            }
        }
    }
    if ctx.clock_touched {
        let req = match session.manual_clock_ms {
            Some(ms) => Req::method("PUT", "/test-control/clock").json(json!({ "nowMs": ms })),
            None => Req::method("DELETE", "/test-control/clock"),
        };
        match ctx.send(req, &Auth::None) {
            Ok(r) if r.status == 200 => {}
            Ok(r) => problems.push(format!("restoring the clock answered {}", r.status)),
            Err(v) => problems.push(format!("restoring the clock failed: {v:?}")),
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[derive(Default)]
struct Setup {
    exchanges: Vec<Exchange>,
    version: Option<String>,
}

fn setup_send(http: &mut Http, setup: &mut Setup, req: Req) -> Result<Resp, String> {
    let (xs, result) = http.send(&req, "(set-up)");
    setup.exchanges.extend(xs);
    result.map_err(|e| e.0)
}

/// Reachability, version, login, test control, skew, settings.
fn establish(config: &Config, seed: u64, setup: &mut Setup) -> Result<(Http, Session), String> {
    let mut http = Http::new(&config.url, config.http.clone())?;
    // Probe and clock samples from the Date header.
    let mut samples = Vec::new();
    for _ in 0..3 {
        let resp = setup_send(&mut http, setup, Req::get("/api/info"))
            .map_err(|e| format!("the target is unreachable: {e}"))?;
        if setup.version.is_none() {
            setup.version = resp.json().ok().and_then(|v| {
                v.get("version")
                    .or_else(|| v.get("info").and_then(|i| i.get("version")))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        }
        if let Some(date) = resp.header("date").and_then(parse_http_date) {
            let sent = resp.sent.timestamp_millis();
            let rtt = resp.received.timestamp_millis() - sent;
            samples.push((rtt, date + 500 - (sent + rtt / 2)));
        }
    }
    let caller = match &config.credentials {
        None => {
            return Err(
                "no credentials: give --username/--password or --user-id/--auth-token".into(),
            )
        }
        Some(c) => authenticate(&mut http, setup, c, "X_AUTH_TOKEN", "X_USER_ID", "PASSWORD")?,
    };
    let mut caller = caller;
    if config.admin.is_some() {
        caller.admin = config.admin;
    }
    let mut second = match &config.second {
        None => None,
        Some(c) => Some(authenticate(
            &mut http,
            setup,
            c,
            "SECOND_AUTH_TOKEN",
            "SECOND_USER_ID",
            "SECOND_PASSWORD",
        )?),
    };
    if let (Some(s), Some(admin)) = (second.as_mut(), config.second_admin) {
        s.admin = Some(admin);
    }
    let managed = match &config.admin_credentials {
        None => None,
        Some(c) => {
            let admin = if config.credentials.as_ref() == Some(c) {
                caller.clone()
            } else {
                authenticate(
                    &mut http,
                    setup,
                    c,
                    "ADMIN_AUTH_TOKEN",
                    "ADMIN_USER_ID",
                    "ADMIN_PASSWORD",
                )?
            };
            if admin.admin == Some(false) {
                return Err(
                    "the admin credentials (--admin-…) belong to a user without the admin role"
                        .into(),
                );
            }
            Some(crate::managed::Managed {
                admin,
                prefix: crate::managed::random_prefix(),
                keep: config.keep,
                registry: crate::managed::Registry::default(),
            })
        }
    };
    // Test control.
    let mut test_control = false;
    let mut manual_clock_ms = None;
    let mut skew = samples
        .iter()
        .min_by_key(|(rtt, _)| *rtt)
        .map(|(rtt, s)| Skew {
            ms: *s,
            uncertainty_ms: 500 + rtt / 2 + 1,
            method: "date-header",
        })
        .unwrap_or(Skew {
            ms: 0,
            uncertainty_ms: 60_000,
            method: "none (no Date header)",
        });
    if let Ok(resp) = setup_send(&mut http, setup, Req::get("/test-control/clock")) {
        if let (200, Ok(v)) = (resp.status, resp.json()) {
            if let Some(now) = v.get("nowMs").and_then(Value::as_i64) {
                test_control = true;
                let sent = resp.sent.timestamp_millis();
                let rtt = resp.received.timestamp_millis() - sent;
                skew = Skew {
                    ms: now - (sent + rtt / 2),
                    uncertainty_ms: rtt / 2 + 1,
                    method: "test-control",
                };
                if v.get("manual") == Some(&Value::Bool(true)) {
                    manual_clock_ms = Some(now);
                }
            }
        }
    }
    let settings = if test_control {
        let resp = setup_send(&mut http, setup, Req::get("/test-control/settings"))?;
        let v = resp
            .json()
            .map_err(|e| format!("GET /test-control/settings: {e}"))?;
        match v.get("settings") {
            Some(Value::Object(m)) => Some(Settings { raw: m.clone() }),
            _ => {
                return Err(format!(
                    "GET /test-control/settings gave no settings: {}",
                    snippet(&v.to_string(), 200)
                ))
            }
        }
    } else {
        None
    };
    let session = Session {
        caller,
        second,
        test_control,
        settings,
        manual_clock_ms,
        skew,
        version: setup.version.clone(),
        seed,
        managed,
    };
    Ok((http, session))
}

fn authenticate(
    http: &mut Http,
    setup: &mut Setup,
    creds: &Credentials,
    token_var: &str,
    id_var: &str,
    password_var: &str,
) -> Result<User, String> {
    match creds {
        Credentials::Token {
            user_id,
            auth_token,
        } => {
            http.redactor.add(auth_token, &format!("${token_var}"));
            http.redactor.add(user_id, &format!("${id_var}"));
            Ok(User {
                user_id: user_id.clone(),
                auth_token: auth_token.clone(),
                admin: None,
                username: None,
            })
        }
        Credentials::Login { username, password } => {
            http.redactor.add(password, &format!("${password_var}"));
            let verbose = std::mem::replace(&mut http.options.verbose, false);
            let first_new = setup.exchanges.len();
            let outcome = login(http, setup, username, password);
            http.options.verbose = verbose;
            if let Ok((user_id, auth_token, _)) = &outcome {
                http.redactor.add(auth_token, &format!("${token_var}"));
                http.redactor.add(user_id, &format!("${id_var}"));
            }
            // The answer held a token the redactor did not know yet: redact (and print, with
            // --verbose) the login exchange only now.
            for x in setup.exchanges[first_new..].iter_mut() {
                x.response_body = http.redactor.redact(&x.response_body);
                if verbose {
                    eprintln!("{}", crate::http::render_exchange(x));
                }
            }
            let (user_id, auth_token, data) = outcome?;
            let roles: Option<Vec<String>> = data
                .get("me")
                .and_then(|m| m.get("roles"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                });
            Ok(User {
                user_id,
                auth_token,
                admin: roles.map(|r| r.iter().any(|x| x == "admin")),
                username: Some(username.clone()),
            })
        }
    }
}

/// `POST /api/v1/login`; the user id, token and `data` of the answer.
fn login(
    http: &mut Http,
    setup: &mut Setup,
    username: &str,
    password: &str,
) -> Result<(String, String, Value), String> {
    let req = Req::method("POST", "/api/v1/login")
        .json(json!({ "user": username, "password": password }));
    let resp = setup_send(http, setup, req)
        .map_err(|e| format!("logging in as {username} failed: {e}"))?;
    let body: Value = resp
        .json()
        .map_err(|e| format!("logging in as {username}: {e}"))?;
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    match (
        data.get("userId").and_then(Value::as_str),
        data.get("authToken").and_then(Value::as_str),
    ) {
        (Some(id), Some(token)) => Ok((id.to_owned(), token.to_owned(), data.clone())),
        _ => Err(format!(
            "logging in as {username} failed: {} {}",
            resp.status,
            snippet(&http.redactor.redact(&body.to_string()), 300)
        )),
    }
}

fn logout(http: &mut Http, session: &Session, config: &Config, exchanges: &mut Vec<Exchange>) {
    let distinct_admin = session
        .managed
        .as_ref()
        .filter(|_| config.admin_credentials != config.credentials)
        .map(|m| &m.admin);
    let pairs = [
        (&config.credentials, Some(&session.caller)),
        (&config.second, session.second.as_ref()),
        (&config.admin_credentials, distinct_admin),
    ];
    for (creds, user) in pairs {
        if let (Some(Credentials::Login { .. }), Some(user)) = (creds, user) {
            let req = Req::method("POST", "/api/v1/logout")
                .header("X-Auth-Token", &user.auth_token)
                .header("X-User-Id", &user.user_id);
            let (xs, _) = http.send(&req, "(logout)");
            exchanges.extend(xs);
        }
    }
}

/// Results grouped by endpoint, then level (for the console and later the HTML report).
pub fn grouped(results: &[CheckResult]) -> BTreeMap<(String, String), Summary> {
    let mut groups: BTreeMap<(String, String), Vec<CheckResult>> = BTreeMap::new();
    for r in results {
        groups
            .entry((r.endpoint.clone(), r.level.to_string()))
            .or_default()
            .push(r.clone());
    }
    groups
        .into_iter()
        .map(|(k, v)| (k, Summary::of(&v)))
        .collect()
}
