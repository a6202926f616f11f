/*!
`cargo xtask bench`: the reference server's speed and memory, measured, written to
`bench/results.json` and `bench/results.md`.

For each workspace size (10k and 100k users; 1M with `--large`) it generates a fixture
(`cargo xtask fixtures`, seed 1), then measures:
- in-process latency of each operation (the `latency` example: every request timed, median and
  99th percentile from an HDR histogram);
- the load time and peak resident memory of the release server process;
- HTTP throughput and p99 over loopback with `wrk`, side by side with the server's own baseline
  endpoint answering a fixed body of the same size, so the figure is a ratio that survives a
  noisy machine: [`HTTP_ROUNDS`] rounds of 2 s each, the endpoint and the baseline in turn, and
  the median of each figure and of the rounds' ratios;
- the wall time of the whole conformance catalog (managed mode) against a local reference
  server: on loopback, and through a proxy that delays each way by 10 ms (a server in the same
  region), with `--jobs 1` and with the default (the two must give every check the same
  verdict). `--suite` measures only this and keeps the other committed figures.

`--check` compares a fresh run with the committed `bench/results.json` and fails when a latency
median grows, or a throughput ratio shrinks, by more than [`ALLOWED_RATIO`].
*/

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::delay_proxy::DelayProxy;
use crate::{cargo, project_root, target_dir};

/// How much worse a figure may get before `--check` fails: timings on shared machines are noisy.
pub const ALLOWED_RATIO: f64 = 2.0;

const ADMIN: &str = "rocketchat.internal.admin.test";

