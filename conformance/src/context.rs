/*!
What a check body sees: the [`Session`] established once per run (who the caller is, whether
the target has test control, its clock skew and settings) and a [`Ctx`] per check that sends
requests, records their exchanges, and turns answers into typed values or into verdicts with
expected and actual. Helpers for the two endpoints live here so that every check reads its
answers the same way.
*/

use serde_json::{json, Map, Value};

use crate::config::{Config, Credentials, DirectoryForm};
pub use crate::http::show;
use crate::http::{snippet, Http, Req, Resp};
use crate::schedule::Clock;
use crate::vocabulary::{Exchange, Verdict};

pub use crate::contract::{DEFAULT_SEARCH_FIELDS, DIRECTORY, PRESENCE, TEN_MINUTES_MS};

/// The request header of test control's per-request clock: the instant, in milliseconds since
/// the epoch, that one request sees as the target's now, the target's clock left alone.
pub const REQUEST_CLOCK_HEADER: &str = "X-Test-Clock";
pub use crate::vocabulary::User;

/// The target's settings as test control reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub raw: Map<String, Value>,
}

impl Settings {
    pub fn default_count(&self) -> i64 {
        self.raw
            .get("API_Default_Count")
            .and_then(Value::as_i64)
            .unwrap_or(50)
    }
    pub fn upper_count_limit(&self) -> i64 {
        self.raw
            .get("API_Upper_Count_Limit")
            .and_then(Value::as_i64)
            .unwrap_or(100)
    }
    pub fn search_fields(&self) -> Vec<String> {
        let raw = self
            .raw
            .get("Accounts_SearchFields")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_SEARCH_FIELDS);
        split_fields(raw)
    }
}

pub fn split_fields(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How far the target's clock is from ours.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Skew {
    /// Server clock minus local clock, in ms.
    pub ms: i64,
    /// How wrong the estimate may be, in ms.
    pub uncertainty_ms: i64,
    /// `test-control` (exact) or `date-header` (1 s resolution).
    pub method: &'static str,
}

/// Facts about the target and the callers, established before the checks run.
#[derive(Debug, Clone)]
pub struct Session {
    pub caller: User,
    pub second: Option<User>,
    /// How the caller logs in again: the credentials given, or those of the user managed mode
    /// made for it.
    pub caller_credentials: Option<Credentials>,
    /// How the second user logs in again.
    pub second_credentials: Option<Credentials>,
    pub test_control: bool,
    /// Test control also gives each request a clock of its own ([`REQUEST_CLOCK_HEADER`]).
    pub request_clock: bool,
    /// The settings as they were before the run (test control only).
    pub settings: Option<Settings>,
    /// Whether the target's clock was stopped before the run, and where (test control only).
    pub manual_clock_ms: Option<i64>,
    pub skew: Skew,
    pub version: Option<String>,
    pub seed: u64,
    /// Managed mode (admin credentials given): the admin, the run's prefix, what was created.
    pub managed: Option<crate::managed::Managed>,
    /// The stop of the clock on a minute that checks running side by side share.
    pub clock_stop: crate::schedule::SharedStop,
    /// When `--max-duration` runs out: after it no check request is sent (tidying up still is).
    pub deadline: Option<std::time::Instant>,
    /// The Rocket.Chat version line the target is judged by, and how it was chosen.
    pub judged: crate::versions::Judged,
    /// How directory criteria are sent: as given, else as the version line sends them.
    pub directory_form: DirectoryForm,
}

/// Which credentials a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// None at all.
    None,
    /// The caller's pair.
    Caller,
    /// The second user's pair.
    Second,
    /// Exactly these headers.
    Headers(Vec<(String, String)>),
}

/// Criteria of a directory search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirQuery {
    pub text: Option<String>,
    pub kind: Option<String>,
    pub workspace: Option<String>,
}

