//! A mutating HTTP/1.1 proxy for the kill matrix: it listens on 127.0.0.1:0, forwards every
//! request (test control included) to a running reference server, and lets one [`Defect`]
//! rewrite the request before forwarding and the response before answering. With no defect it
//! is an honest pass-through, so the catalog must pass through it exactly as it passes directly.
//!
//! It also remembers what went through it that a defect may need: the tokens that logins
//! issued (per user id) and the private groups created, with their creators.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    thread,
    time::Duration,
};

use conformance::http::encode;
use serde_json::Value;

use super::defects::Defect;

/// A request as the proxy received it; defects may change it before it is forwarded.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The query string as received (used unless a parameter was changed).
    pub raw_query: String,
    /// Decoded `(name, value)` pairs, in order.
    pub params: Vec<(String, String)>,
    params_changed: bool,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn is(&self, path: &str) -> bool {
        self.path == path
    }

    pub fn presence(&self) -> bool {
        self.is("/api/v1/users.presence")
    }

    pub fn directory(&self) -> bool {
        self.is("/api/v1/directory")
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_param(&self, name: &str) -> bool {
        self.params.iter().any(|(n, _)| n == name)
    }

    /// Replaces every value of `name` by one `value` (appends it when absent).
    pub fn set_param(&mut self, name: &str, value: &str) {
        self.remove_param(name);
        self.params.push((name.to_owned(), value.to_owned()));
        self.params_changed = true;
    }

    pub fn remove_param(&mut self, name: &str) {
        let before = self.params.len();
        self.params.retain(|(n, _)| n != name);
        self.params_changed |= before != self.params.len();
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// The caller's `X-User-Id`.
    pub fn caller(&self) -> Option<&str> {
        self.header("x-user-id")
    }

    pub fn json_body(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn set_json_body(&mut self, v: &Value) {
        self.body = v.to_string().into_bytes();
    }

    /// A directory criterion (`text`, `type`, `workspace`): a non-empty top-level value, else
    /// the one inside the `query` JSON.
    pub fn dir_field(&self, name: &str) -> Option<String> {
        if let Some(v) = self.param(name).filter(|v| !v.is_empty()) {
            return Some(v.to_owned());
        }
        let q: Value = serde_json::from_str(self.param("query")?).ok()?;
        q.get(name).and_then(Value::as_str).map(str::to_owned)
    }

    /// Sets a directory criterion in the form the request uses (`query` JSON when present).
    pub fn set_dir_field(&mut self, name: &str, value: &str) {
        if let Some(Ok(Value::Object(mut q))) = self.param("query").map(serde_json::from_str) {
            q.insert(name.to_owned(), Value::String(value.to_owned()));
            self.set_param("query", &Value::Object(q).to_string());
        } else {
            self.set_param(name, value);
        }
    }

    /// The path and query as forwarded.
    pub fn target(&self) -> String {
        let query = if self.params_changed {
            self.params
                .iter()
                .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        } else {
            self.raw_query.clone()
        };
        if query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{query}", self.path)
        }
    }
}

/// An answer; defects may change it before it is sent back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn set_json(&mut self, v: &Value) {
        self.body = v.to_string().into_bytes();
    }

    /// Applies `f` to the JSON object body, if it is one.
    pub fn edit(&mut self, f: impl FnOnce(&mut serde_json::Map<String, Value>)) {
        if let Some(Value::Object(mut m)) = self.json() {
            f(&mut m);
            self.set_json(&Value::Object(m));
        }
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// A JSON answer made up by the proxy.
    pub fn made_up(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
}

/// A private group created through the proxy.
#[derive(Debug, Clone)]
pub struct Group {
    pub creator: String,
    pub item: Value,
}

/// What the proxy knows, shared by its connections and handed to the defects.
pub struct Shared {
    upstream: String,
    client: reqwest::blocking::Client,
    /// Tokens issued by logins, per user id (the latest last).
    pub tokens: Mutex<HashMap<String, Vec<String>>>,
    /// Usernames of users who logged in, per id.
    pub usernames: Mutex<HashMap<String, String>>,
    pub groups: Mutex<Vec<Group>>,
    /// Requests seen, per path (for "the first request to …" defects).
    pub seen: Mutex<HashMap<String, usize>>,
    pub stalls: AtomicUsize,
}

impl Shared {
    /// Sends a request upstream as is.
    pub fn forward(&self, req: &Request) -> Response {
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
        let mut b = self
            .client
            .request(method, format!("{}{}", self.upstream, req.target()));
        for (n, v) in &req.headers {
            if !["host", "content-length", "connection", "transfer-encoding"]
                .contains(&n.to_ascii_lowercase().as_str())
            {
                b = b.header(n, v);
            }
        }
        if !req.body.is_empty() {
            b = b.body(req.body.clone());
        }
        match b.send() {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let body = resp.bytes().map(|b| b.to_vec()).unwrap_or_default();
                Response {
                    status,
                    headers,
                    body,
                }
            }
            Err(e) => Response::made_up(
                502,
                serde_json::json!({"success": false, "error": format!("proxy: {e}")}),
            ),
        }
    }

    /// The user id a token was issued to, as seen in login answers.
    pub fn user_of_token(&self, token: &str) -> Option<String> {
        self.tokens
            .lock()
            .unwrap()
            .iter()
            .find(|(_, ts)| ts.iter().any(|t| t == token))
            .map(|(u, _)| u.clone())
    }

    pub fn latest_token(&self, user: &str) -> Option<String> {
        self.tokens
            .lock()
            .unwrap()
            .get(user)
            .and_then(|ts| ts.last().cloned())
    }

    pub fn token_known_for(&self, user: &str, token: &str) -> bool {
        self.tokens
            .lock()
            .unwrap()
            .get(user)
            .is_some_and(|ts| ts.iter().any(|t| t == token))
    }

    /// How many requests to `path` came before this one.
    fn count(&self, path: &str) -> usize {
        let mut seen = self.seen.lock().unwrap();
        let n = seen.entry(path.to_owned()).or_default();
        *n += 1;
        *n - 1
    }

    /// Whether this is the first request to `path` (counted before the defect runs).
    pub fn first_of(&self, req: &Request) -> bool {
        self.seen.lock().unwrap().get(&req.path) == Some(&1)
    }

    /// Learns from answers: login tokens, created groups.
    fn learn(&self, req: &Request, resp: &Response) {
        if resp.status != 200 {
            return;
        }
        let Some(body) = resp.json() else { return };
        if req.is("/api/v1/login") {
            let data = &body["data"];
            if let (Some(id), Some(token)) = (data["userId"].as_str(), data["authToken"].as_str()) {
                self.tokens
                    .lock()
                    .unwrap()
                    .entry(id.to_owned())
                    .or_default()
                    .push(token.to_owned());
                if let Some(name) = data["me"]["username"].as_str() {
                    self.usernames
                        .lock()
                        .unwrap()
                        .insert(id.to_owned(), name.to_owned());
                }
            }
        } else if req.is("/api/v1/groups.create") {
            if let (Some(creator), Some(group)) = (req.caller(), body.get("group")) {
                self.groups.lock().unwrap().push(Group {
                    creator: creator.to_owned(),
                    item: group.clone(),
                });
            }
        }
    }
}

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` applying `defect` (none: honest).
    pub fn start(upstream: &str, defect: Option<&'static Defect>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            tokens: Mutex::default(),
            usernames: Mutex::default(),
            groups: Mutex::default(),
            seen: Mutex::default(),
            stalls: AtomicUsize::new(0),
        });
        let stop2 = stop.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                thread::spawn(move || serve(stream, &shared, defect));
            }
        });
        Proxy { url, stop }
    }
}

/// Serves one connection (keep-alive) until the client closes it.
fn serve(stream: TcpStream, shared: &Shared, defect: Option<&'static Defect>) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut writer = write_half;
    loop {
        let Some((mut req, close)) = read_request(&mut reader) else {
            return;
        };
        shared.count(&req.path);
        let made_up = defect.and_then(|d| (d.request)(&mut req, shared));
        let mut resp = match made_up {
            Some(r) => r,
            None => {
                let r = shared.forward(&req);
                shared.learn(&req, &r);
                r
            }
        };
        if let Some(d) = defect {
            (d.response)(&req, &mut resp, shared);
        }
        if write_response(&mut writer, &resp, close).is_err() || close {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(Request, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    let close = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"));
    let (path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target.clone(), String::new()),
    };
    let params = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n), decode(v))
        })
        .collect();
    Some((
        Request {
            method,
            path,
            raw_query,
            params,
            params_changed: false,
            headers,
            body,
        },
        close,
    ))
}

/// Percent-decoding as `qs` does it (`+` is a space; bad escapes stay as they are).
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_response(w: &mut TcpStream, resp: &Response, close: bool) -> std::io::Result<()> {
    let reason = reqwest::StatusCode::from_u16(resp.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", resp.status);
    for (n, v) in &resp.headers {
        if !["content-length", "transfer-encoding", "connection"]
            .contains(&n.to_ascii_lowercase().as_str())
        {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: {}\r\n\r\n",
        resp.body.len(),
        if close { "close" } else { "keep-alive" }
    ));
    w.write_all(head.as_bytes())?;
    w.write_all(&resp.body)?;
    w.flush()
}
