//! The defects of the kill matrix: each one a way a server could break one rule of the documents,
//! applied by the mutating [`proxy`](super::proxy) to an honest reference server by rewriting
//! a request before it is forwarded, or an answer before it is returned. One defect per run.
//! Every defect must make at least one check of the catalog fail, and every check must be made
//! to fail by at least one defect (`tests/kill_matrix.rs`).

use std::{sync::atomic::Ordering, thread, time::Duration};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};

use super::proxy::{Request, Response, Shared};

/// One deliberate breach of a rule.
pub struct Defect {
    /// Kebab-case, unique; the kill matrix and `conformance --list` name it.
    pub name: &'static str,
    /// `presence`, `directory` or `auth` (auth and errors).
    pub area: &'static str,
    /// One line: what the defective server does.
    pub description: &'static str,
    /// Rewrites the request; returning an answer short-circuits the upstream server.
    pub request: fn(&mut Request, &Shared) -> Option<Response>,
    /// Rewrites the answer.
    pub response: fn(&Request, &mut Response, &Shared),
}

/// The defect whose point is a timeout Error naming the check, not a Fail.
pub const STALL: &str = "stall-5-seconds";

fn no_request(_: &mut Request, _: &Shared) -> Option<Response> {
    None
}

fn no_response(_: &Request, _: &mut Response, _: &Shared) {}

macro_rules! defect {
    ($name:literal, $area:literal, $desc:literal, request: $req:expr) => {
        Defect {
            name: $name,
            area: $area,
            description: $desc,
            request: $req,
            response: no_response,
        }
    };
    ($name:literal, $area:literal, $desc:literal, response: $resp:expr) => {
        Defect {
            name: $name,
            area: $area,
            description: $desc,
            request: no_request,
            response: $resp,
        }
    };
    ($name:literal, $area:literal, $desc:literal, request: $req:expr, response: $resp:expr) => {
        Defect {
            name: $name,
            area: $area,
            description: $desc,
            request: $req,
            response: $resp,
        }
    };
}

