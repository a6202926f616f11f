//! The `reference-server` binary: starts on a free loopback port, serves the seed documents'
//! curl examples verbatim, and refuses a bad fixture file with a precise error.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/default.json")
}

/// A running server, killed when dropped.
struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(["--port", "0", "--fixtures"])
        .arg(fixtures())
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("reference-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Running { child, url }
}

/// Runs a seed document's curl command with its host replaced by the test server's.
fn curl(seed_command: &str, url: &str) -> (Value, String) {
    let command = seed_command.replace("http://localhost:3000", url);
    let out = Command::new("bash")
        .args(["-c", &format!("{command} -s -w '\\n%{{http_code}}'")])
        .output()
        .expect("bash and curl are installed");
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap_or((&text, ""));
    let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON ({code}): {body}"));
    (json, code.to_owned())
}

const PRESENCE_ALL: &str = r#"curl -H "X-Auth-Token: 9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq" \
     -H "X-User-Id: aobEdbYhXfu5hkeqG" \
     http://localhost:3000/api/v1/users.presence"#;

const PRESENCE_FROM: &str = r#"curl -H "X-Auth-Token: 9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq" \
     -H "X-User-Id: aobEdbYhXfu5hkeqG" \
     http://localhost:3000/api/v1/users.presence?from=2019-05-22T12:11:45.392Z"#;

#[test]
fn seed_presence_curl_examples_work_verbatim() {
    let server = start(&[]);
    let (all, code) = curl(PRESENCE_ALL, &server.url);
    assert_eq!(code, "200");
    assert_eq!(all["success"], Value::Bool(true));
    assert_eq!(all["full"], Value::Bool(true));
    let users = all["users"].as_array().unwrap();
    let cat = users
        .iter()
        .find(|u| u["_id"] == "rocket.cat")
        .expect("rocket.cat is online");
    assert_eq!(cat["avatarETag"], "5BB9B5ny5DkKdrwkq");
    let admin = users
        .iter()
        .find(|u| u["_id"] == "rocketchat.internal.admin.test")
        .unwrap();
    assert_eq!(admin["utcOffset"], -2);
    // 2019 is far more than 10 minutes ago: the full list, as the seed's rule says.
    let (from, code) = curl(PRESENCE_FROM, &server.url);
    assert_eq!(code, "200");
    assert_eq!(from["full"], Value::Bool(true));
    assert_eq!(from["users"], all["users"]);
}

#[test]
fn port_zero_picks_a_free_port_and_test_control_is_off_by_default() {
    let a = start(&[]);
    let b = start(&["--test-control"]);
    assert_ne!(a.url, b.url);
    let off = Command::new("curl")
        .args(["-s", &format!("{}/test-control/clock", a.url)])
        .output()
        .unwrap();
    let off: Value = serde_json::from_slice(&off.stdout).unwrap();
    assert_eq!(off["success"], Value::Bool(false));
    let on = Command::new("curl")
        .args(["-s", &format!("{}/test-control/clock", b.url)])
        .output()
        .unwrap();
    let on: Value = serde_json::from_slice(&on.stdout).unwrap();
    assert_eq!(on["success"], Value::Bool(true));
}

#[test]
fn a_bad_fixture_file_stops_the_server_naming_file_place_and_problem() {
    let dir = std::env::temp_dir().join(format!("refserver-bad-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        "{\"users\": [\n  {\"_id\": \"a\", \"status\": \"sleeping\"}\n]}",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(["--port", "0", "--fixtures"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&file.display().to_string()),
        "names the file: {err}"
    );
    assert!(err.contains("users[0].status"), "names the place: {err}");
    assert!(
        err.contains("unknown variant `sleeping`"),
        "names the problem: {err}"
    );
    assert!(err.contains("line 2"), "gives the line: {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_fixture_file_stops_the_server_with_its_path() {
    let out = Command::new(env!("CARGO_BIN_EXE_reference-server"))
        .args(["--port", "0", "--fixtures", "/nonexistent/fixture.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/fixture.json") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn companion_demo_script_passes_against_the_binary() {
    let server = start(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/companion-demo.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&server.url)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.ends_with("OK\n"), "{stdout}");
}