impl DirQuery {
    pub fn of(kind: &str) -> Self {
        Self {
            kind: Some(kind.to_owned()),
            ..Self::default()
        }
    }
    pub fn text(mut self, text: &str) -> Self {
        self.text = Some(text.to_owned());
        self
    }
    pub fn workspace(mut self, ws: &str) -> Self {
        self.workspace = Some(ws.to_owned());
        self
    }
}

/// A parsed `users.presence` answer.
#[derive(Debug, Clone)]
pub struct PresenceAnswer {
    pub users: Vec<Value>,
    pub full: bool,
    pub body: Map<String, Value>,
}

impl PresenceAnswer {
    pub fn ids(&self) -> Vec<String> {
        self.users
            .iter()
            .filter_map(|u| u.get("_id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }
}

/// A parsed `directory` answer.
#[derive(Debug, Clone)]
pub struct DirAnswer {
    pub result: Vec<Value>,
    pub count: i64,
    pub offset: i64,
    pub total: i64,
    pub body: Map<String, Value>,
}

impl DirAnswer {
    pub fn ids(&self) -> Vec<String> {
        ids_of(&self.result)
    }
}

pub fn ids_of(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|u| {
            u.get("_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

/// The key under which a change of the target's `what` (clock, settings) waits to be undone:
/// per target, since differential mode runs two at once.
pub fn undo_key(what: &str, config: &Config) -> String {
    format!("{what} of {}", config.url)
}

/// The per-check context.
pub struct Ctx<'a> {
    pub http: &'a mut Http,
    pub session: &'a Session,
    pub config: &'a Config,
    pub check_id: String,
    pub exchanges: Vec<Exchange>,
    pub notes: Vec<String>,
    /// Set when the check changed the target's clock or settings; the runner restores them.
    pub clock_touched: bool,
    pub settings_touched: bool,
    /// Set when the check asked which version line the target is judged by: its expectation
    /// depends on it, so a failure names the line.
    pub line_consulted: std::cell::Cell<bool>,
    /// What the check declared it shares with the checks beside it; changing what it did not
    /// declare is an Error, so a wrong declaration shows even with one job.
    pub sharing: crate::schedule::Sharing,
    /// It holds the shared stop of the clock on a minute; the runner leaves it after the check.
    pub holds_shared_stop: bool,
    /// The instant the check's requests carry as their own now (test control's per-request
    /// clock, [`REQUEST_CLOCK_HEADER`]); the target's clock is left alone.
    pub own_clock: Option<i64>,
    frozen_ms: Option<i64>,
    /// Inside [`Ctx::tidy`]: requests are recorded as clean-up.
    tidying: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(
        http: &'a mut Http,
        session: &'a Session,
        config: &'a Config,
        check_id: &str,
    ) -> Self {
        Self {
            http,
            session,
            config,
            check_id: check_id.to_owned(),
            exchanges: Vec::new(),
            notes: Vec::new(),
            clock_touched: false,
            settings_touched: false,
            line_consulted: std::cell::Cell::new(false),
            sharing: crate::schedule::Sharing::ALONE,
            holds_shared_stop: false,
            own_clock: None,
            frozen_ms: None,
            tidying: false,
        }
    }

    /// Runs `f` as clean-up (logging out, removing data, restoring the clock): its requests
    /// are sent even past `--max-duration` and are never the request a verdict is about.
    pub fn tidy<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.tidying, true);
        let out = f(self);
        self.tidying = outer;
        out
    }

    /// Adds a remark to the result (shown in reports even on a pass).
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The curl line of the last request sent to test a rule (clean-up requests aside): the
    /// request a verdict is about.
    pub fn last_curl(&self) -> Option<String> {
        self.exchanges
            .iter()
            .rev()
            .find(|x| !x.cleanup)
            .map(|x| x.curl.clone())
    }

    pub fn with_auth(&self, mut req: Req, auth: &Auth) -> Req {
        match auth {
            Auth::None => {}
            Auth::Caller => {
                req = req
                    .header("X-Auth-Token", &self.session.caller.auth_token)
                    .header("X-User-Id", &self.session.caller.user_id);
            }
            Auth::Second => {
                if let Some(second) = &self.session.second {
                    req = req
                        .header("X-Auth-Token", &second.auth_token)
                        .header("X-User-Id", &second.user_id);
                }
            }
            Auth::Headers(headers) => {
                for (n, v) in headers {
                    req = req.header(n, v);
                }
            }
        }
        req
    }

    /// Sends a request with the given credentials. Transport failures and redirects are
    /// Errors; any other status is returned.
    pub fn send(&mut self, req: Req, auth: &Auth) -> Result<Resp, Verdict> {
        let mut req = self.with_auth(req, auth);
        if let Some(now) = self.own_clock {
            req = req.header(REQUEST_CLOCK_HEADER, &now.to_string());
        }
        if let (false, Some(deadline)) = (self.tidying, self.session.deadline) {
            if std::time::Instant::now() >= deadline {
                return Err(Verdict::Error(format!(
                    "{} {} not sent: the run reached --max-duration (check {})",
                    req.method, req.path, self.check_id
                )));
            }
        }
        let (mut exchanges, result) = self.http.send(&req, &self.check_id);
        for x in exchanges.iter_mut() {
            x.cleanup = self.tidying;
        }
        self.exchanges.extend(exchanges);
        let resp = result.map_err(|e| Verdict::Error(e.message))?;
        if (300..400).contains(&resp.status) {
            return Err(Verdict::Error(format!(
                "{} {} answered {} (redirect to {:?}); the suite does not follow redirects: point --url at the server itself",
                req.method,
                req.path,
                resp.status,
                resp.header("location").unwrap_or("(no Location)")
            )));
        }
        Ok(resp)
    }

    /// The version line the target is judged by (noted: a failure then names the line).
    pub fn line(&self) -> crate::versions::Line {
        self.line_consulted.set(true);
        self.session.judged.line
    }

    /// Sends as the caller.
    pub fn call(&mut self, req: Req) -> Result<Resp, Verdict> {
        self.send(req, &Auth::Caller)
    }

    /// The body as a JSON value; not JSON is an Error (the target broke).
    pub fn json_of(&self, resp: &Resp) -> Result<Value, Verdict> {
        resp.json().map_err(Verdict::Error)
    }

    /// Expects 200 with a JSON object whose `success` is `true`.
    pub fn ok_body(&mut self, req: Req, auth: &Auth) -> Result<Map<String, Value>, Verdict> {
        let resp = self.send(req, auth)?;
        let value = self.json_of(&resp)?;
        if resp.status != 200 {
            return Err(Verdict::fail(
                format!("expected HTTP 200, got {}", resp.status),
                "200 with a JSON body and \"success\": true",
                format!("{} {}", resp.status, snippet(&value.to_string(), 400)),
            ));
        }
        let Value::Object(map) = value else {
            return Err(Verdict::fail(
                "the body is not a JSON object",
                "a JSON object",
                snippet(&value.to_string(), 400),
            ));
        };
        if map.get("success") != Some(&Value::Bool(true)) {
            return Err(Verdict::fail(
                "\"success\" is not true",
                "\"success\": true",
                format!(
                    "\"success\": {}",
                    map.get("success")
                        .map(|v| v.to_string())
                        .unwrap_or("(missing)".into())
                ),
            ));
        }
        Ok(map)
    }

    /// Expects an error answer with this status, `success: false`, and an `error` string
    /// accepted by `matches` (described by `wanted`). Returns the body.
    pub fn expect_error(
        &mut self,
        req: Req,
        auth: &Auth,
        status: u16,
        wanted: &str,
        matches: impl Fn(&Map<String, Value>) -> bool,
    ) -> Result<Map<String, Value>, Verdict> {
        let resp = self.send(req, auth)?;
        let expected = format!("{status} with {{\"success\": false, {wanted}}}");
        if resp.status != status {
            return Err(Verdict::fail(
                format!("expected HTTP {status}, got {}", resp.status),
                expected,
                format!("{} {}", resp.status, snippet(&resp.text(), 400)),
            ));
        }
        let value = self.json_of(&resp)?;
        let actual = format!("{} {}", resp.status, snippet(&value.to_string(), 400));
        let Value::Object(map) = value else {
            return Err(Verdict::fail(
                "the error body is not a JSON object",
                expected,
                actual,
            ));
        };
        if map.get("success") != Some(&Value::Bool(false)) {
            return Err(Verdict::fail(
                "the error body lacks \"success\": false",
                expected,
                actual,
            ));
        }
        if !matches(&map) {
            return Err(Verdict::fail(
                "the error body is not the expected one",
                expected,
                actual,
            ));
        }
        Ok(map)
    }

    /// Expects a 400 whose `error` contains `text`.
    pub fn expect_400_containing(
        &mut self,
        req: Req,
        text: &str,
    ) -> Result<Map<String, Value>, Verdict> {
        let wanted = format!("\"error\" containing {text:?}");
        let text = text.to_owned();
        self.expect_error(req, &Auth::Caller, 400, &wanted, move |m| {
            error_text(m).contains(&text)
        })
    }

    // ----- users.presence -------------------------------------------------------------

    /// `GET users.presence` as the caller with these parameters (encoded here).
    pub fn presence(&mut self, params: &[(&str, &str)]) -> Result<PresenceAnswer, Verdict> {
        let mut req = Req::get(PRESENCE);
        for (n, v) in params {
            req = req.q(n, v);
        }
        self.presence_req(req)
    }

    pub fn presence_req(&mut self, req: Req) -> Result<PresenceAnswer, Verdict> {
        self.presence_req_as(req, &Auth::Caller)
    }

    /// `GET users.presence` with these credentials.
    pub fn presence_req_as(&mut self, req: Req, auth: &Auth) -> Result<PresenceAnswer, Verdict> {
        let body = self.ok_body(req, auth)?;
        let users = match body.get("users") {
            Some(Value::Array(users)) => users.clone(),
            other => {
                return Err(Verdict::fail(
                    "\"users\" is not an array",
                    "\"users\": [ … ]",
                    format!("\"users\": {}", show(other)),
                ))
            }
        };
        let full = match body.get("full") {
            Some(Value::Bool(b)) => *b,
            other => {
                return Err(Verdict::fail(
                    "\"full\" is not a boolean",
                    "\"full\": true or false",
                    format!("\"full\": {}", show(other)),
                ))
            }
        };
        Ok(PresenceAnswer { users, full, body })
    }

    /// Expects `full` to be `want` for `from`.
    pub fn expect_full(
        &mut self,
        from: &str,
        want: bool,
        why: &str,
    ) -> Result<PresenceAnswer, Verdict> {
        let answer = self.presence(&[("from", from)])?;
        if answer.full != want {
            return Err(Verdict::fail(
                format!("from={from}: {why}"),
                format!("\"full\": {want}"),
                format!(
                    "\"full\": {} with {} users",
                    answer.full,
                    answer.users.len()
                ),
            ));
        }
        Ok(answer)
    }

    // ----- directory ------------------------------------------------------------------

    /// A directory request with these criteria (in the configured form) and extra parameters.
    pub fn dir_req(&self, q: &DirQuery, extra: &[(&str, &str)]) -> Req {
        dir_req(self.session.directory_form, q, extra)
    }

    pub fn directory(
        &mut self,
        q: &DirQuery,
        extra: &[(&str, &str)],
    ) -> Result<DirAnswer, Verdict> {
        let req = self.dir_req(q, extra);
        self.directory_req(req, &Auth::Caller)
    }

    pub fn directory_req(&mut self, req: Req, auth: &Auth) -> Result<DirAnswer, Verdict> {
        let body = self.ok_body(req, auth)?;
        let result = match body.get("result") {
            Some(Value::Array(items)) => items.clone(),
            other => {
                return Err(Verdict::fail(
                    "\"result\" is not an array",
                    "\"result\": [ … ]",
                    format!("\"result\": {}", show(other)),
                ))
            }
        };
        let mut numbers = [0i64; 3];
        for (slot, key) in numbers.iter_mut().zip(["count", "offset", "total"]) {
            *slot = match body.get(key) {
                Some(v) if v.as_i64().is_some() => v.as_i64().unwrap_or_default(),
                other => {
                    return Err(Verdict::fail(
                        format!("\"{key}\" is not an integer"),
                        format!("\"{key}\": an integer"),
                        format!("\"{key}\": {}", show(other)),
                    ))
                }
            };
        }
        Ok(DirAnswer {
            result,
            count: numbers[0],
            offset: numbers[1],
            total: numbers[2],
            body,
        })
    }

    /// Every item of a search, paging with `count=page` (at most `max_pages` requests).
    /// Returns the items and the first answer's total; `None` when there were too many.
    pub fn list_all(
        &mut self,
        q: &DirQuery,
        page: i64,
        max_pages: usize,
    ) -> Result<Option<(Vec<Value>, i64)>, Verdict> {
        let mut items = Vec::new();
        let mut total = None;
        for n in 0..max_pages {
            let offset = (n as i64 * page).to_string();
            let count = page.to_string();
            let answer = self.directory(q, &[("count", &count), ("offset", &offset)])?;
            let total = *total.get_or_insert(answer.total);
            let got = answer.result.len();
            items.extend(answer.result);
            if got == 0 || items.len() as i64 >= total {
                return Ok(Some((items, total)));
            }
        }
        Ok(None)
    }

    // ----- logins ---------------------------------------------------------------------

    /// Logs in once more as the caller (`second: false`) or the second user, with the run's
    /// credentials (a password login, or `{"resume": token}` for a token pair). A REST login
    /// writes the user document, so its `_updatedAt` moves. Returns the new token pair (already
    /// redacted in every report); [`Ctx::logout`] it when done.
    pub fn login_again(&mut self, second: bool) -> Result<User, Verdict> {
        let creds = if second {
            self.session.second_credentials.clone()
        } else {
            self.session.caller_credentials.clone()
        };
        let user = if second {
            self.session.second.clone()
        } else {
            Some(self.session.caller.clone())
        };
        let (Some(creds), Some(user)) = (creds, user) else {
            return Err(Verdict::Skip("no credentials to log in with".into()));
        };
        let body = match creds {
            Credentials::Login { username, password } => {
                json!({ "user": username, "password": password })
            }
            Credentials::Token { auth_token, .. } => json!({ "resume": auth_token }),
        };
        self.http.name_next_token(if second {
            "$SECOND_NEW_TOKEN"
        } else {
            "$NEW_TOKEN"
        });
        let resp = self.send(Req::method("POST", "/api/v1/login").json(body), &Auth::None)?;
        let v = self.json_of(&resp)?;
        let token = v["data"]["authToken"].as_str().map(str::to_owned);
        let id = v["data"]["userId"].as_str().map(str::to_owned);
        let (Some(token), Some(id)) = (token, id) else {
            return Err(Verdict::Error(format!(
                "POST /api/v1/login answered {} without data.userId and data.authToken: {}",
                resp.status,
                snippet(&self.http.redactor.redact(&v.to_string()), 200)
            )));
        };
        Ok(User {
            user_id: id,
            auth_token: token,
            ..user
        })
    }

    /// Logs out a token pair from [`Ctx::login_again`], unless it is the session's own.
    pub fn logout(&mut self, user: &User) {
        let own = [Some(&self.session.caller), self.session.second.as_ref()]
            .iter()
            .flatten()
            .any(|u| u.auth_token == user.auth_token);
        if own {
            return;
        }
        let headers = vec![
            ("X-Auth-Token".to_owned(), user.auth_token.clone()),
            ("X-User-Id".to_owned(), user.user_id.clone()),
        ];
        let sent = self.tidy(|ctx| {
            ctx.send(
                Req::method("POST", "/api/v1/logout"),
                &Auth::Headers(headers),
            )
        });
        match sent {
            Ok(r) if r.status == 200 => {}
            Ok(r) => self.note(format!(
                "logging the extra session out answered {}",
                r.status
            )),
            Err(v) => self.note(format!("logging the extra session out failed: {v:?}")),
        }
    }

    // ----- test control ---------------------------------------------------------------

    pub fn tc_clock_ms(&mut self) -> Result<i64, Verdict> {
        let resp = self.send(Req::get("/test-control/clock"), &Auth::None)?;
        let v = self.json_of(&resp)?;
        v.get("nowMs").and_then(Value::as_i64).ok_or_else(|| {
            Verdict::Error(format!(
                "GET /test-control/clock gave no nowMs: {}",
                snippet(&v.to_string(), 200)
            ))
        })
    }

    /// Stops the target's clock at `ms`.
    pub fn freeze_clock(&mut self, ms: i64) -> Result<(), Verdict> {
        if self.sharing.clock != Clock::Moves || self.holds_shared_stop {
            return Err(self.undeclared("sets the target's clock"));
        }
        if !self.clock_touched {
            let undo = self.http.curl(&clock_restore(self.session));
            crate::interrupt::pending(
                &undo_key("clock", self.config),
                "the target's clock, moved by the suite".into(),
                undo,
            );
        }
        self.clock_touched = true;
        self.put_clock(ms)?;
        self.frozen_ms = Some(ms);
        Ok(())
    }

    /// `PUT /test-control/clock`.
    fn put_clock(&mut self, ms: i64) -> Result<(), Verdict> {
        let resp = self.send(
            Req::method("PUT", "/test-control/clock").json(json!({ "nowMs": ms })),
            &Auth::None,
        )?;
        if resp.status != 200 {
            return Err(Verdict::Error(format!(
                "PUT /test-control/clock answered {}: {}",
                resp.status,
                snippet(&resp.text(), 200)
            )));
        }
        Ok(())
    }

    /// Stops the target's clock on the next whole minute, so that every `from` form (even
    /// without seconds) can name instants relative to it exactly. Returns that instant. Checks
    /// that declared [`Clock::StopsOnMinute`] share one stop while they run side by side.
    pub fn freeze_clock_on_minute(&mut self) -> Result<i64, Verdict> {
        match self.sharing.clock {
            Clock::Moves => {
                let minute = self.next_minute()?;
                self.freeze_clock(minute)?;
                Ok(minute)
            }
            Clock::StopsOnMinute if self.holds_shared_stop => {
                Ok(self.frozen_ms.expect("a held stop has its minute"))
            }
            Clock::StopsOnMinute => {
                let stop = self.session.clock_stop.clone();
                let minute = stop.join(|| {
                    let minute = self.next_minute()?;
                    let undo = self.http.curl(&clock_restore(self.session));
                    crate::interrupt::pending(
                        &undo_key("clock", self.config),
                        "the target's clock, stopped by the suite".into(),
                        undo,
                    );
                    self.put_clock(minute)?;
                    Ok(minute)
                })?;
                self.holds_shared_stop = true;
                self.frozen_ms = Some(minute);
                Ok(minute)
            }
            _ => Err(self.undeclared("stops the target's clock")),
        }
    }

    fn next_minute(&mut self) -> Result<i64, Verdict> {
        let now = self.tc_clock_ms()?;
        Ok((now / 60_000 + 1) * 60_000)
    }

    /// The Error of a check that changes shared state it did not declare (a catalog bug).
    pub(crate) fn undeclared(&self, what: &str) -> Verdict {
        Verdict::Error(format!(
            "the check {what} but declared it shares {:?}: its declaration in the catalog is wrong",
            self.sharing
        ))
    }

    /// Changes settings through test control; the runner restores them after the check.
    pub fn patch_settings(&mut self, patch: Value) -> Result<(), Verdict> {
        if !self.sharing.alone {
            return Err(self.undeclared("changes the target's settings"));
        }
        if let (false, Some(settings)) = (self.settings_touched, &self.session.settings) {
            let undo = self.http.curl(&settings_restore(settings));
            crate::interrupt::pending(
                &undo_key("settings", self.config),
                "the target's settings, changed by the suite".into(),
                undo,
            );
        }
        self.settings_touched = true;
        let resp = self.send(
            Req::method("PATCH", "/test-control/settings").json(patch),
            &Auth::None,
        )?;
        if resp.status != 200 {
            return Err(Verdict::Error(format!(
                "PATCH /test-control/settings answered {}: {}",
                resp.status,
                snippet(&resp.text(), 200)
            )));
        }
        Ok(())
    }

    /// The server's "now" in ms: exact when this check froze the clock, else estimated.
    pub fn server_now_ms(&self) -> i64 {
        self.frozen_ms
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis() + self.session.skew.ms)
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen_ms.is_some()
    }

    /// How far from the 10-minute boundary a time check must stay.
    pub fn time_margin_ms(&self) -> i64 {
        if self.is_frozen() {
            0
        } else {
            self.config.time_margin_ms + self.session.skew.uncertainty_ms
        }
    }

    /// The settings in force (test control), or Rocket.Chat's defaults.
    pub fn settings(&self) -> Settings {
        self.session
            .settings
            .clone()
            .unwrap_or(Settings { raw: Map::new() })
    }
}

/// The criteria of a directory request in the given form, plus extra parameters.
pub fn dir_req(form: DirectoryForm, q: &DirQuery, extra: &[(&str, &str)]) -> Req {
    let mut req = Req::get(DIRECTORY);
    match form {
        DirectoryForm::Query => {
            let mut obj = Map::new();
            if let Some(t) = &q.text {
                obj.insert("text".into(), Value::String(t.clone()));
            }
            if let Some(t) = &q.kind {
                obj.insert("type".into(), Value::String(t.clone()));
            }
            if let Some(w) = &q.workspace {
                obj.insert("workspace".into(), Value::String(w.clone()));
            }
            if !obj.is_empty() {
                req = req.q("query", &Value::Object(obj).to_string());
            }
        }
        DirectoryForm::TopLevel => {
            if let Some(t) = &q.text {
                req = req.q("text", t);
            }
            if let Some(t) = &q.kind {
                req = req.q("type", t);
            }
            if let Some(w) = &q.workspace {
                req = req.q("workspace", w);
            }
        }
    }
    for (n, v) in extra {
        req = req.q(n, v);
    }
    req
}

/// The `error` string of an error body, or "".
pub fn error_text(m: &Map<String, Value>) -> &str {
    m.get("error").and_then(Value::as_str).unwrap_or("")
}

/// Fails with expected/actual unless `cond`.
pub fn ensure(
    cond: bool,
    message: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Result<(), Verdict> {
    if cond {
        Ok(())
    } else {
        Err(Verdict::fail(message, expected, actual))
    }
}

/// The request that puts the target's clock back as it was before the run.
pub fn clock_restore(session: &Session) -> Req {
    match session.manual_clock_ms {
        Some(ms) => Req::method("PUT", "/test-control/clock").json(json!({ "nowMs": ms })),
        None => Req::method("DELETE", "/test-control/clock"),
    }
}

/// The request that puts the target's settings back as they were before the run.
pub fn settings_restore(settings: &Settings) -> Req {
    Req::method("PATCH", "/test-control/settings").json(Value::Object(settings.raw.clone()))
}
