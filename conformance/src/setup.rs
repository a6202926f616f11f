/*!
Establishes a run's session before any check runs, and tells a target the suite cannot judge
from one that breaks the rules. Everything here happens once: the probe (`GET /api/info`,
whose `Date` header also samples the target's clock), test-control detection, the credentials
(a login, or `GET /api/v1/me` for a token pair), managed mode's own users, and the settings.

A problem here is a [`SetupFailure`] with a [`SetupProblem`] kind: the run then reports every
selected check as not run and exits 2, because nothing about the target's conformance was
learnt. Each message names the cause and, where a flag is at fault, the flag.
*/

use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Value};

use crate::config::{Config, Credentials};
use crate::context::{Session, Settings, Skew, User, REQUEST_CLOCK_HEADER};
use crate::http::{snippet, Http, Req, Resp, TransportError, TransportKind};
use crate::managed::{Managed, Registry};
use crate::timefmt::parse_http_date;
use crate::vocabulary::Exchange;

/// Why a run could not judge its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetupProblem {
    /// `--filter`, `--skip` and `--level` leave no check to run.
    NoCheckSelected,
    /// The configuration cannot be used (e.g. a version that is not one).
    Usage,
    /// Neither the caller's nor an administrator's credentials were given.
    NoCredentials,
    /// Nothing answers at `--url` (refused, DNS, TLS, timeout).
    Unreachable,
    /// Something answers, but not a Rocket.Chat REST API.
    NotRocketChat,
    /// The target refused the credentials given.
    CredentialsRefused,
    /// An answer was larger than `--max-body-bytes`.
    BodyTooLarge,
    /// The target stopped answering during set-up.
    StoppedAnswering,
    /// Managed mode could not create the users it needs, or test control misbehaved.
    Preparation,
}

impl SetupProblem {
    /// A few words for the report's first lines.
    pub fn headline(self) -> &'static str {
        match self {
            SetupProblem::NoCheckSelected => "no check selected",
            SetupProblem::Usage => "a usage error",
            SetupProblem::NoCredentials => "no credentials",
            SetupProblem::Unreachable => "the target is unreachable",
            SetupProblem::NotRocketChat => "the target is not a Rocket.Chat API",
            SetupProblem::CredentialsRefused => "the credentials were refused",
            SetupProblem::BodyTooLarge => "an answer was too large",
            SetupProblem::StoppedAnswering => "the target stopped answering",
            SetupProblem::Preparation => "the run could not prepare its data",
        }
    }
}

/// A set-up problem and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupFailure {
    pub problem: SetupProblem,
    pub message: String,
}

impl SetupFailure {
    pub fn new(problem: SetupProblem, message: impl Into<String>) -> Self {
        Self {
            problem,
            message: message.into(),
        }
    }
}

/// What set-up learnt and sent, kept for the report even when it failed.
#[derive(Debug, Default)]
pub struct Setup {
    pub exchanges: Vec<Exchange>,
    pub version: Option<String>,
    /// Whether `/test-control/clock` answered (None: not asked).
    pub test_control: Option<bool>,
}

/// Which flags give one role's credentials, for messages.
#[derive(Debug, Clone, Copy)]
pub struct Role {
    /// "the caller", "the second user", "the administrator".
    pub who: &'static str,
    pub login_flags: &'static str,
    pub token_flags: &'static str,
    token_var: &'static str,
    id_var: &'static str,
    password_var: &'static str,
}

pub const CALLER: Role = Role {
    who: "the caller",
    login_flags: "--username/--password (CONFORM_USERNAME/CONFORM_PASSWORD)",
    token_flags: "--user-id/--auth-token (CONFORM_USER_ID/CONFORM_AUTH_TOKEN)",
    token_var: "$X_AUTH_TOKEN",
    id_var: "$X_USER_ID",
    password_var: "$PASSWORD",
};
pub const SECOND: Role = Role {
    who: "the second user",
    login_flags: "--second-username/--second-password",
    token_flags: "--second-user-id/--second-auth-token",
    token_var: "$SECOND_AUTH_TOKEN",
    id_var: "$SECOND_USER_ID",
    password_var: "$SECOND_PASSWORD",
};
pub const ADMIN: Role = Role {
    who: "the administrator",
    login_flags: "--admin-username/--admin-password",
    token_flags: "--admin-user-id/--admin-auth-token",
    token_var: "$ADMIN_AUTH_TOKEN",
    id_var: "$ADMIN_USER_ID",
    password_var: "$ADMIN_PASSWORD",
};

