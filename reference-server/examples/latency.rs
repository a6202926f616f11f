//! In-process latency of the reference server's endpoints on a fixture, for `cargo xtask bench`.
//!
//! Each request goes through the whole HTTP application (routing, auth, rules, rendering) without
//! a socket, on a stopped clock. Every request is timed on its own and recorded in an HDR
//! histogram, which gives the median and the 99th percentile.
//!
//! Usage: `latency FIXTURE_FILE` — prints one JSON object per measured operation.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use poem::{http::Method, Endpoint, EndpointExt, Request};
use reference_server::{app, AppState, FixtureSource, ServerOptions};
use serde_json::{json, Value};

const START: i64 = 1_767_225_600_000;

struct Bench {
    app: poem::endpoint::BoxEndpoint<'static>,
    auth: (String, String),
}

impl Bench {
    async fn call(&self, method: Method, uri: &str, body: Option<&str>) -> (u16, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri.parse().unwrap());
        req = req
            .header("X-User-Id", &self.auth.0)
            .header("X-Auth-Token", &self.auth.1);
        let req = match body {
            Some(b) => req.content_type("application/json").body(b.to_owned()),
            None => req.finish(),
        };
        let resp = self.app.get_response(req).await;
        let status = resp.status().as_u16();
        (status, resp.into_body().into_vec().await.unwrap())
    }

    /// Times `uri` until 2 s or 5000 requests (at least 50), after 10 warm-up requests.
    async fn measure(&self, name: &str, uri: &str) -> Value {
        for _ in 0..10 {
            self.call(Method::GET, uri, None).await;
        }
        let mut hist = Histogram::<u64>::new(3).unwrap();
        let started = Instant::now();
        let mut bytes = 0;
        let mut n = 0;
        while n < 50 || (n < 5000 && started.elapsed() < Duration::from_secs(2)) {
            let t = Instant::now();
            let (status, body) = self.call(Method::GET, uri, None).await;
            hist.record(t.elapsed().as_nanos() as u64).unwrap();
            assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&body));
            bytes = body.len();
            n += 1;
        }
        let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1e6;
        let out = json!({"op": name, "uri": uri, "requests": n, "median_ms": ms(0.5), "p99_ms": ms(0.99), "max_ms": hist.max() as f64 / 1e6, "body_bytes": bytes});
        println!("{out}");
        out
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let fixture = std::env::args()
        .nth(1)
        .expect("usage: latency FIXTURE_FILE");
    let mut options = ServerOptions::new(FixtureSource::File(fixture.into()));
    options.start_clock_at = Some(START);
    let loaded = Instant::now();
    let state = Arc::new(AppState::new(options).expect("the fixture loads"));
    let users = state.store.read().user_count();
    eprintln!("loaded {users} users in {:?}", loaded.elapsed());
    let app = app(state.clone()).boxed();
    let mut bench = Bench {
        app,
        auth: (String::new(), String::new()),
    };
    let login =
        r#"{"user":"rocketchat.internal.admin.test","password":"rocketchat.internal.admin.test"}"#;
    let (_, body) = bench.call(Method::POST, "/api/v1/login", Some(login)).await;
    let login: Value = serde_json::from_slice(&body).unwrap();
    bench.auth = (
        login["data"]["userId"].as_str().unwrap().to_owned(),
        login["data"]["authToken"].as_str().unwrap().to_owned(),
    );

    // Age every fixture change, then change 100 users one millisecond apart.
    state.clock.advance(2 * 3_600_000);
    let changed_from = state.clock.now();
    {
        let mut store = state.store.write();
        let ids: Vec<_> = store
            .users()
            .map(|(i, _)| i)
            .filter(|&i| i > 0)
            .step_by((users / 100).max(1))
            .take(100)
            .collect();
        for idx in ids {
            store
                .modify_user(idx, state.clock.now(), |u| {
                    u.status_text = Some("changed".into())
                })
                .unwrap();
        }
    }
    state.clock.advance(1);
    let from = reference_server::time::to_iso(changed_from);
    let ids: Vec<String> = {
        let store = state.store.read();
        store
            .users()
            .step_by((users / 50).max(1))
            .take(50)
            .map(|(_, u)| u.id.to_string())
            .collect()
    };
    bench
        .measure("presence_full", "/api/v1/users.presence")
        .await;
    bench
        .measure(
            "presence_delta_100",
            &format!("/api/v1/users.presence?from={from}"),
        )
        .await;
    bench
        .measure(
            "presence_ids_50",
            &format!("/api/v1/users.presence?ids={}", ids.join(",")),
        )
        .await;
    bench
        .measure(
            "directory_users_selective_4",
            "/api/v1/directory?type=users&text=7391&count=50",
        )
        .await;
    bench
        .measure(
            "directory_users_broad_1",
            "/api/v1/directory?type=users&text=a&count=50",
        )
        .await;
    bench
        .measure(
            "directory_users_empty",
            "/api/v1/directory?type=users&count=50",
        )
        .await;
    bench
        .measure(
            "directory_channels",
            "/api/v1/directory?type=channels&text=ops&count=50",
        )
        .await;
    bench
        .measure(
            "directory_users_offset_10000",
            "/api/v1/directory?type=users&count=50&offset=10000",
        )
        .await;
}
