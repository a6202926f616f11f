//! In-process test harness: builds the app around a fixture with a stopped clock and calls it
//! without a socket.

#![allow(dead_code)]

use std::sync::Arc;

use poem::{http::Method, Endpoint, EndpointExt, Request};
use reference_server::{app, AppState, FixtureSource, ServerOptions, Settings};
use serde_json::Value;

/// The workspace's root folder.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate is in the workspace")
        .to_path_buf()
}

/// 2026-01-01T00:00:00.000Z: the stopped clock every harness starts with.
pub const NOW: i64 = 1_767_225_600_000;

pub const ADMIN: (&str, &str) = ("rocket.admin", "admin-token");
pub const ALICE: (&str, &str) = ("alice", "alice-token");
pub const BOB: (&str, &str) = ("bob", "bob-token");

/// A small data set: every presence rule has a user to show it. Times relative to `NOW`.
pub const PRESENCE_FIXTURE: &str = r#"{
  "users": [
    {"_id": "rocket.cat", "username": "rocket.cat", "name": "Rocket.Cat", "type": "bot", "roles": ["bot"],
     "status": "online", "utcOffset": 0, "avatarETag": "5BB9B5ny5DkKdrwkq", "_updatedAt": "-1h"},
    {"_id": "rocket.admin", "username": "rocket.admin", "name": "Admin", "roles": ["admin", "user"],
     "status": "online", "utcOffset": -2, "password": "admin-pw", "_updatedAt": "-1h",
     "emails": [{"address": "admin@example.org", "verified": true}],
     "tokens": [{"token": "admin-token"}]},
    {"_id": "alice", "username": "alice", "name": "Alice", "status": "away", "_updatedAt": "-2m",
     "password": "alice-pw", "tokens": [{"token": "alice-token"}],
     "emails": [{"address": "alice@example.org", "verified": true}]},
    {"_id": "bob", "username": "bob", "name": "Bob", "status": "offline", "_updatedAt": "-5m",
     "password": "bob-pw", "tokens": [{"token": "bob-token"}]},
    {"_id": "carol", "username": "carol", "name": "Carol", "status": "busy", "statusText": "focus",
     "statusSource": "manual", "_updatedAt": "-30m"},
    {"_id": "dave", "username": "dave", "name": "Dave", "status": "offline", "statusText": "on leave", "_updatedAt": "-1d"},
    {"_id": "erin", "username": "erin", "name": "Erin", "status": "offline", "statusExpiresAt": "+1h", "_updatedAt": "-1d"},
    {"_id": "frank", "username": "frank", "name": "Frank", "status": "offline", "_updatedAt": "-1d"},
    {"_id": "nameless", "name": "No Username", "status": "online", "_updatedAt": "-1m"},
    {"_id": "gone", "username": "gone", "name": "Deactivated", "status": "away", "active": false,
     "tokens": [{"token": "gone-token"}], "_updatedAt": "-3m"}
  ]
}"#;

pub struct Harness {
    pub state: Arc<AppState>,
    app: poem::endpoint::BoxEndpoint<'static>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: poem::http::HeaderMap,
    pub content_type: String,
    pub raw: String,
    pub body: Value,
}

impl Reply {
    /// The `_id`s of `users` (presence) in answer order.
    pub fn user_ids(&self) -> Vec<String> {
        self.body["users"]
            .as_array()
            .unwrap_or_else(|| panic!("no users array in {}", self.raw))
            .iter()
            .map(|u| u["_id"].as_str().expect("_id is a string").to_owned())
            .collect()
    }

    pub fn sorted_user_ids(&self) -> Vec<String> {
        let mut ids = self.user_ids();
        ids.sort();
        ids
    }

    pub fn full(&self) -> bool {
        self.body["full"]
            .as_bool()
            .unwrap_or_else(|| panic!("no full flag in {}", self.raw))
    }
}

impl Harness {
    pub fn new(fixture: &str) -> Self {
        Self::with(fixture, Settings::default(), true)
    }

    pub fn with(fixture: &str, settings: Settings, test_control: bool) -> Self {
        let mut options = ServerOptions::new(FixtureSource::Inline {
            name: "test-fixture.json".into(),
            text: fixture.into(),
        });
        options.settings = settings;
        options.test_control = test_control;
        options.start_clock_at = Some(NOW);
        let state = Arc::new(AppState::new(options).expect("the test fixture loads"));
        let app = app(state.clone()).boxed();
        Self { state, app }
    }

    pub fn presence() -> Self {
        Self::new(PRESENCE_FIXTURE)
    }

    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri.parse().expect("a valid test uri"));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = match body {
            Some(body) => req.content_type("application/json").body(body.to_owned()),
            None => req.finish(),
        };
        let resp = self.app.get_response(req).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let raw = resp.into_body().into_string().await.expect("a UTF-8 body");
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            content_type,
            raw,
            body,
        }
    }

    /// GET as a user, with both auth headers.
    pub async fn get_as(&self, who: (&str, &str), uri: &str) -> Reply {
        self.request(
            Method::GET,
            uri,
            &[("X-User-Id", who.0), ("X-Auth-Token", who.1)],
            None,
        )
        .await
    }

    pub async fn post_as(&self, who: (&str, &str), uri: &str, body: &str) -> Reply {
        self.request(
            Method::POST,
            uri,
            &[("X-User-Id", who.0), ("X-Auth-Token", who.1)],
            Some(body),
        )
        .await
    }

    pub async fn get_anonymous(&self, uri: &str) -> Reply {
        self.request(Method::GET, uri, &[], None).await
    }

    pub fn now(&self) -> i64 {
        self.state.clock.now()
    }

    /// An ISO 8601 instant `ms_ago` milliseconds before the server's now, percent-encoded.
    pub fn iso_ago(&self, ms_ago: i64) -> String {
        reference_server::time::to_iso(self.now() - ms_ago)
    }
}
