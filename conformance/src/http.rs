/*!
The suite's HTTP client. It exists so that every request a check sends is built the same
careful way: no default headers (a negative auth check must really send no credentials), no
redirect following, a per-request timeout that names the check, a cap on the body size, a
minimum interval between requests (`--rate-limit`) and bounded waits on `429 Retry-After`.
Every request is recorded as an [`Exchange`] with its secrets replaced by shell variables, and
with the curl command that reproduces it.
*/

use std::{
    io::Read,
    sync::{
        atomic::{AtomicU32, AtomicUsize, Ordering},
        Arc, Mutex, RwLock,
    },
    thread,
    time::{Duration, Instant},
};

use reqwest::blocking::Client as Reqwest;
use serde_json::Value;

use crate::vocabulary::Exchange;

/// A secret and the shell variable that stands for it in every report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub value: String,
    pub placeholder: String,
}

/// Replaces secrets by their placeholders.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    /// Registers a secret, with the forms it takes in a URL and in JSON. A value registered
    /// again takes the later placeholder: a password equal to the user id (as the admin of
    /// Rocket.Chat's test harness has) must still show as `$X_USER_ID` in headers and curl
    /// lines. Every non-empty value is registered, however short: a short password garbles a
    /// report, a skipped one would leak.
    pub fn add(&mut self, value: &str, placeholder: &str) {
        if value.is_empty() {
            return;
        }
        let json = serde_json::to_string(value).unwrap_or_default();
        let forms = [
            value.to_owned(),
            encode(value),
            json[1..json.len().saturating_sub(1).max(1)].to_owned(),
        ];
        for form in forms {
            if let Some(known) = self.secrets.iter_mut().find(|s| s.value == form) {
                known.placeholder = placeholder.to_owned();
            } else {
                self.secrets.push(Secret {
                    value: form,
                    placeholder: placeholder.to_owned(),
                });
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets
            .sort_by_key(|s| std::cmp::Reverse(s.value.len()));
    }

    /// Whether a value is registered.
    pub fn knows(&self, value: &str) -> bool {
        self.secrets.iter().any(|s| s.value == value)
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(&s.value) {
                out = out.replace(&s.value, &s.placeholder);
            }
        }
        out
    }
}

/// Settings of the client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// Requests per second at most; 0 = unlimited.
    pub rate_limit: f64,
    /// The longest wait a `Retry-After` may impose.
    pub max_retry_wait: Duration,
    /// How many times a 429 is retried.
    pub max_retries: u32,
    /// After this many timeouts in a row the target is taken to have stopped answering, and
    /// nothing more is sent to it.
    pub stall_after: u32,
    pub verbose: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_body_bytes: 4 * 1024 * 1024,
            rate_limit: 0.0,
            max_retry_wait: Duration::from_secs(30),
            max_retries: 3,
            stall_after: 3,
            verbose: false,
        }
    }
}

/// A request to send: path, query string, headers, optional JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    /// Already encoded, without the `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Req {
    pub fn get(path: &str) -> Self {
        Self {
            method: "GET",
            path: path.to_owned(),
            query: String::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn method(method: &'static str, path: &str) -> Self {
        Self {
            method,
            ..Self::get(path)
        }
    }

    /// Adds `name=value`, both percent-encoded.
    pub fn q(mut self, name: &str, value: &str) -> Self {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.push_str(&encode(name));
        self.query.push('=');
        self.query.push_str(&encode(value));
        self
    }

    /// Adds an already-encoded piece of query string, as is.
    pub fn raw_query(mut self, raw: &str) -> Self {
        if !self.query.is_empty() && !raw.is_empty() {
            self.query.push('&');
        }
        self.query.push_str(raw);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Path and query, e.g. `/api/v1/users.presence?from=…`.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An answer, its body read (up to the cap).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the answer arrived (for clock estimates).
    pub received: chrono::DateTime<chrono::Utc>,
    pub sent: chrono::DateTime<chrono::Utc>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            format!(
                "the body is not JSON ({e}); Content-Type {:?}; it starts with {:?}",
                self.header("content-type").unwrap_or("(none)"),
                snippet(&self.text(), 120)
            )
        })
    }
}