/// Sends a set-up request and keeps its exchange.
fn send(http: &mut Http, setup: &mut Setup, req: Req) -> Result<Resp, TransportError> {
    let (xs, result) = http.send(&req, "(set-up)");
    setup.exchanges.extend(xs);
    result
}

/// A transport failure during set-up, as a diagnosis.
fn transport(e: TransportError, during: &str) -> SetupFailure {
    let problem = match e.kind {
        TransportKind::Timeout if during == "probe" => SetupProblem::Unreachable,
        TransportKind::Timeout | TransportKind::Stalled => SetupProblem::StoppedAnswering,
        TransportKind::TooLarge => SetupProblem::BodyTooLarge,
        TransportKind::Refused | TransportKind::Dns | TransportKind::Tls => {
            SetupProblem::Unreachable
        }
        TransportKind::Reset | TransportKind::Other => {
            if during == "probe" {
                SetupProblem::Unreachable
            } else {
                SetupProblem::NotRocketChat
            }
        }
    };
    let hint = match e.kind {
        TransportKind::Timeout => " (raise --timeout if the target is only slow)",
        TransportKind::TooLarge => " (raise --max-body-bytes if the answer is legitimate)",
        TransportKind::Refused => " (is the server running, and is --url's port right?)",
        TransportKind::Dns => " (check --url's host name)",
        TransportKind::Tls => " (check --url's scheme: http or https)",
        _ => "",
    };
    SetupFailure::new(problem, format!("{}{hint}", without_check(&e.message)))
}

/// A transport message without its "(check (set-up))" tail.
fn without_check(message: &str) -> String {
    message
        .replace(" (check (set-up); --timeout)", "")
        .replace(" (check (set-up))", "")
}

/// Reachability, version, test control, credentials, managed mode's users, skew, settings.
pub fn establish(
    config: &Config,
    seed: u64,
    deadline: Option<Instant>,
    setup: &mut Setup,
) -> Result<(Http, Session), SetupFailure> {
    if config.credentials.is_none() && config.admin_credentials.is_none() {
        return Err(SetupFailure::new(
            SetupProblem::NoCredentials,
            format!(
                "no credentials: give the caller's {} or {}, or an administrator's {} (managed mode, where the suite creates its own users)",
                CALLER.login_flags, CALLER.token_flags, ADMIN.login_flags
            ),
        ));
    }
    let mut http = Http::new(&config.url, config.http.clone())
        .map_err(|e| SetupFailure::new(SetupProblem::Unreachable, e))?;
    let samples = probe(&mut http, setup)?;
    let (test_control, manual_clock_ms, tc_skew) = detect_test_control(&mut http, setup);
    setup.test_control = Some(test_control);
    let request_clock = test_control && detect_request_clock(&mut http, setup);

    let mut caller = match &config.credentials {
        Some(c) => Some(authenticate(&mut http, setup, c, CALLER)?),
        None => None,
    };
    if let (Some(c), Some(admin)) = (caller.as_mut(), config.admin) {
        c.admin = Some(admin);
    }
    let mut second = match &config.second {
        Some(c) => Some(authenticate(&mut http, setup, c, SECOND)?),
        None => None,
    };
    if let (Some(s), Some(admin)) = (second.as_mut(), config.second_admin) {
        s.admin = Some(admin);
    }
    let managed = match &config.admin_credentials {
        None => None,
        Some(c) => {
            let admin = match (&config.credentials, &caller) {
                (Some(given), Some(caller)) if given == c => caller.clone(),
                _ => authenticate(&mut http, setup, c, ADMIN)?,
            };
            if admin.admin == Some(false) {
                return Err(SetupFailure::new(
                    SetupProblem::CredentialsRefused,
                    format!(
                        "the administrator's credentials ({} or {}) belong to a user without the admin role",
                        ADMIN.login_flags, ADMIN.token_flags
                    ),
                ));
            }
            Some(Managed {
                admin,
                prefix: crate::managed::random_prefix(),
                password: crate::managed::random_password(),
                keep: config.keep,
                registry: Registry::default(),
            })
        }
    };
    let settings = if test_control {
        Some(read_settings(&mut http, setup)?)
    } else {
        None
    };
    let judged = crate::versions::Judged::choose(
        config.rocketchat_version.as_deref(),
        setup.version.as_deref(),
    )
    .map_err(|e| SetupFailure::new(SetupProblem::Usage, e))?;
    let directory_form =
        config
            .directory_form
            .unwrap_or(if judged.line <= crate::versions::Line::V6 {
                crate::config::DirectoryForm::Query
            } else {
                crate::config::DirectoryForm::TopLevel
            });
    let mut caller_credentials = config.credentials.clone();
    let mut second_credentials = config.second.clone();
    if let Some(m) = &managed {
        http.redactor.add(&m.password, "$MANAGED_PASSWORD");
        crate::interrupt::set_prefix(&m.prefix);
        let mut made = || -> Result<(), SetupFailure> {
            if caller.is_none() {
                let (user, creds) = make_user(&mut http, setup, m, "caller", CALLER)?;
                caller = Some(user);
                caller_credentials = Some(creds);
            }
            if second.is_none() {
                let (user, creds) = make_user(&mut http, setup, m, "second", SECOND)?;
                second = Some(user);
                second_credentials = Some(creds);
            }
            Ok(())
        };
        if let Err(e) = made() {
            // What set-up made goes again: the run has no janitor yet.
            crate::managed::Janitor::new(http.sibling(), m.clone()).finish();
            return Err(e);
        }
    }
    let Some(caller) = caller else {
        unreachable!("a caller was given or made: credentials or admin credentials exist")
    };

    let skew = tc_skew.unwrap_or_else(|| skew_from_dates(&samples));
    let session = Session {
        caller,
        second,
        caller_credentials,
        second_credentials,
        test_control,
        request_clock,
        settings,
        manual_clock_ms,
        skew,
        version: setup.version.clone(),
        seed,
        managed,
        clock_stop: Default::default(),
        deadline,
        judged,
        directory_form,
    };
    Ok((http, session))
}