struct Server {
    child: Child,
    url: String,
    load_seconds: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn release_bin(name: &str) -> PathBuf {
    target_dir().join("release").join(name)
}

fn start_server(fixture: &Path) -> Result<Server, String> {
    let started = Instant::now();
    let mut child = Command::new(release_bin("reference-server"))
        .args(["--port", "0", "--test-control", "--fixtures"])
        .arg(fixture)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the reference server: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let url = line
        .trim()
        .strip_prefix("reference-server listening on ")
        .ok_or_else(|| format!("the server did not start: {line:?}"))?
        .to_owned();
    Ok(Server {
        child,
        url,
        load_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Peak and current resident memory of a process, in MiB, from `/proc`.
fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn curl(args: &[&str]) -> Result<String, String> {
    let out = Command::new("curl")
        .arg("-sS")
        .args(args)
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

fn login(url: &str) -> Result<(String, String), String> {
    let body = format!(r#"{{"user":"{ADMIN}","password":"{ADMIN}"}}"#);
    let answer = curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
        &format!("{url}/api/v1/login"),
    ])?;
    let v: Value =
        serde_json::from_str(&answer).map_err(|e| format!("login answer {answer:?}: {e}"))?;
    let id = v["data"]["userId"]
        .as_str()
        .ok_or("login failed")?
        .to_owned();
    let token = v["data"]["authToken"]
        .as_str()
        .ok_or("login failed")?
        .to_owned();
    Ok((id, token))
}

/// How many times an HTTP comparison runs the endpoint and the baseline in turn.
const HTTP_ROUNDS: usize = 5;

/// `wrk` against one URL for 2 s: requests per second and the 99th percentile in ms.
fn wrk(url: &str, auth: &(String, String)) -> Result<(f64, f64), String> {
    let out = Command::new("wrk")
        .args(["-t2", "-c16", "-d2s", "--latency"])
        .args(["-H", &format!("X-User-Id: {}", auth.0)])
        .args(["-H", &format!("X-Auth-Token: {}", auth.1)])
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| parse_wrk_duration(v.trim()))
        .unwrap_or(f64::NAN);
    if text.contains("Non-2xx") {
        return Err(format!("wrk saw error answers from {url}:\n{text}"));
    }
    Ok((rps, p99))
}

/// The middle value (the mean of the two middle ones for an even count); NaN when empty.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn parse_wrk_duration(s: &str) -> f64 {
    let (number, factor) = if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (s, f64::NAN)
    };
    number
        .parse::<f64>()
        .map(|n| n * factor)
        .unwrap_or(f64::NAN)
}

/// One HTTP comparison: the endpoint and the baseline of the same body size.
fn http_pair(
    server: &Server,
    auth: &(String, String),
    name: &str,
    path: &str,
) -> Result<Value, String> {
    let url = format!("{}{path}", server.url);
    let body = curl(&[
        "-H",
        &format!("X-User-Id: {}", auth.0),
        "-H",
        &format!("X-Auth-Token: {}", auth.1),
        &url,
    ])?;
    let size = body.len();
    let baseline = format!("{}/test-control/baseline?bytes={size}", server.url);
    let mut rounds = Vec::with_capacity(HTTP_ROUNDS);
    for _ in 0..HTTP_ROUNDS {
        let (rps, p99) = wrk(&url, auth)?;
        let (base_rps, base_p99) = wrk(&baseline, auth)?;
        rounds.push([rps, p99, base_rps, base_p99, rps / base_rps]);
    }
    let median_of = |k: usize| median(rounds.iter().map(|r| r[k]).collect());
    let (rps, p99, base_rps, base_p99, ratio) = (
        median_of(0),
        median_of(1),
        median_of(2),
        median_of(3),
        median_of(4),
    );
    let row = json!({
        "op": name, "path": path, "body_bytes": size,
        "rps": rps, "p99_ms": p99, "baseline_rps": base_rps, "baseline_p99_ms": base_p99,
        "ratio": ratio, "round_ratios": rounds.iter().map(|r| r[4]).collect::<Vec<f64>>(),
    });
    println!(
        "  http {name}: {rps:.0} req/s vs baseline {base_rps:.0} req/s ({:.0}%), body {size} bytes",
        100.0 * ratio
    );
    Ok(row)
}

fn measure_size(users: usize) -> Result<Value, String> {
    let fixture = target_dir().join(format!("fixtures-{users}.json"));
    if !fixture.exists() {
        let rooms = (users / 10).min(50_000);
        crate::fixtures::generate(&fixture, users, rooms, 1).map_err(|e| e.to_string())?;
    }
    println!("{users} users ({})", fixture.display());
    let out = Command::new(release_bin("examples/latency"))
        .arg(&fixture)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the latency example: {e}"))?;
    if !out.status.success() {
        return Err(format!("the latency example failed at {users} users"));
    }
    let latency: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for row in &latency {
        println!(
            "  {:<32} median {:>8.3} ms   p99 {:>8.3} ms",
            row["op"].as_str().unwrap_or("?"),
            row["median_ms"].as_f64().unwrap_or(f64::NAN),
            row["p99_ms"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let server = start_server(&fixture)?;
    let (peak, rss) = memory_mib(server.child.id());
    println!(
        "  loaded in {:.2} s, peak RSS {peak:.0} MiB",
        server.load_seconds
    );
    let auth = login(&server.url)?;
    let http = vec![
        http_pair(&server, &auth, "presence_full", "/api/v1/users.presence")?,
        http_pair(
            &server,
            &auth,
            "directory_users_selective_4",
            "/api/v1/directory?type=users&text=7391&count=50",
        )?,
        http_pair(
            &server,
            &auth,
            "directory_users_empty",
            "/api/v1/directory?type=users&count=50",
        )?,
    ];
    Ok(json!({
        "users": users,
        "latency": latency,
        "load_seconds": server.load_seconds,
        "peak_rss_mib": peak,
        "rss_mib": rss,
        "http": http,
    }))
}

/// How far away the distant target is, each way: about what a server in the same region costs.
const DISTANCE_ONE_WAY_MS: u64 = 10;

/// The seed of the measured suite runs, so that every run sends the same requests.
const SUITE_SEED: &str = "20261207";

/// One run of the whole catalog (managed mode and a second user, so that no check skips) against
/// `url`, with `jobs` (the suite's default when `None`); its wall time in seconds. A run that is
/// not conformant measures nothing and is an error.
fn suite_seconds(url: &str, jobs: Option<usize>) -> Result<f64, String> {
    suite_run(url, jobs, None)
}

/// [`suite_seconds`], writing the JSON report to `json` when given.
fn suite_run(url: &str, jobs: Option<usize>, json: Option<&Path>) -> Result<f64, String> {
    let mut cmd = Command::new(release_bin("conformance"));
    if let Some(json) = json {
        cmd.arg("--json").arg(json);
    }
    cmd.args([
        "--url",
        url,
        "--username",
        ADMIN,
        "--password",
        ADMIN,
        "--admin-username",
        ADMIN,
        "--admin-password",
        ADMIN,
        "--second-username",
        "normal.user",
        "--second-password",
        "rocket.chat",
        "--seed",
        SUITE_SEED,
    ]);
    if let Some(jobs) = jobs {
        cmd.args(["--jobs", &jobs.to_string()]);
    }
    let started = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run the conformance suite: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "the conformance suite against {url} exited with {status}: run it by hand to see why"
        ));
    }
    Ok(seconds)
}

/// The suite's wall time against a local reference server, on loopback and through a proxy that
/// delays each way by [`DISTANCE_ONE_WAY_MS`], with one job and with the default.
fn suite_figures() -> Result<Option<Value>, String> {
    if !release_bin("conformance").exists() {
        return Ok(None);
    }
    let server = start_server(&project_root().join("fixtures/default.json"))?;
    let loopback = suite_seconds(&server.url, None)?;
    println!("conformance suite against the reference server on loopback: {loopback:.2} s");
    let upstream = server
        .url
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| format!("the server's address {}: {e}", server.url))?;
    let proxy = DelayProxy::start(upstream, Duration::from_millis(DISTANCE_ONE_WAY_MS))
        .map_err(|e| format!("cannot start the delaying proxy: {e}"))?;
    let reports = std::env::temp_dir().join(format!("bench-suite-{}", std::process::id()));
    std::fs::create_dir_all(&reports).map_err(|e| format!("{}: {e}", reports.display()))?;
    let (one_json, default_json) = (
        reports.join("jobs-1.json"),
        reports.join("jobs-default.json"),
    );
    let one_job = suite_run(&proxy.url(), Some(1), Some(&one_json))?;
    let default_jobs = suite_run(&proxy.url(), None, Some(&default_json))?;
    let same = same_verdicts(&one_json, &default_json);
    std::fs::remove_dir_all(&reports).ok();
    same?;
    println!(
        "at {DISTANCE_ONE_WAY_MS} ms each way: {one_job:.2} s with --jobs 1, {default_jobs:.2} s with the default ({:.1}x)",
        one_job / default_jobs
    );
    Ok(Some(json!({
        "loopback_s": loopback,
        "distance": {
            "one_way_ms": DISTANCE_ONE_WAY_MS,
            "jobs_1_s": one_job,
            "jobs_default_s": default_jobs,
            "speedup": one_job / default_jobs,
        },
    })))
}

