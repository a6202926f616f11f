//! No secret leaves the suite. The binary runs with distinctive passwords and tokens against
//! the reference server (a passing run, managed mode included) and through a defect (a failing
//! run, so that failures print their curl lines), with `--verbose` and every report. Every
//! byte it writes is searched for each secret and simple transforms of it (shifted by one,
//! reversed, base64, percent-encoded), and every `authToken` and `password` value it shows,
//! the suite's own logins and created users included, must be a placeholder.

mod common;
mod support;

use std::{path::Path, process::Command};

use conformance::refserver::ReferenceServer;

const CALLER_PASSWORD: &str = "Pw@Caller!7f3Kq9xZ";
const CALLER_TOKEN: &str = "Tk-Caller-4hQ8zR2mVw6nL1";
const SECOND_TOKEN: &str = "Tk-Second-Zq81vN4mWp2xB7";
const ADMIN_PASSWORD: &str = "Pw@Admin#Q7m2Lx5Vb";

/// The reference server's default fixture plus three users with the secrets above.
fn fixture(dir: &Path) -> std::path::PathBuf {
    let mut data: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("fixtures/default.json")).unwrap(),
    )
    .unwrap();
    let users = data["users"].as_array_mut().unwrap();
    users.push(serde_json::json!({
        "_id": "secretCaller0001", "username": "secret.caller", "name": "Secret Caller",
        "roles": ["user"], "status": "online", "password": CALLER_PASSWORD,
        "tokens": [{ "token": CALLER_TOKEN }],
        "emails": [{ "address": "secret.caller@example.com", "verified": true }]
    }));
    users.push(serde_json::json!({
        "_id": "secretSecond0001", "username": "secret.second", "name": "Secret Second",
        "roles": ["user"], "status": "away", "tokens": [{ "token": SECOND_TOKEN }],
        "emails": [{ "address": "secret.second@example.com", "verified": true }]
    }));
    users.push(serde_json::json!({
        "_id": "secretAdmin00001", "username": "secret.admin", "name": "Secret Admin",
        "roles": ["admin", "user"], "status": "online", "password": ADMIN_PASSWORD,
        "emails": [{ "address": "secret.admin@example.com", "verified": true }]
    }));
    let path = dir.join("fixture.json");
    std::fs::write(&path, data.to_string()).unwrap();
    path
}

fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// A secret and the forms a careless report could carry it in.
fn transforms(secret: &str) -> Vec<(String, String)> {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let shift = |d: i8| -> String {
        secret
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    (c as u8).wrapping_add_signed(d) as char
                } else {
                    c
                }
            })
            .collect()
    };
    vec![
        ("itself".into(), secret.to_owned()),
        ("shifted up".into(), shift(1)),
        ("shifted down".into(), shift(-1)),
        ("reversed".into(), secret.chars().rev().collect()),
        ("base64".into(), base64(secret.as_bytes(), STD)),
        ("base64url".into(), base64(secret.as_bytes(), URL)),
        ("percent-encoded".into(), conformance::http::encode(secret)),
        (
            "JSON-escaped".into(),
            serde_json::to_string(secret)
                .unwrap()
                .trim_matches('"')
                .to_owned(),
        ),
    ]
}

/// Runs the binary; returns everything it wrote (stdout, stderr, each report) and its exit code.
fn run(url: &str, caller: &[&str], dir: &Path, tag: &str) -> (Vec<(String, String)>, Option<i32>) {
    let reports = ["junit.xml", "report.json", "report.html", "summary.md"]
        .map(|f| dir.join(format!("{tag}-{f}")));
    let mut command = Command::new(env!("CARGO_BIN_EXE_conformance"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONFORM_") {
            command.env_remove(k);
        }
    }
    let out = command
        .args([
            "--url",
            url,
            "--verbose",
            "--seed",
            "5",
            "--cases",
            "4",
            "--model-sequences",
            "2",
        ])
        .args(caller)
        .args([
            "--second-user-id",
            "secretSecond0001",
            "--second-auth-token",
            SECOND_TOKEN,
        ])
        .args([
            "--admin-username",
            "secret.admin",
            "--admin-password",
            ADMIN_PASSWORD,
        ])
        .arg("--junit")
        .arg(&reports[0])
        .arg("--json")
        .arg(&reports[1])
        .arg("--html")
        .arg(&reports[2])
        .arg("--markdown")
        .arg(&reports[3])
        .output()
        .unwrap();
    let mut written = vec![
        (
            format!("{tag} stdout"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            format!("{tag} stderr"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    for path in &reports {
        written.push((
            path.display().to_string(),
            std::fs::read_to_string(path).unwrap(),
        ));
    }
    (written, out.status.code())
}

/// Every value of `key` in JSON-like text (raw or escaped once) starts with `$`.
fn values_are_placeholders(written: &[(String, String)], key: &str) -> usize {
    let mut seen = 0;
    for (name, text) in written {
        for (at, _) in text
            .match_indices(&format!("{key}\\\":\\\""))
            .chain(text.match_indices(&format!("{key}\":\"")))
        {
            let rest = &text[at + key.len()..];
            let value = rest.trim_start_matches(['\\', '"', ':']);
            seen += 1;
            assert!(
                value.starts_with('$'),
                "{name} shows a {key} that is not a placeholder: {}",
                &value[..value.len().min(40)]
            );
        }
    }
    seen
}

#[test]
fn no_secret_appears_in_any_output() {
    let dir = std::env::temp_dir().join(format!("conformance-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = ReferenceServer::start(&common::reference_bin(), &fixture(&dir)).unwrap();

    let (mut written, code) = run(
        &server.url,
        &["--username", "secret.caller", "--password", CALLER_PASSWORD],
        &dir,
        "passing",
    );
    assert_eq!(code, Some(0), "{}", written[0].1);

    let defect = support::defects::DEFECTS
        .iter()
        .find(|d| d.name == "auth-wrong-token-accepted")
        .unwrap();
    let proxy = support::proxy::Proxy::start(&server.url, Some(defect));
    let (failing, code) = run(
        &proxy.url,
        &[
            "--user-id",
            "secretCaller0001",
            "--auth-token",
            CALLER_TOKEN,
        ],
        &dir,
        "failing",
    );
    assert_eq!(code, Some(1), "{}", failing[0].1);
    assert!(
        failing[0].1.contains("curl:"),
        "the failing run printed no curl line"
    );
    written.extend(failing);

    for secret in [CALLER_PASSWORD, CALLER_TOKEN, SECOND_TOKEN, ADMIN_PASSWORD] {
        for (how, form) in transforms(secret) {
            for (name, text) in &written {
                assert!(
                    !text.contains(&form),
                    "{name} holds a secret ({how}): {form}"
                );
            }
        }
    }
    // The tokens of the suite's own logins and the created users' passwords.
    assert!(
        values_are_placeholders(&written, "authToken") > 0,
        "no login answer was shown"
    );
    assert!(
        values_are_placeholders(&written, "password") > 0,
        "no password was shown"
    );
    std::fs::remove_dir_all(&dir).ok();
}
