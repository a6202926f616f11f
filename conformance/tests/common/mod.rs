//! Shared test support: finds (or builds) the reference server's binary next to this test
//! executable and starts it, and a tiny misbehaving HTTP server for the Error paths.
#![allow(dead_code)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::PathBuf,
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, OnceLock,
    },
    thread,
    time::Duration,
};

use conformance::{
    config::{Config, Credentials},
    refserver::ReferenceServer,
};

/// The suite's binary, without the `CONFORM_*` variables of the environment the tests run in.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_conformance"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONFORM_") {
            c.env_remove(k);
        }
    }
    c
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `<target>/debug/reference-server`, built if missing.
pub fn reference_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // …/debug/deps/test-binary → …/debug
        let dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
        let bin = dir.join(format!("reference-server{}", std::env::consts::EXE_SUFFIX));
        if !bin.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .current_dir(root())
                .args([
                    "build",
                    "-p",
                    "rocketchat-reference-server",
                    "--bin",
                    "reference-server",
                ])
                .status()
                .expect("cannot run cargo build");
            assert!(status.success(), "building the reference server failed");
        }
        assert!(bin.exists(), "no reference server at {}", bin.display());
        bin
    })
    .clone()
}

pub fn start_reference() -> ReferenceServer {
    ReferenceServer::start(&reference_bin(), &root().join("fixtures/default.json"))
        .expect("reference server starts")
}

/// A configuration as reference-server mode builds it.
pub fn reference_config(url: &str) -> Config {
    let mut c = Config::new(url);
    c.credentials = Some(Credentials::Login {
        username: "rocketchat.internal.admin.test".into(),
        password: "rocketchat.internal.admin.test".into(),
    });
    c.second = Some(Credentials::Login {
        username: "normal.user".into(),
        password: "rocket.chat".into(),
    });
    c.admin_credentials = c.credentials.clone();
    c.seed = Some(42);
    c
}

/// How the stub answers a request for a path under `/api/v1/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    Html,
    TruncatedJson,
    Reset,
    Hang,
    Redirect,
    Enormous,
    /// 429 with `Retry-After: 0` on every other request, a valid presence answer otherwise.
    TooManyRequestsOnce,
    ServerError,
    /// 200 `{"users":[],"full":true,"success":true}` to everything, credentials or not.
    AlwaysFull,
    /// Answers `/api/info`, then never anything else (30 s of silence per request).
    HangAfterInfo,
    /// A web site: 200 with an HTML page for every path, `/api/info` included.
    HtmlSite,
    /// 401 with Rocket.Chat's envelope for every path, `/api/info` included.
    Unauthorized,
    /// `/api/info` sends 50 MB.
    EnormousInfo,
}

/// A stub target on 127.0.0.1:0: `/api/info` and `/api/v1/me` answer properly (but for
/// `AlwaysFull`, which answers everything alike), the rest of `/api/v1/*` misbehaves.
pub struct Stub {
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

pub fn stub(m: Misbehaviour) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    thread::spawn(move || {
        let misbehaved = Arc::new(std::sync::atomic::AtomicU32::new(0));
        for stream in listener.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let misbehaved = misbehaved.clone();
            thread::spawn(move || serve(stream, m, &misbehaved));
        }
    });
    Stub { url, stop }
}