/// The first `max` characters of a text, with an ellipsis when cut.
pub fn snippet(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// A JSON value for a message, `(missing)` when absent.
pub fn show(v: Option<&Value>) -> String {
    v.map(|v| snippet(&v.to_string(), 200))
        .unwrap_or_else(|| "(missing)".into())
}

/// The blocking HTTP client of a check. Its [`Http::sibling`]s (one per job of `--jobs`) share
/// the connection pool, the secrets, the request budget and what is known of the target's
/// health.
pub struct Http {
    client: Reqwest,
    pub base: String,
    pub options: HttpOptions,
    pub redactor: Secrets,
    shared: Arc<Shared>,
    /// The placeholder for the next `authToken` an answer carries (else `$TOKEN_<n>`).
    next_token_name: Option<String>,
}

/// What every sibling of a client shares.
#[derive(Debug, Default)]
struct Shared {
    /// Timeouts in a row and answers so far.
    timeouts_in_a_row: AtomicU32,
    answers: AtomicU32,
    last_answer: Mutex<Option<Instant>>,
    tokens_learned: AtomicUsize,
    /// The run's one request budget: when the last request left (`--rate-limit`) and until when
    /// a `429 Retry-After` holds every request back.
    pacing: Mutex<Pacing>,
}

#[derive(Debug, Default)]
struct Pacing {
    last_request: Option<Instant>,
    hold_until: Option<Instant>,
}

/// The secrets of a run, shared by every sibling client: a token one job learns is redacted in
/// every job's output.
#[derive(Debug, Clone, Default)]
pub struct Secrets(Arc<RwLock<Redactor>>);

impl Secrets {
    pub fn add(&self, value: &str, placeholder: &str) {
        self.write().add(value, placeholder);
    }

    pub fn knows(&self, value: &str) -> bool {
        self.read().knows(value)
    }

    pub fn redact(&self, text: &str) -> String {
        self.read().redact(text)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Redactor> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Redactor> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// What kind of thing went wrong on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransportKind {
    /// No answer within `--timeout`.
    Timeout,
    /// Nothing listens at the address.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The connection closed before a whole answer arrived.
    Reset,
    /// The body is larger than `--max-body-bytes`.
    TooLarge,
    /// Nothing was sent: the target had stopped answering.
    Stalled,
    Other,
}

/// What went wrong on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub kind: TransportKind,
    pub message: String,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Http {
    pub fn new(base: &str, options: HttpOptions) -> Result<Self, String> {
        let client = Reqwest::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!(
                "rocketchat-conformance/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            options,
            redactor: Secrets::default(),
            shared: Arc::default(),
            next_token_name: None,
        })
    }

    /// Another client for the same target: same connection pool, secrets and request budget,
    /// and the same knowledge of the target's health (a stopped target stops both).
    pub fn sibling(&self) -> Self {
        Self {
            client: self.client.clone(),
            base: self.base.clone(),
            options: self.options.clone(),
            redactor: self.redactor.clone(),
            shared: self.shared.clone(),
            next_token_name: None,
        }
    }

    /// Why nothing more is sent, once `stall_after` requests in a row have timed out.
    pub fn stalled(&self) -> Option<String> {
        let in_a_row = self.shared.timeouts_in_a_row.load(Ordering::SeqCst);
        // The threshold, not the count: with several jobs, more requests may time out at once.
        (self.options.stall_after > 0 && in_a_row >= self.options.stall_after).then(|| {
            format!(
                "the target stopped answering: {} requests in a row timed out (--timeout {} s), after {} answered requests",
                self.options.stall_after,
                self.options.timeout.as_secs_f64(),
                self.shared.answers.load(Ordering::SeqCst)
            )
        })
    }

    /// When the target last answered (any job).
    pub fn last_answer_at(&self) -> Option<Instant> {
        *self
            .shared
            .last_answer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Names the `authToken` the next answer carries (e.g. `$X_AUTH_TOKEN` for the caller's
    /// login), so that every output shows it under that name.
    pub fn name_next_token(&mut self, placeholder: &str) {
        self.next_token_name = Some(placeholder.to_owned());
    }

    /// Registers every `authToken` of a JSON answer as a secret before anything records or
    /// prints the answer: a login's token never appears, even in `--verbose`.
    fn learn_tokens(&mut self, body: &[u8]) {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        match v {
                            Value::String(s) if k == "authToken" => out.push(s.clone()),
                            _ => walk(v, out),
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        if !body.windows(9).any(|w| w == b"authToken") {
            return;
        }
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let mut tokens = Vec::new();
        walk(&value, &mut tokens);
        // The name given is for this answer's token, whether new or already known.
        let mut name = self.next_token_name.take();
        for token in tokens {
            if !self.redactor.knows(&token) {
                let n = self.shared.tokens_learned.fetch_add(1, Ordering::SeqCst) + 1;
                let name = name.take().unwrap_or_else(|| format!("$TOKEN_{n}"));
                self.redactor.add(&token, &name);
            }
        }
    }

    /// Waits for the run's request budget: a `Retry-After` any job met, and `--rate-limit`
    /// counted over every job's requests.
    fn pace(&self) {
        let interval = (self.options.rate_limit > 0.0)
            .then(|| Duration::from_secs_f64(1.0 / self.options.rate_limit));
        // Each request takes its slot under the lock, then waits for it outside.
        let slot = {
            let mut pacing = self.shared.pacing.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let mut slot = now;
            if let Some(hold) = pacing.hold_until {
                slot = slot.max(hold);
            }
            if let (Some(interval), Some(last)) = (interval, pacing.last_request) {
                slot = slot.max(last + interval);
            }
            pacing.last_request = Some(slot);
            slot
        };
        let now = Instant::now();
        if slot > now {
            thread::sleep(slot - now);
        }
    }

    /// Holds every job's requests back for `wait` (a `429 Retry-After`).
    fn hold(&self, wait: Duration) {
        let mut pacing = self.shared.pacing.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + wait;
        pacing.hold_until = Some(pacing.hold_until.map_or(until, |h| h.max(until)));
    }

    /// Sends a request, honouring 429 `Retry-After`; returns the exchanges recorded (one per
    /// attempt) and the final answer or transport error. `check` names the check in errors.
    pub fn send(
        &mut self,
        req: &Req,
        check: &str,
    ) -> (Vec<Exchange>, Result<Resp, TransportError>) {
        let mut exchanges = Vec::new();
        if let Some(why) = self.stalled() {
            return (
                exchanges,
                Err(TransportError {
                    kind: TransportKind::Stalled,
                    message: format!(
                        "{} {} not sent: {why} (check {check})",
                        req.method, req.path
                    ),
                }),
            );
        }
        let mut attempt = 0;
        loop {
            let (exchange, result) = self.send_once(req, check);
            if self.options.verbose {
                eprintln!("{}", render_exchange(&exchange));
            }
            exchanges.push(exchange);
            match result {
                Ok(resp) if resp.status == 429 && attempt < self.options.max_retries => {
                    attempt += 1;
                    let wait = retry_after(&resp).unwrap_or(Duration::from_secs(1));
                    if wait > self.options.max_retry_wait {
                        return (
                            exchanges,
                            Err(TransportError {
                                kind: TransportKind::Other,
                                message: format!(
                                    "{} {} answered 429 with Retry-After {} s, more than the {} s allowed (check {check})",
                                    req.method,
                                    req.path,
                                    wait.as_secs(),
                                    self.options.max_retry_wait.as_secs()
                                ),
                            }),
                        );
                    }
                    self.hold(wait);
                }
                Ok(resp) if resp.status == 429 => {
                    return (
                        exchanges,
                        Err(TransportError {
                            kind: TransportKind::Other,
                            message: format!(
                                "{} {} still answered 429 after {} retries (check {check})",
                                req.method, req.path, self.options.max_retries
                            ),
                        }),
                    );
                }
                other => return (exchanges, other),
            }
        }
    }

    fn send_once(&mut self, req: &Req, check: &str) -> (Exchange, Result<Resp, TransportError>) {
        self.pace();
        let url = format!("{}{}", self.base, req.target());
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .expect("static method names are valid");
        let mut builder = self.client.request(method, &url);
        for (n, v) in &req.headers {
            builder = builder.header(n, v);
        }
        let body_text = req.body.as_ref().map(|b| b.to_string());
        if let Some(body) = &body_text {
            builder = builder
                .header("Content-Type", "application/json")
                .body(body.clone());
        }
        let started = Instant::now();
        let sent = chrono::Utc::now();
        let result = builder.send();
        let mut exchange = Exchange {
            method: req.method.to_owned(),
            url: self.redactor.redact(&url),
            request_headers: req
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), self.redactor.redact(v)))
                .collect(),
            request_body: body_text.as_deref().map(|b| self.redactor.redact(b)),
            status: None,
            response_headers: Vec::new(),
            response_body: String::new(),
            error: None,
            duration_ms: 0,
            curl: self.curl(req),
            cleanup: false,
            sequence: None,
        };
        let outcome = match result {
            Err(e) => Err(describe_error(&e, req, check, self.options.timeout)),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers: Vec<(String, String)> = resp
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                exchange.status = Some(status);
                exchange.response_headers = headers.clone();
                let cap = self.options.max_body_bytes;
                let mut body = Vec::new();
                let read = resp.take(cap as u64 + 1).read_to_end(&mut body);
                match read {
                    Err(e) => Err(TransportError {
                        kind: classify(&e),
                        message: format!(
                            "{} {}: reading the body failed: {} (check {check})",
                            req.method,
                            req.path,
                            error_chain(&e)
                        ),
                    }),
                    Ok(_) if body.len() > cap => Err(TransportError {
                        kind: TransportKind::TooLarge,
                        message: format!(
                            "{} {}: the body is larger than the {cap} bytes allowed (--max-body-bytes) (check {check})",
                            req.method, req.path
                        ),
                    }),
                    Ok(_) => Ok(Resp {
                        status,
                        headers,
                        body,
                        received: chrono::Utc::now(),
                        sent,
                    }),
                }
            }
        };
        exchange.duration_ms = started.elapsed().as_millis() as u64;
        match &outcome {
            Err(e) if e.kind == TransportKind::Timeout => {
                self.shared.timeouts_in_a_row.fetch_add(1, Ordering::SeqCst);
            }
            _ => {
                self.shared.timeouts_in_a_row.store(0, Ordering::SeqCst);
                self.shared.answers.fetch_add(1, Ordering::SeqCst);
                *self
                    .shared
                    .last_answer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
            }
        }
        match &outcome {
            Ok(resp) => {
                self.learn_tokens(&resp.body);
                exchange.response_body = self.redactor.redact(&snippet(&resp.text(), 8192));
            }
            Err(e) => exchange.error = Some(self.redactor.redact(&e.message)),
        }
        for (_, v) in exchange.response_headers.iter_mut() {
            *v = self.redactor.redact(v);
        }
        (exchange, outcome)
    }

    /// The curl command reproducing a request, secrets as shell variables.
    pub fn curl(&self, req: &Req) -> String {
        let url = format!("{}{}", self.base, req.target());
        let mut out = String::from("curl -sS -i");
        if req.method != "GET" {
            out.push_str(&format!(" -X {}", req.method));
        }
        for (n, v) in &req.headers {
            out.push_str(&format!(
                " -H {}",
                shell_quote(&format!("{n}: {}", self.redactor.redact(v)))
            ));
        }
        if let Some(body) = &req.body {
            out.push_str(" -H 'Content-Type: application/json'");
            out.push_str(&format!(
                " --data {}",
                shell_quote(&self.redactor.redact(&body.to_string()))
            ));
        }
        out.push(' ');
        out.push_str(&shell_quote(&self.redactor.redact(&url)));
        out
    }
}