pub static DEFECTS: &[Defect] = &[
    // ----- users.presence ------------------------------------------------------------------
    defect!("presence-full-always-true", "presence",
        "every users.presence answer says \"full\": true",
        response: |q, r, _| if presence_ok(q, r) { r.edit(|m| { m.insert("full".into(), json!(true)); }) }),
    defect!("presence-full-always-false", "presence",
        "every users.presence answer says \"full\": false",
        response: |q, r, _| if presence_ok(q, r) { r.edit(|m| { m.insert("full".into(), json!(false)); }) }),
    defect!("presence-cutoff-9-minutes", "presence",
        "the cutoff is 9 minutes: `from` is moved one minute back before the rule sees it",
        request: |q, _| { shift_from(q, -60_000); None }),
    defect!("presence-cutoff-11-minutes", "presence",
        "the cutoff is 11 minutes: `from` is moved one minute forward before the rule sees it",
        request: |q, _| { shift_from(q, 60_000); None }),
    defect!("presence-delta-includes-caller", "presence",
    "a delta (`from` under 10 minutes old) lists the caller too",
    response: |q, r, s| if is_delta(q, r) {
        let me = q.caller().unwrap_or("").to_owned();
        let name = s.usernames.lock().unwrap().get(&me).cloned().unwrap_or_else(|| me.clone());
        edit_users(r, |users| users.push(json!({"_id": me, "username": name, "status": "online"})));
    }),
    defect!("presence-delta-drops-offline", "presence",
    "a delta leaves out offline users",
    response: |q, r, _| if is_delta(q, r) {
        edit_users(r, |users| users.retain(|u| u["status"] != "offline"));
    }),
    defect!("presence-delta-ignores-changes", "presence",
        "a delta is always empty: changes since `from` are ignored",
        response: |q, r, _| if is_delta(q, r) { edit_users(r, Vec::clear) }),
    defect!("presence-full-adds-offline", "presence",
    "the full list also holds an offline user",
    response: |q, r, _| if is_full(q, r) {
        edit_users(r, |users| users.push(json!({"_id": "defectOfflineUser", "username": "defect.offline", "status": "offline"})));
    }),
    defect!("presence-user-listed-twice", "presence",
    "the full list holds its first user twice",
    response: |q, r, _| if is_full(q, r) {
        edit_users(r, |users| if let Some(first) = users.first().cloned() { users.push(first) });
    }),
    defect!("presence-null-field", "presence",
    "a field the user lacks (name, statusText) is sent as null",
    response: |q, r, _| if presence_ok(q, r) {
        edit_users(r, |users| for u in users.iter_mut() {
            if let Value::Object(m) = u {
                for k in ["name", "statusText"] {
                    m.entry(k).or_insert(Value::Null);
                }
            }
        });
    }),
    defect!("presence-leaks-emails", "presence",
    "user objects carry their private `emails` field",
    response: |q, r, _| if presence_ok(q, r) {
        edit_users(r, |users| for u in users.iter_mut() {
            let address = format!("{}@example.org", u["username"].as_str().unwrap_or("x"));
            u["emails"] = json!([{"address": address, "verified": false}]);
        });
    }),
    defect!("presence-extra-top-level-key", "presence",
    "the envelope carries an extra top-level key (`count`)",
    response: |q, r, _| if presence_ok(q, r) {
        r.edit(|m| { let n = m["users"].as_array().map_or(0, Vec::len); m.insert("count".into(), json!(n)); });
    }),
    defect!("presence-ids-ignored", "presence",
        "`ids` is ignored: the answer is as without it",
        request: |q, _| { q.remove_param("ids"); q.remove_param("ids[]"); None }),
    defect!("presence-offset-read-as-utc", "presence",
    "a `from` with a timezone offset is read as if it were UTC (the offset is dropped)",
    request: |q, _| {
        if let Some((local, _)) = q.param("from").and_then(split_zone).filter(|(_, z)| !z.is_empty() && *z != "Z") {
            let utc = format!("{local}Z");
            q.set_param("from", &utc);
        }
        None
    }),
    defect!("presence-no-zone-read-as-local", "presence",
    "a `from` without a zone is read in the server's local zone (UTC+2), not UTC",
    request: |q, _| {
        if let Some((local, _)) = q.param("from").and_then(split_zone).filter(|(l, z)| z.is_empty() && l.contains(['T', ' '])) {
            let local = format!("{local}+02:00");
            q.set_param("from", &local);
        }
        None
    }),
    defect!("presence-unparseable-from-is-400", "presence",
    "an unparseable `from` is answered with 400 instead of the full list",
    request: |q, _| match q.param("from") {
        Some(f) if q.presence() && !f.is_empty() && parse_from(f).is_none() =>
            Some(Response::made_up(400, json!({"success": false, "error": "Invalid date for from"}))),
        _ => None,
    }),
    // ----- directory -----------------------------------------------------------------------
    defect!("directory-total-equals-count", "directory",
        "`total` is the number of items on the page, not of every match",
        response: |q, r, _| if dir_ok(q, r) { r.edit(|m| { let c = m["count"].clone(); m.insert("total".into(), c); }) }),
    defect!("directory-count-is-limit", "directory",
    "`count` is the page size asked for (50 by default), not the number of items returned",
    response: |q, r, _| if dir_ok(q, r) {
        let limit: i64 = q.param("count").and_then(|c| c.parse().ok()).unwrap_or(50);
        r.edit(|m| { m.insert("count".into(), json!(limit)); });
    }),
    defect!("directory-offset-off-by-one", "directory",
    "an explicit `offset` skips one item more than asked (the answer still echoes it)",
    request: |q, _| {
        if q.directory() {
            if let Some(o) = q.param("offset").and_then(|o| o.parse::<i64>().ok()) {
                q.set_param("offset", &(o.max(0) + 1).to_string());
                q.set_header("X-Defect-Asked-Offset", &o.to_string());
            }
        }
        None
    },
    response: |q, r, _| if dir_ok(q, r) {
        if let Some(o) = q.header("x-defect-asked-offset").and_then(|o| o.parse::<i64>().ok()) {
            r.edit(|m| { m.insert("offset".into(), json!(o)); });
        }
    }),
    defect!("directory-count-ignored", "directory",
        "`count` is ignored: every page has the default size",
        request: |q, _| { if q.directory() { q.remove_param("count") } None }),
    defect!("directory-count-not-clamped", "directory",
    "`count` is not clamped to API_Upper_Count_Limit (the server ignores that setting)",
    request: |q, _| {
        if q.is("/test-control/settings") && q.method == "PATCH" {
            if let Some(Value::Object(mut m)) = q.json_body() {
                if m.contains_key("API_Upper_Count_Limit") {
                    m.insert("API_Upper_Count_Limit".into(), json!(1_000_000));
                    q.set_json_body(&Value::Object(m));
                }
            }
        }
        None
    }),
    defect!("directory-no-count-gives-upper-limit", "directory",
        "without `count` the page size is API_Upper_Count_Limit (100), not API_Default_Count",
        request: |q, _| { if q.directory() && !q.has_param("count") { q.set_param("count", "100") } None }),
    defect!("directory-count-zero-unlimited", "directory",
    "`count=0` (or negative) means no limit (100 items) instead of 10",
    request: |q, _| {
        if q.directory() && q.param("count").and_then(|c| c.parse::<i64>().ok()).is_some_and(|c| c <= 0) {
            q.set_param("count", "100");
        }
        None
    }),
    defect!("directory-case-sensitive", "directory",
    "text matching is case-sensitive",
    response: |q, r, _| if dir_ok(q, r) {
        if let Some(text) = q.dir_field("text").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
            filter_items(r, |item| any_field(item, |s| s.contains(&text)));
        }
    }),
    defect!("directory-text-not-trimmed", "directory",
    "the search text is not trimmed: surrounding spaces must match too",
    response: |q, r, _| if dir_ok(q, r) {
        if let Some(text) = q.dir_field("text").filter(|t| t.trim() != t) {
            let text = text.to_lowercase();
            filter_items(r, |item| any_field(item, |s| s.to_lowercase().contains(&text)));
        }
    }),
    defect!("directory-regex-metacharacters", "directory",
    "the text is used as a pattern, not literally (modelled: metacharacters are wildcards, `.*` matches all)",
    request: |q, _| {
        if q.directory() {
            if let Some(text) = q.dir_field("text").filter(|t| t.contains(|c| METACHARACTERS.contains(c))) {
                let stripped: String = text.chars().filter(|c| !METACHARACTERS.contains(*c)).collect();
                q.set_dir_field("text", &stripped);
            }
        }
        None
    }),
    defect!("directory-emails-for-non-admin", "directory",
    "user items carry `emails` whoever asks",
    response: |q, r, _| if dir_ok(q, r) && dir_kind(q) == "users" {
        edit_items(r, |items| for i in items.iter_mut() {
            if i.get("emails").is_none() {
                let address = format!("{}@example.org", i["username"].as_str().unwrap_or("x"));
                i["emails"] = json!([{"address": address, "verified": false}]);
            }
        });
    }),
    defect!("directory-federated-in-local", "directory",
    "a federated user is listed for workspace=local (asked explicitly)",
    response: |q, r, _| if dir_ok(q, r) && dir_kind(q) == "users"
        && q.dir_field("workspace").is_some_and(|w| w == "local")
        && q.dir_field("text").is_none_or(|t| t.trim().is_empty())
        && q.param("offset").is_none_or(|o| o == "0") {
        insert_item(r, json!({"_id": "defectFederated01", "username": "remote.user@matrix.example.org",
            "name": "Remote User", "federation": {"origin": "matrix.example.org"},
            "createdAt": "2020-01-01T00:00:00.000Z"}));
    }),
    defect!("directory-all-drops-local", "directory",
    "workspace=all lists no local user",
    response: |q, r, _| if dir_ok(q, r) && dir_kind(q) == "users" && q.dir_field("workspace").as_deref() == Some("all") {
        filter_items(r, |_| false);
    }),
    defect!("directory-unknown-workspace-empty", "directory",
    "a workspace other than local or all finds nothing",
    response: |q, r, _| if dir_ok(q, r) && q.dir_field("workspace").is_some_and(|w| w != "local" && w != "all") {
        filter_items(r, |_| false);
    }),
    defect!("directory-private-group-to-non-member", "directory",
    "private groups are listed to users who are not members",
    response: |q, r, s| if dir_ok(q, r) && dir_kind(q) == "channels" {
        let me = q.caller().unwrap_or("");
        let text = q.dir_field("text").unwrap_or_default().trim().to_lowercase();
        let groups = s.groups.lock().unwrap().clone();
        for g in groups.iter().filter(|g| g.creator != me) {
            let name = g.item["name"].as_str().unwrap_or("").to_lowercase();
            if name.contains(&text) {
                insert_item(r, g.item.clone());
            }
        }
    }),
    defect!("directory-null-field", "directory",
    "a field the item lacks is sent as null (users: nickname; rooms: topic)",
    response: |q, r, _| if dir_ok(q, r) {
        let key = if dir_kind(q) == "users" { "nickname" } else { "topic" };
        edit_items(r, |items| for i in items.iter_mut() {
            if let Value::Object(m) = i { m.entry(key).or_insert(Value::Null); }
        });
    }),
    defect!("directory-leaks-private-fields", "directory",
    "items carry private fields (users: services; rooms: e2eKeyId)",
    response: |q, r, _| if dir_ok(q, r) {
        let users = dir_kind(q) == "users";
        edit_items(r, |items| for i in items.iter_mut() {
            if users {
                i["services"] = json!({"password": {"bcrypt": "$2b$10$defect"}});
            } else {
                i["e2eKeyId"] = json!("defect");
            }
        });
    }),
    defect!("directory-extra-top-level-key", "directory",
        "the envelope carries an extra top-level key (`page`)",
        response: |q, r, _| if dir_ok(q, r) { r.edit(|m| { m.insert("page".into(), json!(1)); }) }),
    defect!("directory-default-sort-ascending", "directory",
        "without `sort`, names are in ascending order",
        request: |q, _| { if q.directory() && !q.has_param("sort") { q.set_param("sort", r#"{"name":1}"#) } None }),
    defect!("directory-sort-ignored", "directory",
        "`sort` is ignored (bad ones too)",
        request: |q, _| { if q.directory() { q.remove_param("sort") } None }),
    defect!("directory-sort-errors-200", "directory",
    "a bad `sort` is answered with 200 and the default order",
    response: |q, r, s| if q.directory() && r.status == 400 && q.has_param("sort") {
        let mut again = q.clone();
        again.remove_param("sort");
        *r = s.forward(&again);
    }),
    defect!("directory-type-missing-is-users", "directory",
        "a missing `type` searches users, not channels",
        request: |q, _| { if q.directory() && q.dir_field("type").is_none() { q.set_dir_field("type", "users") } None }),
    defect!("directory-query-param-ignored", "directory",
        "the seed's `query={…}` parameter is ignored (as Rocket.Chat 7.0+ does)",
        request: |q, _| { if q.directory() { q.remove_param("query") } None }),
    defect!("directory-top-level-params-ignored", "directory",
        "top-level `text`, `type`, `workspace` are ignored (as Rocket.Chat 6.x does)",
        request: |q, _| { if q.directory() { for p in ["text", "type", "workspace"] { q.remove_param(p) } } None }),
    // ----- managed mode (the suite's own users, rooms and teams) ----------------------------
    defect!("presence-full-keeps-offline-user", "presence",
    "a user who set their status offline stays in the full list",
    request: |q, s| { track_offline(q, s); None },
    response: |q, r, s| if is_full(q, r) {
        let offline = offline_users(s);
        edit_users(r, |users| for (id, name) in offline {
            if !users.iter().any(|u| u["_id"] == id.as_str()) {
                users.push(json!({"_id": id, "username": name, "status": "offline"}));
            }
        });
    }),
    defect!("presence-ids-lists-offline", "presence",
    "`ids` also lists offline users without a status text",
    request: |q, s| { track_offline(q, s); None },
    response: |q, r, s| if presence_ok(q, r) && has_ids(q) {
        let asked: Vec<String> = q.params.iter().filter(|(n, _)| n.starts_with("ids"))
            .flat_map(|(_, v)| v.split(',').map(str::trim).map(str::to_owned).collect::<Vec<_>>()).collect();
        let offline = offline_users(s);
        edit_users(r, |users| for (id, name) in offline {
            if asked.contains(&id) && !users.iter().any(|u| u["_id"] == id.as_str()) {
                users.push(json!({"_id": id, "username": name, "status": "offline"}));
            }
        });
    }),
    defect!("directory-deactivated-listed", "directory",
    "deactivating a user (users.setActiveStatus false) answers success but the user stays listed",
    request: |q, _| {
        let body = q.json_body().unwrap_or(Value::Null);
        if q.is("/api/v1/users.setActiveStatus") && body["activeStatus"] == json!(false) {
            return Some(Response::made_up(200, json!({"success": true, "user": {"_id": body["userId"], "active": false}})));
        }
        None
    }),
    defect!("directory-no-belongs-to", "directory",
    "rooms inside a team lack `belongsTo`",
    response: |q, r, _| if dir_ok(q, r) && dir_kind(q) == "channels" {
        edit_items(r, |items| for i in items.iter_mut() {
            if let Value::Object(m) = i { m.remove("belongsTo"); }
        });
    }),
    // ----- auth and errors -----------------------------------------------------------------
    defect!("auth-one-header-enough", "auth",
    "one of X-Auth-Token and X-User-Id is enough (the other is looked up)",
    request: |q, s| {
        match (q.header("x-auth-token").map(str::to_owned), q.caller().map(str::to_owned)) {
            (Some(token), None) => if let Some(user) = s.user_of_token(&token) { q.set_header("X-User-Id", &user) },
            (None, Some(user)) => if let Some(token) = s.latest_token(&user) { q.set_header("X-Auth-Token", &token) },
            _ => {}
        }
        None
    }),
    defect!("auth-wrong-token-accepted", "auth",
    "any X-Auth-Token is accepted with a known X-User-Id",
    request: |q, s| {
        if let (Some(token), Some(user)) = (q.header("x-auth-token").map(str::to_owned), q.caller().map(str::to_owned)) {
            if !s.token_known_for(&user, &token) {
                if let Some(real) = s.latest_token(&user) { q.set_header("X-Auth-Token", &real) }
            }
        }
        None
    }),
    defect!("error-401-as-200", "auth",
        "a refused request is answered 200 (with the error body)",
        response: |_, r, _| if r.status == 401 { r.status = 200 }),
    defect!("error-400-as-500", "auth",
        "bad input is answered 500 instead of 400",
        response: |_, r, _| if r.status == 400 { r.status = 500 }),
    defect!("error-without-success-false", "auth",
        "error bodies lack \"success\": false",
        response: |q, r, _| if r.status >= 400 && q.path.starts_with("/api/") { r.edit(|m| { m.remove("success"); }) }),
    defect!("content-type-html-on-success", "auth",
    "successful answers of both endpoints say Content-Type: text/html",
    response: |q, r, _| if (q.presence() || q.directory()) && r.status == 200 {
        r.set_header("content-type", "text/html; charset=utf-8");
    }),
    defect!("content-type-with-charset", "auth",
    "JSON answers of both endpoints, errors included, say Content-Type: application/json; charset=utf-8",
    response: |q, r, _| if q.presence() || q.directory() {
        r.set_header("content-type", "application/json; charset=utf-8");
    }),
    defect!("stall-5-seconds", "auth",
    "the first users.presence request stalls for 5 seconds (the check's timeout must fire and name it)",
    request: |q, s| {
        if q.presence() && s.first_of(q) {
            s.stalls.fetch_add(1, Ordering::SeqCst);
            thread::sleep(Duration::from_secs(5));
        }
        None
    }),
];

/// Remembers who set their own status offline (`users.setStatus`), and forgets on any other
/// status; kept in `Shared::seen` under `offline:<user id>`.
fn track_offline(q: &Request, s: &Shared) {
    if !q.is("/api/v1/users.setStatus") {
        return;
    }
    let (Some(me), Some(body)) = (q.caller(), q.json_body()) else {
        return;
    };
    let key = format!("offline:{me}");
    let mut seen = s.seen.lock().unwrap();
    if body["status"] == "offline" {
        seen.insert(key, 1);
    } else if body["status"].is_string() {
        seen.remove(&key);
    }
}

/// The users [`track_offline`] saw going offline: (id, username).
fn offline_users(s: &Shared) -> Vec<(String, String)> {
    let names = s.usernames.lock().unwrap().clone();
    let mut out: Vec<(String, String)> = s
        .seen
        .lock()
        .unwrap()
        .keys()
        .filter_map(|k| k.strip_prefix("offline:"))
        .map(|id| (id.to_owned(), names.get(id).cloned().unwrap_or_default()))
        .collect();
    out.sort();
    out
}

const METACHARACTERS: &str = ".*+?^$()[]{}|\\";

fn presence_ok(q: &Request, r: &Response) -> bool {
    q.presence() && r.status == 200
}

fn dir_ok(q: &Request, r: &Response) -> bool {
    q.directory() && r.status == 200
}

fn dir_kind(q: &Request) -> String {
    q.dir_field("type")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "channels".into())
}

fn has_ids(q: &Request) -> bool {
    q.params
        .iter()
        .any(|(n, v)| n.starts_with("ids") && !v.is_empty())
}

/// A users.presence answer to a `from` under 10 minutes old (`full: false`, no `ids`).
fn is_delta(q: &Request, r: &Response) -> bool {
    presence_ok(q, r)
        && !has_ids(q)
        && q.param("from").is_some_and(|f| !f.is_empty())
        && r.json().is_some_and(|v| v["full"] == json!(false))
}

fn is_full(q: &Request, r: &Response) -> bool {
    presence_ok(q, r)
        && r.json().is_some_and(|v| {
            v["full"] == json!(true) && v["users"].as_array().is_some_and(|u| !u.is_empty())
        })
}

fn edit_users(r: &mut Response, f: impl FnOnce(&mut Vec<Value>)) {
    r.edit(|m| {
        if let Some(Value::Array(users)) = m.get_mut("users") {
            f(users);
        }
    });
}

fn edit_items(r: &mut Response, f: impl FnOnce(&mut Vec<Value>)) {
    r.edit(|m| {
        if let Some(Value::Array(items)) = m.get_mut("result") {
            f(items);
        }
    });
}

/// Keeps the items `keep` accepts; `count` and `total` follow.
fn filter_items(r: &mut Response, keep: impl Fn(&Value) -> bool) {
    r.edit(|m| {
        let Some(Value::Array(items)) = m.get_mut("result") else {
            return;
        };
        let before = items.len();
        items.retain(|i| keep(i));
        let (removed, now) = ((before - items.len()) as i64, items.len());
        adjust(m, now, -removed);
    });
}

/// Puts an item first; `count` and `total` follow.
fn insert_item(r: &mut Response, item: Value) {
    r.edit(|m| {
        let Some(Value::Array(items)) = m.get_mut("result") else {
            return;
        };
        items.insert(0, item);
        let now = items.len();
        adjust(m, now, 1);
    });
}

fn adjust(m: &mut Map<String, Value>, count: usize, total_delta: i64) {
    m.insert("count".into(), json!(count));
    let total = m.get("total").and_then(Value::as_i64).unwrap_or(0) + total_delta;
    m.insert("total".into(), json!(total.max(0)));
}

/// Whether any string field (or e-mail address) of an item satisfies `f`.
fn any_field(item: &Value, f: impl Fn(&str) -> bool) -> bool {
    let Value::Object(m) = item else { return false };
    m.iter().any(|(k, v)| {
        k != "_id"
            && match v {
                Value::String(s) => f(s),
                Value::Array(a) => a.iter().any(|e| e["address"].as_str().is_some_and(&f)),
                _ => false,
            }
    })
}

/// Moves a parseable `from` by `ms` (rewritten as `…Z` with milliseconds).
fn shift_from(q: &mut Request, ms: i64) {
    if !q.presence() {
        return;
    }
    if let Some(t) = q.param("from").and_then(parse_from) {
        let shifted = render_zulu(t + ms);
        q.set_param("from", &shifted);
    }
}

fn render_zulu(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Splits a date-time into its local part and its zone (`Z`, `±hh:mm`, `±hhmm`, `±hh`, or "").
fn split_zone(s: &str) -> Option<(&str, &str)> {
    let s = s.trim();
    if let Some(local) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return Some((local, "Z"));
    }
    let time_start = s.find(['T', ' ']).map(|i| i + 1).unwrap_or(s.len());
    match s[time_start..].find(['+', '-']) {
        Some(i) => Some((&s[..time_start + i], &s[time_start + i..])),
        None => Some((s, "")),
    }
}

/// Reads a `from` as the documents allow (ISO 8601 in its optional forms, RFC 2822); ms.
pub fn parse_from(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.timestamp_millis());
    }
    let (local, zone) = split_zone(s)?;
    let offset_secs = match zone {
        "" | "Z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
            let (h, m) = match digits.len() {
                2 => (digits.parse::<i32>().ok()?, 0),
                4 => (
                    digits[..2].parse::<i32>().ok()?,
                    digits[2..].parse::<i32>().ok()?,
                ),
                _ => return None,
            };
            sign * (h * 3600 + m * 60)
        }
    };
    let local = local.replacen(' ', "T", 1);
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&local, f).ok())
        .or_else(|| {
            let date = match local.len() {
                10 => NaiveDate::parse_from_str(&local, "%Y-%m-%d").ok()?,
                7 => NaiveDate::parse_from_str(&format!("{local}-01"), "%Y-%m-%d").ok()?,
                4 if local.chars().all(|c| c.is_ascii_digit()) => {
                    NaiveDate::from_ymd_opt(local.parse().ok()?, 1, 1)?
                }
                _ => return None,
            };
            date.and_hms_opt(0, 0, 0)
        })?;
    let t = FixedOffset::east_opt(offset_secs)?
        .from_local_datetime(&naive)
        .single()?;
    Some(t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let z = parse_from("2019-05-22T12:11:45.392Z").unwrap();
        assert_eq!(parse_from("2019-05-22T17:41:45.392+05:30"), Some(z));
        assert_eq!(parse_from("2019-05-22T12:11:45.392"), Some(z));
        assert_eq!(parse_from("2019-05-22T09:11:45.392-0300"), Some(z));
        assert!(parse_from("2019-05-22T12:11Z").is_some());
        assert!(parse_from("2019").is_some());
        assert!(parse_from("garbage").is_none());
        assert!(parse_from("1558527105392").is_none());
        assert_eq!(
            split_zone("2019-05-22T12:11+01"),
            Some(("2019-05-22T12:11", "+01"))
        );
    }
}