/// `GET /api/info` three times: it must answer a JSON object; its `Date` headers sample the
/// target's clock (round trip, server minus local ms).
fn probe(http: &mut Http, setup: &mut Setup) -> Result<Vec<(i64, i64)>, SetupFailure> {
    let mut samples = Vec::new();
    for n in 0..3 {
        let resp = send(http, setup, Req::get("/api/info")).map_err(|e| transport(e, "probe"))?;
        if n == 0 {
            let info = rocket_chat_json(
                &resp,
                "GET /api/info",
                "Rocket.Chat answers it without credentials",
            )?;
            setup.version = info
                .get("version")
                .or_else(|| info.get("info").and_then(|i| i.get("version")))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        if let Some(date) = resp.header("date").and_then(parse_http_date) {
            let sent = resp.sent.timestamp_millis();
            let rtt = resp.received.timestamp_millis() - sent;
            samples.push((rtt, date + 500 - (sent + rtt / 2)));
        }
    }
    Ok(samples)
}

/// The body of an answer that must come from a Rocket.Chat API: a JSON object, not HTML, not
/// a redirect, not an error status. `normally` says what Rocket.Chat would have done.
fn rocket_chat_json(
    resp: &Resp,
    what: &str,
    normally: &str,
) -> Result<serde_json::Map<String, Value>, SetupFailure> {
    let not_rc = |detail: String| {
        SetupFailure::new(
            SetupProblem::NotRocketChat,
            format!("{what} {detail}: this does not look like a Rocket.Chat REST API ({normally}); is --url the server's base URL, without /api?"),
        )
    };
    let content_type = resp.header("content-type").unwrap_or("(none)").to_owned();
    if (300..400).contains(&resp.status) {
        return Err(not_rc(format!(
            "answered {} (redirect to {:?}; the suite does not follow redirects)",
            resp.status,
            resp.header("location").unwrap_or("(no Location)")
        )));
    }
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(Value::Object(map)) if resp.status == 200 => Ok(map),
        _ if matches!(resp.status, 401 | 403) => Err(not_rc(format!(
            "answered {} {} (is something in front of the server asking for credentials?)",
            resp.status,
            snippet(&resp.text(), 160)
        ))),
        Ok(_) if resp.status != 200 => Err(not_rc(format!(
            "answered {} {}",
            resp.status,
            snippet(&resp.text(), 160)
        ))),
        Ok(other) => Err(not_rc(format!(
            "answered JSON that is not an object: {}",
            snippet(&other.to_string(), 160)
        ))),
        Err(_) => Err(not_rc(format!(
            "answered {} with Content-Type {content_type} and a body that is not JSON (it starts with {:?})",
            resp.status,
            snippet(resp.text().trim_start(), 80)
        ))),
    }
}