/// Quotes for a POSIX shell; `$VARIABLES` stay expandable (double quotes) when present.
pub fn shell_quote(s: &str) -> String {
    if s.contains('$') && !s.contains(['"', '\\', '`']) {
        // Placeholders such as $X_AUTH_TOKEN must expand.
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn retry_after(resp: &Resp) -> Option<Duration> {
    let value = resp.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// What kind of failure an error is, from its chain of causes.
fn classify(e: &(dyn std::error::Error + 'static)) -> TransportKind {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return TransportKind::Refused,
                std::io::ErrorKind::TimedOut => return TransportKind::Timeout,
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => return TransportKind::Reset,
                _ => {}
            }
        }
        source = s.source();
    }
    let text = error_chain(e).to_ascii_lowercase();
    if text.contains("dns error") || text.contains("failed to lookup address") {
        TransportKind::Dns
    } else if text.contains("tls") || text.contains("certificate") || text.contains("handshake") {
        TransportKind::Tls
    } else if text.contains("connection closed")
        || text.contains("incomplete message")
        || text.contains("connection reset")
    {
        TransportKind::Reset
    } else {
        TransportKind::Other
    }
}

fn describe_error(e: &reqwest::Error, req: &Req, check: &str, timeout: Duration) -> TransportError {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else {
        classify(e)
    };
    let (what, cause) = match kind {
        TransportKind::Timeout => {
            let message = format!(
                "{} {} timed out after {} s (check {check}; --timeout)",
                req.method,
                req.path,
                timeout.as_secs_f64()
            );
            return TransportError { kind, message };
        }
        TransportKind::Refused => ("the connection was refused", error_chain(e)),
        TransportKind::Dns => ("the host name does not resolve", error_chain(e)),
        TransportKind::Tls => ("the TLS handshake failed", error_chain(e)),
        TransportKind::Reset => ("the connection closed early", error_chain(e)),
        _ if e.is_connect() => ("cannot connect", error_chain(e)),
        _ => ("", error_chain(e)),
    };
    let message = if what.is_empty() {
        format!("{} {}: {cause} (check {check})", req.method, req.path)
    } else {
        format!(
            "{} {}: {what}: {cause} (check {check})",
            req.method, req.path
        )
    };
    TransportError { kind, message }
}

/// An exchange as text, for `--verbose` and the console report.
pub fn render_exchange(x: &Exchange) -> String {
    let mut out = format!("> {} {}\n", x.method, x.url);
    for (n, v) in &x.request_headers {
        out.push_str(&format!("> {n}: {v}\n"));
    }
    if let Some(b) = &x.request_body {
        out.push_str(&format!("> {b}\n"));
    }
    match (&x.status, &x.error) {
        (_, Some(e)) => out.push_str(&format!("< error: {e}\n")),
        (Some(s), None) => {
            out.push_str(&format!("< {s} ({} ms)\n", x.duration_ms));
            for (n, v) in &x.response_headers {
                if n.eq_ignore_ascii_case("content-type")
                    || n.eq_ignore_ascii_case("retry-after")
                    || n.eq_ignore_ascii_case("location")
                {
                    out.push_str(&format!("< {n}: {v}\n"));
                }
            }
            out.push_str(&format!("< {}\n", snippet(&x.response_body, 2000)));
        }
        (None, None) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            encode("2019-05-22T12:11:45.392Z"),
            "2019-05-22T12%3A11%3A45.392Z"
        );
    }

    #[test]
    fn a_value_registered_twice_takes_the_later_placeholder() {
        let mut r = Redactor::default();
        r.add("rocketchat.internal.admin.test", "$PASSWORD");
        r.add("rocketchat.internal.admin.test", "$X_USER_ID");
        assert_eq!(
            r.redact("X-User-Id: rocketchat.internal.admin.test"),
            "X-User-Id: $X_USER_ID"
        );
    }

    #[test]
    fn redacts_longest_secret_first() {
        let mut r = Redactor::default();
        r.add("abcd", "$SHORT");
        r.add("abcdefgh", "$LONG");
        assert_eq!(r.redact("x abcdefgh abcd"), "x $LONG $SHORT");
    }

    #[test]
    fn curl_keeps_placeholders_expandable() {
        let http = Http::new("http://h:1/", HttpOptions::default()).unwrap();
        http.redactor.add("secret-token", "$X_AUTH_TOKEN");
        let req = Req::get("/api/v1/users.presence")
            .q("from", "x y")
            .header("X-Auth-Token", "secret-token");
        assert_eq!(
            http.curl(&req),
            r#"curl -sS -i -H "X-Auth-Token: $X_AUTH_TOKEN" 'http://h:1/api/v1/users.presence?from=x%20y'"#
        );
    }

    /// A loopback server answering `200 {}` to `n` requests, one connection each.
    fn answer(n: usize) -> String {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        thread::spawn(move || {
            for stream in listener.incoming().take(n) {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                );
            }
        });
        url
    }

    #[test]
    fn the_rate_limit_is_one_budget_for_every_sibling() {
        let options = HttpOptions {
            rate_limit: 50.0,
            ..HttpOptions::default()
        };
        let http = Http::new(&answer(8), options).unwrap();
        let started = Instant::now();
        thread::scope(|scope| {
            for _ in 0..2 {
                let mut sibling = http.sibling();
                scope.spawn(move || {
                    for _ in 0..4 {
                        let (_, result) = sibling.send(&Req::get("/"), "test");
                        assert_eq!(result.unwrap().status, 200);
                    }
                });
            }
        });
        // Eight requests at 50 per second leave at least 7 intervals of 20 ms apart, whichever
        // client sends them (a lower bound, not a timing).
        assert!(started.elapsed() >= Duration::from_millis(140));
    }
}