/// Serves one connection; `misbehaved` counts the requests to the endpoints under test.
fn serve(mut stream: TcpStream, m: Misbehaviour, misbehaved: &std::sync::atomic::AtomicU32) {
    let mut buf = [0u8; 8192];
    let mut req = Vec::new();
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(k) => req.extend_from_slice(&buf[..k]),
        }
    }
    let text = String::from_utf8_lossy(&req).into_owned();
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let respond = |stream: &mut TcpStream, status: &str, ct: &str, extra: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    match m {
        Misbehaviour::HtmlSite => {
            return respond(&mut stream, "200 OK", "text/html", "", b"<!DOCTYPE html><html><body>Welcome</body></html>")
        }
        Misbehaviour::Unauthorized => {
            return respond(
                &mut stream,
                "401 Unauthorized",
                "application/json",
                "",
                br#"{"success":false,"status":"error","message":"You must be logged in to do this.","error":"You must be logged in to do this."}"#,
            )
        }
        Misbehaviour::EnormousInfo => return enormous(&mut stream),
        _ => {}
    }
    if path.starts_with("/api/info") {
        return respond(
            &mut stream,
            "200 OK",
            "application/json",
            "",
            br#"{"version":"0.0.0-stub","success":true}"#,
        );
    }
    if m == Misbehaviour::HangAfterInfo {
        thread::sleep(Duration::from_secs(30));
        return;
    }
    if path.starts_with("/api/v1/me") && m != Misbehaviour::AlwaysFull {
        // The token check of set-up passes: the misbehaviour is in the endpoints under test.
        return respond(
            &mut stream,
            "200 OK",
            "application/json",
            "",
            br#"{"_id":"stubUser","username":"stub","roles":["user"],"success":true}"#,
        );
    }
    if !path.starts_with("/api/v1/") {
        return respond(
            &mut stream,
            "404 Not Found",
            "application/json",
            "",
            br#"{"success":false}"#,
        );
    }
    let n = misbehaved.fetch_add(1, Ordering::SeqCst) + 1;
    match m {
        Misbehaviour::Html => respond(
            &mut stream,
            "200 OK",
            "text/html",
            "",
            b"<html><body>Welcome</body></html>",
        ),
        Misbehaviour::TruncatedJson => respond(
            &mut stream,
            "200 OK",
            "application/json",
            "",
            br#"{"users":[{"_id":"a","#,
        ),
        Misbehaviour::Reset => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Misbehaviour::Hang
        | Misbehaviour::HangAfterInfo
        | Misbehaviour::HtmlSite
        | Misbehaviour::Unauthorized
        | Misbehaviour::EnormousInfo => thread::sleep(Duration::from_secs(3)),
        Misbehaviour::Redirect => respond(
            &mut stream,
            "302 Found",
            "text/plain",
            "Location: http://127.0.0.1:9/elsewhere\r\n",
            b"",
        ),
        Misbehaviour::Enormous => enormous(&mut stream),
        Misbehaviour::TooManyRequestsOnce if n % 2 == 1 => respond(
            &mut stream,
            "429 Too Many Requests",
            "application/json",
            "Retry-After: 0\r\n",
            br#"{"success":false,"error":"Error, too many requests"}"#,
        ),
        Misbehaviour::TooManyRequestsOnce => respond(
            &mut stream,
            "200 OK",
            "application/json",
            "",
            br#"{"users":[],"full":true,"success":true}"#,
        ),
        Misbehaviour::AlwaysFull => respond(
            &mut stream,
            "200 OK",
            "application/json",
            "",
            br#"{"users":[],"full":true,"success":true}"#,
        ),
        Misbehaviour::ServerError => respond(
            &mut stream,
            "500 Internal Server Error",
            "application/json",
            "",
            br#"{"success":false,"error":"boom"}"#,
        ),
    }
}

/// 50 MB of JSON whitespace, announced with its length.
fn enormous(stream: &mut TcpStream) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\nConnection: close\r\n\r\n";
    let _ = stream.write_all(head.as_bytes());
    let chunk = vec![b' '; 65536];
    for _ in 0..200 {
        if stream.write_all(&chunk).is_err() {
            return;
        }
    }
}

/// Whether jq, which replay scripts need, is installed; under CI it must be (`.ci/run` installs
/// it).
pub fn has_jq() -> bool {
    let has = Command::new("jq").arg("--version").output().is_ok();
    if !has {
        assert!(
            std::env::var_os("CI").is_none(),
            "jq is missing: .ci/run installs it"
        );
        eprintln!("skipped running the replay script: jq is not installed");
    }
    has
}

/// Runs a replay script against `url` as the reference fixtures' admin; the last answer it
/// printed.
pub fn replay(script: &str, url: &str) -> serde_json::Value {
    let admin = "rocketchat.internal.admin.test";
    let login = reqwest::blocking::Client::new()
        .post(format!("{url}/api/v1/login"))
        .header("Content-Type", "application/json")
        .body(serde_json::json!({ "user": admin, "password": admin }).to_string())
        .send()
        .unwrap()
        .text()
        .unwrap();
    let login: serde_json::Value = serde_json::from_str(&login).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replay.sh");
    std::fs::write(&path, script).unwrap();
    let out = Command::new("bash")
        .arg(&path)
        .env("URL", url)
        .env("ADMIN_USER_ID", login["data"]["userId"].as_str().unwrap())
        .env(
            "ADMIN_AUTH_TOKEN",
            login["data"]["authToken"].as_str().unwrap(),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap()).unwrap()
}