/// Whether two reports of the catalog give every check the same verdict, as one job
/// and the default must: an error naming the first check where they differ.
fn same_verdicts(a: &Path, b: &Path) -> Result<(), String> {
    let read = |p: &Path| -> Result<Vec<(String, String)>, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let report: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(report["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["id"].as_str().unwrap_or_default().to_owned(),
                    r["status"].to_string(),
                )
            })
            .collect())
    };
    let (a, b) = (read(a)?, read(b)?);
    match a.iter().zip(&b).find(|(x, y)| x != y) {
        Some((x, y)) => Err(format!(
            "the suite with --jobs 1 and with the default disagree: {} is {} with one job and {} {} with the default",
            x.0, x.1, y.0, y.1
        )),
        None if a.len() != b.len() => Err("the two reports list different checks".into()),
        None => Ok(()),
    }
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
                    / 1048576.0
            })
        })
        .unwrap_or(0.0);
    json!({"cpu": cpu, "cores": cores, "memory_gib": (memory * 10.0).round() / 10.0})
}

fn markdown(results: &Value) -> String {
    let m = &results["machine"];
    let mut out = format!(
        "Measured by `cargo xtask bench{}` on {} ({} cores, {} GiB).\n\n",
        if results["large"].as_bool() == Some(true) {
            " --large"
        } else {
            ""
        },
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["memory_gib"]
    );
    let sizes = results["sizes"].as_array().cloned().unwrap_or_default();
    out.push_str("| operation (in-process) |");
    for s in &sizes {
        out.push_str(&format!(" {} users: median / p99 ms |", s["users"]));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(sizes.len()));
    out.push('\n');
    let ops: Vec<String> = sizes
        .first()
        .and_then(|s| s["latency"].as_array())
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["op"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for op in &ops {
        out.push_str(&format!("| `{op}` |"));
        for s in &sizes {
            let row = s["latency"]
                .as_array()
                .and_then(|rows| rows.iter().find(|r| r["op"] == op.as_str()));
            match row {
                Some(r) => out.push_str(&format!(
                    " {:.3} / {:.3} |",
                    r["median_ms"].as_f64().unwrap_or(f64::NAN),
                    r["p99_ms"].as_f64().unwrap_or(f64::NAN)
                )),
                None => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    out.push_str("\n| over HTTP (wrk, 2 threads, 16 connections; medians of 5 rounds of 2 s) | users | body | req/s | baseline req/s | ratio | p99 ms |\n|---|---|---|---|---|---|---|\n");
    for s in &sizes {
        for h in s["http"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "| `{}` | {} | {} B | {:.0} | {:.0} | {:.0}% | {:.2} |\n",
                h["op"].as_str().unwrap_or("?"),
                s["users"],
                h["body_bytes"],
                h["rps"].as_f64().unwrap_or(f64::NAN),
                h["baseline_rps"].as_f64().unwrap_or(f64::NAN),
                100.0 * h["ratio"].as_f64().unwrap_or(f64::NAN),
                h["p99_ms"].as_f64().unwrap_or(f64::NAN),
            ));
        }
    }
    out.push_str("\n| users | load time | peak resident memory |\n|---|---|---|\n");
    for s in &sizes {
        out.push_str(&format!(
            "| {} | {:.2} s | {:.0} MiB |\n",
            s["users"],
            s["load_seconds"].as_f64().unwrap_or(f64::NAN),
            s["peak_rss_mib"].as_f64().unwrap_or(f64::NAN)
        ));
    }
    let suite = &results["conformance"];
    match (suite["loopback_s"].as_f64(), &suite["distance"]) {
        (Some(s), d) => {
            out.push_str(&format!(
                "\nWhole conformance catalog (managed mode) against a local reference server, by `conformance --seed {SUITE_SEED}`:\n\n| target | `--jobs 1` | default `--jobs` | speed-up |\n|---|---|---|---|\n| loopback | – | {s:.2} s | – |\n"
            ));
            if let (Some(one), Some(default)) =
                (d["jobs_1_s"].as_f64(), d["jobs_default_s"].as_f64())
            {
                out.push_str(&format!(
                    "| through a proxy adding {} ms each way | {one:.2} s | {default:.2} s | {:.1}× |\n",
                    d["one_way_ms"],
                    one / default
                ));
            }
        }
        _ => out.push_str("\nConformance wall time: not measured (no conformance binary).\n"),
    }
    out
}

/// Figures that got worse than `ALLOWED_RATIO` compared with `old`.
fn regressions(old: &Value, new: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let index = |v: &Value| -> BTreeMap<(u64, String), (f64, Option<f64>)> {
        let mut m = BTreeMap::new();
        for s in v["sizes"].as_array().into_iter().flatten() {
            let users = s["users"].as_u64().unwrap_or(0);
            for r in s["latency"].as_array().into_iter().flatten() {
                m.insert(
                    (
                        users,
                        format!("latency {}", r["op"].as_str().unwrap_or("?")),
                    ),
                    (r["median_ms"].as_f64().unwrap_or(f64::NAN), None),
                );
            }
            for h in s["http"].as_array().into_iter().flatten() {
                m.insert(
                    (
                        users,
                        format!("http ratio {}", h["op"].as_str().unwrap_or("?")),
                    ),
                    (f64::NAN, h["ratio"].as_f64()),
                );
            }
        }
        m
    };
    for (label, path) in [
        ("the suite on loopback", ["loopback_s", ""]),
        (
            "the suite at a distance with the default --jobs",
            ["distance", "jobs_default_s"],
        ),
    ] {
        let figure = |v: &Value| {
            let v = &v["conformance"][path[0]];
            if path[1].is_empty() {
                v.as_f64()
            } else {
                v[path[1]].as_f64()
            }
        };
        if let (Some(o), Some(n)) = (figure(old), figure(new)) {
            if n > o * ALLOWED_RATIO {
                found.push(format!("{label}: {n:.2} s, was {o:.2} s"));
            }
        }
    }
    let (old, new) = (index(old), index(new));
    for (key, (new_median, new_ratio)) in &new {
        let Some((old_median, old_ratio)) = old.get(key) else {
            continue;
        };
        if new_median.is_finite()
            && old_median.is_finite()
            && *new_median > old_median * ALLOWED_RATIO
        {
            found.push(format!(
                "{} at {} users: median {new_median:.3} ms, was {old_median:.3} ms",
                key.1, key.0
            ));
        }
        if let (Some(n), Some(o)) = (new_ratio, old_ratio) {
            if *n < o / ALLOWED_RATIO {
                found.push(format!(
                    "{} at {} users: {:.0}% of baseline, was {:.0}%",
                    key.1,
                    key.0,
                    n * 100.0,
                    o * 100.0
                ));
            }
        }
    }
    found
}

/// `large` adds 1M users; `check` compares with the committed results; `suite_only` measures
/// the conformance suite alone and keeps the committed server figures.
pub fn run(large: bool, check: bool, suite_only: bool) -> Result<std::process::ExitCode, String> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "rocketchat-reference-server",
        "--bin",
        "reference-server",
        "--example",
        "latency",
    ]);
    if !build.status().map_err(|e| e.to_string())?.success() {
        return Err("the release build failed".into());
    }
    let mut conform_build = cargo();
    conform_build.args([
        "build",
        "--release",
        "-p",
        "rocketchat-conformance",
        "--bins",
    ]);
    if !conform_build.status().map_err(|e| e.to_string())?.success() {
        return Err("the release build of the conformance suite failed".into());
    }
    let dir = project_root().join("bench");
    let committed = dir.join("results.json");
    let read_committed = || -> Result<Value, String> {
        serde_json::from_str(
            &std::fs::read_to_string(&committed)
                .map_err(|e| format!("no committed {}: {e}", committed.display()))?,
        )
        .map_err(|e| e.to_string())
    };
    let mut results = if suite_only {
        read_committed()?
    } else {
        let mut sizes = vec![10_000, 100_000];
        if large {
            sizes.push(1_000_000);
        }
        let mut measured = Vec::new();
        for users in sizes {
            measured.push(measure_size(users)?);
        }
        json!({"machine": machine(), "large": large, "sizes": measured})
    };
    results["conformance"] = suite_figures()?.unwrap_or(Value::Null);
    if let Some(o) = results.as_object_mut() {
        o.remove("conformance_seconds");
    }
    if check {
        let old = read_committed()?;
        let worse = regressions(&old, &results);
        if worse.is_empty() {
            println!("no figure worse than {ALLOWED_RATIO}× the committed results");
            return Ok(std::process::ExitCode::SUCCESS);
        }
        for w in &worse {
            eprintln!("regression: {w}");
        }
        return Ok(std::process::ExitCode::FAILURE);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(
        &committed,
        serde_json::to_string_pretty(&results).expect("JSON") + "\n",
    )
    .map_err(|e| e.to_string())?;
    let table = markdown(&results);
    std::fs::write(dir.join("results.md"), &table).map_err(|e| e.to_string())?;
    println!("\n{table}\nwrote {} and results.md", committed.display());
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_take_the_middle_of_sorted_values() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn wrk_durations_are_read_in_milliseconds() {
        assert_eq!(parse_wrk_duration("250.00us"), 0.25);
        assert_eq!(parse_wrk_duration("1.50ms"), 1.5);
        assert_eq!(parse_wrk_duration("2.00s"), 2000.0);
        assert!(parse_wrk_duration("x").is_nan());
    }

    #[test]
    fn a_doubled_median_or_halved_ratio_is_a_regression() {
        let run = |median: f64, ratio: f64| json!({"sizes": [{"users": 10, "latency": [{"op": "a", "median_ms": median}], "http": [{"op": "h", "ratio": ratio}]}]});
        assert!(regressions(&run(1.0, 0.8), &run(1.9, 0.5)).is_empty());
        assert_eq!(regressions(&run(1.0, 0.8), &run(2.1, 0.8)).len(), 1);
        assert_eq!(regressions(&run(1.0, 0.8), &run(1.0, 0.3)).len(), 1);
        let suite =
            |s: f64| json!({"conformance": {"loopback_s": 0.3, "distance": {"jobs_default_s": s}}});
        assert!(regressions(&suite(7.0), &suite(13.0)).is_empty());
        assert_eq!(regressions(&suite(7.0), &suite(15.0)).len(), 1);
    }
}