/// `GET /test-control/clock`: whether the target has the reference server's test control,
/// whether its clock was stopped (and where), and the exact skew.
fn detect_test_control(http: &mut Http, setup: &mut Setup) -> (bool, Option<i64>, Option<Skew>) {
    let Ok(resp) = send(http, setup, Req::get("/test-control/clock")) else {
        return (false, None, None);
    };
    let Ok(v) = resp.json() else {
        return (false, None, None);
    };
    let Some(now) = v
        .get("nowMs")
        .and_then(Value::as_i64)
        .filter(|_| resp.status == 200)
    else {
        return (false, None, None);
    };
    let sent = resp.sent.timestamp_millis();
    let rtt = resp.received.timestamp_millis() - sent;
    let skew = Skew {
        ms: now - (sent + rtt / 2),
        uncertainty_ms: rtt / 2 + 1,
        method: "test-control",
    };
    let manual = (v.get("manual") == Some(&Value::Bool(true))).then_some(now);
    (true, manual, Some(skew))
}

/// Whether test control gives each request a clock of its own: `GET /test-control/clock` with
/// [`REQUEST_CLOCK_HEADER`] must answer that instant.
fn detect_request_clock(http: &mut Http, setup: &mut Setup) -> bool {
    const PROBE_MS: i64 = 86_400_000;
    let req = Req::get("/test-control/clock").header(REQUEST_CLOCK_HEADER, &PROBE_MS.to_string());
    send(http, setup, req)
        .ok()
        .filter(|resp| resp.status == 200)
        .and_then(|resp| resp.json().ok())
        .and_then(|v| v.get("nowMs").and_then(Value::as_i64))
        == Some(PROBE_MS)
}

fn skew_from_dates(samples: &[(i64, i64)]) -> Skew {
    samples
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
        })
}

fn read_settings(http: &mut Http, setup: &mut Setup) -> Result<Settings, SetupFailure> {
    let resp = send(http, setup, Req::get("/test-control/settings"))
        .map_err(|e| transport(e, "settings"))?;
    let prep = |m: String| SetupFailure::new(SetupProblem::Preparation, m);
    let v = resp
        .json()
        .map_err(|e| prep(format!("GET /test-control/settings: {e}")))?;
    match v.get("settings") {
        Some(Value::Object(m)) => Ok(Settings { raw: m.clone() }),
        _ => Err(prep(format!(
            "GET /test-control/settings gave no settings: {}",
            snippet(&v.to_string(), 200)
        ))),
    }
}

/// Proves one role's credentials: a login for a username and password, `GET /api/v1/me` for
/// a token pair. Registers every secret with the redactor first.
fn authenticate(
    http: &mut Http,
    setup: &mut Setup,
    creds: &Credentials,
    role: Role,
) -> Result<User, SetupFailure> {
    match creds {
        Credentials::Token {
            user_id,
            auth_token,
        } => {
            http.redactor.add(auth_token, role.token_var);
            http.redactor.add(user_id, role.id_var);
            let req = Req::get("/api/v1/me")
                .header("X-Auth-Token", auth_token)
                .header("X-User-Id", user_id);
            let resp = send(http, setup, req).map_err(|e| transport(e, "me"))?;
            let what = format!("GET /api/v1/me with {}'s token pair", role.who);
            if matches!(resp.status, 401 | 403) {
                return Err(refused(&what, &resp, role.token_flags, http));
            }
            let me = rocket_chat_json(&resp, &what, "Rocket.Chat answers the token's owner")?;
            if let Some(id) = me.get("_id").and_then(Value::as_str) {
                if id != user_id {
                    return Err(SetupFailure::new(
                        SetupProblem::CredentialsRefused,
                        format!(
                            "{what} answered another user ({}): the token does not belong to the user id; fix {}",
                            http.redactor.redact(id),
                            role.token_flags
                        ),
                    ));
                }
            }
            Ok(User {
                user_id: user_id.clone(),
                auth_token: auth_token.clone(),
                admin: roles_say_admin(me.get("roles")),
                username: me
                    .get("username")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }
        Credentials::Login { username, password } => {
            if !http.redactor.knows(password) {
                http.redactor.add(password, role.password_var);
            }
            http.name_next_token(role.token_var);
            let req = Req::method("POST", "/api/v1/login")
                .json(json!({ "user": username, "password": password }));
            let resp = send(http, setup, req).map_err(|e| transport(e, "login"))?;
            let what = format!("POST /api/v1/login as {username} ({})", role.who);
            if matches!(resp.status, 401 | 403) {
                return Err(refused(&what, &resp, role.login_flags, http));
            }
            let body = rocket_chat_json(
                &resp,
                &what,
                "Rocket.Chat answers a login with data.userId and data.authToken",
            )?;
            let data = body.get("data").cloned().unwrap_or(Value::Null);
            let (Some(user_id), Some(auth_token)) = (
                data.get("userId").and_then(Value::as_str),
                data.get("authToken").and_then(Value::as_str),
            ) else {
                return Err(SetupFailure::new(
                    SetupProblem::NotRocketChat,
                    format!(
                        "{what} answered {} without data.userId and data.authToken: {}",
                        resp.status,
                        snippet(&http.redactor.redact(&Value::Object(body).to_string()), 300)
                    ),
                ));
            };
            http.redactor.add(auth_token, role.token_var);
            http.redactor.add(user_id, role.id_var);
            Ok(User {
                user_id: user_id.to_owned(),
                auth_token: auth_token.to_owned(),
                admin: roles_say_admin(data.get("me").and_then(|m| m.get("roles"))),
                username: Some(username.clone()),
            })
        }
    }
}

fn refused(what: &str, resp: &Resp, flags: &str, http: &Http) -> SetupFailure {
    SetupFailure::new(
        SetupProblem::CredentialsRefused,
        format!(
            "{what} was refused with {} {}: fix {flags}",
            resp.status,
            snippet(&http.redactor.redact(&resp.text()), 200)
        ),
    )
}

/// Whether a `roles` array names `admin` (None when there is no array).
fn roles_say_admin(roles: Option<&Value>) -> Option<bool> {
    roles
        .and_then(Value::as_array)
        .map(|a| a.iter().any(|r| r.as_str() == Some("admin")))
}

/// Managed mode without a caller or second user: creates a non-admin user under the run's
/// prefix (removed with the rest of the managed data) and logs in as it.
fn make_user(
    http: &mut Http,
    setup: &mut Setup,
    managed: &Managed,
    tag: &str,
    role: Role,
) -> Result<(User, Credentials), SetupFailure> {
    let username = format!("{}{tag}", managed.prefix);
    let prep = |m: String| SetupFailure::new(SetupProblem::Preparation, m);
    let req =
        crate::managed::users_create(&username, &format!("Conformance {tag}"), &managed.password)
            .header("X-Auth-Token", &managed.admin.auth_token)
            .header("X-User-Id", &managed.admin.user_id);
    let resp = send(http, setup, req).map_err(|e| transport(e, "users.create"))?;
    let body = resp.json().unwrap_or(Value::Null);
    let Some(id) = body["user"]["_id"].as_str().filter(|_| resp.status == 200) else {
        return Err(prep(format!(
            "managed mode: creating {} with POST /api/v1/users.create answered {} {}",
            role.who,
            resp.status,
            snippet(&http.redactor.redact(&body.to_string()), 300)
        )));
    };
    crate::managed::record_created(http, managed, "user", &username, id, "(set-up)");
    let creds = Credentials::Login {
        username: username.clone(),
        password: managed.password.clone(),
    };
    let mut user = authenticate(http, setup, &creds, role)?;
    user.admin = Some(false);
    Ok((user, creds))
}
