/*!
The rules of `GET /api/v1/users.presence`, apart from HTTP.

The contract is `docs/contract/users.presence.md`: without `from`, every connected user's
presence and `full: true` (docs/contract/users.presence.md#presence.full); with `from`, only users
changed since then and `full: false` (docs/contract/users.presence.md#presence.from.partial),
unless `from` is older than 10 minutes, then the full set
(docs/contract/users.presence.md#presence.cutoff). Where Rocket.Chat's documentation page is
silent this follows the release the server behaves as ([`crate::version`]; 8.6+ by default, the
table below) (`ids`: docs/contract/users.presence.md#presence.ids;
`Presence_broadcast_disabled`: docs/contract/users.presence.md#presence.broadcast-disabled):

| request | users | `full` |
|---|---|---|
| `Presence_broadcast_disabled` | none | `true` |
| `ids` (not empty) | the listed users not offline, or offline with a status text or expiry | `false` |
| `from` parsed and less than 10 minutes old (strictly), or in the future | users with a username and `_updatedAt >= from`, offline ones included, the caller excluded | `false` |
| otherwise (no `from`, empty, unparseable, 10 minutes old or more) | users with a username and status online, away or busy | `true` |

User objects carry only `_id, username, name, status, utcOffset, statusText, avatarETag,
statusSource, statusExpiresAt` (the last two from 8.6); a field the user lacks is omitted
(docs/contract/users.presence.md#presence.user.projection). Before 8.4 the query string is not
validated, and 8.4 keeps `ids=a,b` whole (docs/contract/users.presence.md#presence.ids.forms).

Bodies are written straight to bytes, each user when asked (keeping them rendered cost ~140 MB
at 1M users), and the full list is cached while it does not change.
*/

use std::collections::BTreeSet;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::model::{User, UserIdx};
use crate::query_string::{InvalidParams, QueryValue, RawQuery};
use crate::store::Store;
use crate::time::{self, Millis};
use crate::version::Line;

/// The age from which a `from` is "older than 10 minutes": exactly 10 minutes already is.
pub const CUTOFF_MS: Millis = 10 * 60 * 1000;

/// The query parameters `users.presence` accepts.
pub const PARAMS: &[&str] = &["from", "ids"];

/// A validated `users.presence` request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresenceRequest {
    pub from: Option<String>,
    /// `None` when `ids` is absent or empty (`ids=`), which Rocket.Chat treats as absent.
    pub ids: Option<Vec<String>>,
}

/// Why a `users.presence` request is refused (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceError {
    /// The 8.4+ schema refused the query string, with ajv's message.
    Params(InvalidParams),
    /// Before 8.4, an object `ids` (`ids[k]=v`) fails inside the handler with this message.
    IdsNotSplittable,
}

impl From<InvalidParams> for PresenceError {
    fn from(e: InvalidParams) -> Self {
        PresenceError::Params(e)
    }
}

impl PresenceRequest {
    /// Reads the raw query string as the line's route does: from 8.4 with the schema's
    /// validation, before that with none (a repeated `from` is then a string no date parses).
    pub fn parse(query: &str, line: Line) -> Result<Self, PresenceError> {
        let raw = RawQuery::parse(query);
        raw.check_array_limit()?;
        let (from, ids) = if line.validates_presence_params() {
            raw.reject_unknown(PARAMS)?;
            (raw.string("from")?.map(str::to_owned), raw.strings("ids")?)
        } else {
            let from = raw.get("from").map(|v| match v {
                QueryValue::Single(s) => s.to_string(),
                // JavaScript's `String(array)` joins with commas; `new Date` of that is invalid.
                QueryValue::Multi(all) => all.join(","),
                QueryValue::Object => "[object Object]".to_owned(),
            });
            let ids = match raw.get("ids") {
                None => None,
                Some(QueryValue::Object) => return Err(PresenceError::IdsNotSplittable),
                Some(_) => raw.strings("ids")?,
            };
            (from, ids)
        };
        let ids = match ids {
            None => None,
            Some(values) if values.len() == 1 && values[0].is_empty() => None,
            // 8.4's schema made `ids=a,b` the one-element array `["a,b"]`.
            Some(values) if !line.splits_comma_ids() => {
                Some(values.into_iter().map(str::to_owned).collect())
            }
            Some(values) => Some(
                values
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(str::to_owned)
                    .collect(),
            ),
        };
        Ok(Self { from, ids })
    }
}

/// Which branch answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    BroadcastDisabled,
    Ids,
    Delta,
    Full,
}

/// Chooses the branch for a request at `now`.
pub fn branch(
    request: &PresenceRequest,
    now: Millis,
    broadcast_disabled: bool,
) -> (Branch, Option<Millis>) {
    if broadcast_disabled {
        return (Branch::BroadcastDisabled, None);
    }
    if request.ids.is_some() {
        return (Branch::Ids, None);
    }
    match request
        .from
        .as_deref()
        .filter(|f| !f.is_empty())
        .and_then(time::parse_datetime)
    {
        Some(from) if is_partial_window(from, now) => (Branch::Delta, Some(from)),
        _ => (Branch::Full, None),
    }
}

/// `true` when `from` is less than 10 minutes before `now` (or after it).
pub fn is_partial_window(from: Millis, now: Millis) -> bool {
    now.saturating_sub(from) < CUTOFF_MS
}

/// Whether a user appears in the full list.
pub fn in_full_list(user: &User) -> bool {
    user.username.is_some() && !user.status.is_offline()
}

/// Whether a user listed in `ids` is answered: not offline, or (8.6+ `findPresenceUsersByIds`)
/// offline with a status text or an expiry.
pub fn answered_by_ids(user: &User, line: Line) -> bool {
    !user.status.is_offline()
        || line.has_status_source()
            && (user.status_text.as_deref().is_some_and(|t| !t.is_empty())
                || user.status_expires_at.is_some())
}

/// The answer to a request: the JSON body and the `full` flag in it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: Bytes,
    pub branch: Branch,
}

/// The answer as the release of `line` gives it; `broadcast_disabled` is the setting, which
/// lines before 6.x do not have.
pub fn answer(
    store: &Store,
    caller: UserIdx,
    request: &PresenceRequest,
    now: Millis,
    broadcast_disabled: bool,
    line: Line,
) -> Answer {
    let broadcast_disabled = broadcast_disabled && line.has_broadcast_setting();
    let (branch, from) = branch(request, now, broadcast_disabled);
    let projection = Projection::of(line);
    let envelope = |s: &Store, users: &mut dyn Iterator<Item = UserIdx>, full: bool| {
        envelope(s, users, full, projection)
    };
    let body = match branch {
        Branch::BroadcastDisabled => envelope(store, &mut std::iter::empty(), true),
        Branch::Full => store.cached_full_list(projection as u8, |s| {
            envelope(s, &mut s.full_list_members(), true)
        }),
        Branch::Ids => {
            let ids = request.ids.as_deref().unwrap_or_default();
            let listed: BTreeSet<UserIdx> = ids
                .iter()
                .filter_map(|id| store.user_idx(id))
                .filter(|&idx| store.user(idx).is_some_and(|u| answered_by_ids(u, line)))
                .collect();
            envelope(store, &mut listed.into_iter(), false)
        }
        Branch::Delta => {
            let from = from.expect("a delta has a from");
            let mut changed = store
                .updated_since(from)
                .filter(|&idx| idx != caller)
                .filter(|&idx| store.user(idx).is_some_and(|u| u.username.is_some()));
            envelope(store, &mut changed, false)
        }
    };
    Answer { body, branch }
}

/// The fields a line's presence objects carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// `_id, username, name, status, utcOffset, statusText, avatarETag` (before 8.6).
    Classic,
    /// The classic fields and `statusSource`, `statusExpiresAt` (8.6+).
    WithStatusSource,
}

impl Projection {
    pub fn of(line: Line) -> Self {
        if line.has_status_source() {
            Projection::WithStatusSource
        } else {
            Projection::Classic
        }
    }
}

fn envelope(
    store: &Store,
    users: &mut dyn Iterator<Item = UserIdx>,
    full: bool,
    projection: Projection,
) -> Bytes {
    let mut out = BytesMut::with_capacity(64);
    out.put_slice(b"{\"users\":[");
    for (n, idx) in users.enumerate() {
        if n > 0 {
            out.put_u8(b',');
        }
        if let Some(user) = store.user(idx) {
            write_user(&mut out, user, projection);
        }
    }
    out.put_slice(if full {
        b"],\"full\":true,\"success\":true}"
    } else {
        b"],\"full\":false,\"success\":true}"
    });
    out.freeze()
}

/// The projection of a user in a `users.presence` answer.
#[derive(Serialize)]
struct PresenceUser<'a> {
    _id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    status: &'static str,
    #[serde(rename = "utcOffset", skip_serializing_if = "Option::is_none")]
    utc_offset: Option<&'a serde_json::Number>,
    #[serde(rename = "statusText", skip_serializing_if = "Option::is_none")]
    status_text: Option<&'a str>,
    #[serde(rename = "avatarETag", skip_serializing_if = "Option::is_none")]
    avatar_etag: Option<&'a str>,
    #[serde(rename = "statusSource", skip_serializing_if = "Option::is_none")]
    status_source: Option<&'a str>,
    #[serde(rename = "statusExpiresAt", skip_serializing_if = "Option::is_none")]
    status_expires_at: Option<String>,
}

/// Renders a user's presence object.
///
/// Rendered when asked rather than kept per user: at 1M users the kept copies cost ~140 MB, and
/// the full list, the one answer that renders many users, is cached as a whole.
pub fn write_user(out: &mut BytesMut, user: &User, projection: Projection) {
    let newest = projection == Projection::WithStatusSource;
    let projected = PresenceUser {
        _id: &user.id,
        name: user.name.as_deref(),
        username: user.username.as_deref(),
        status: user.status.as_str(),
        utc_offset: user.utc_offset.as_ref(),
        status_text: user.status_text.as_deref(),
        avatar_etag: user.avatar_etag.as_deref(),
        status_source: user.status_source.as_deref().filter(|_| newest),
        status_expires_at: user.status_expires_at.filter(|_| newest).map(time::to_iso),
    };
    serde_json::to_writer(out.writer(), &projected).expect("a presence object always serialises");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::store::tests::user;
    use serde_json::{json, Value};

    const NOW: Millis = 1_700_000_000_000;

    fn request(query: &str) -> PresenceRequest {
        PresenceRequest::parse(query, Line::V8_6).expect("valid query")
    }

    fn store() -> Store {
        let mut s = Store::new();
        s.insert_user(user("caller", "caller", Status::Online, NOW - 60_000))
            .unwrap();
        s.insert_user(user("on", "on", Status::Online, NOW - 3_600_000))
            .unwrap();
        s.insert_user(user("away", "away", Status::Away, NOW - 120_000))
            .unwrap();
        s.insert_user(user("busy", "busy", Status::Busy, NOW - 3_600_000))
            .unwrap();
        s.insert_user(user("off", "off", Status::Offline, NOW - 30_000))
            .unwrap();
        let mut nameless = user("nameless", "x", Status::Online, NOW - 1_000);
        nameless.username = None;
        s.insert_user(nameless).unwrap();
        let mut texted = user("texted", "texted", Status::Offline, NOW - 3_600_000);
        texted.status_text = Some("on leave".into());
        s.insert_user(texted).unwrap();
        s
    }

    fn ids_of(answer: &Answer) -> (Vec<String>, bool) {
        let v: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(v["success"], json!(true));
        let ids = v["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["_id"].as_str().unwrap().to_owned())
            .collect();
        (ids, v["full"].as_bool().unwrap())
    }

    fn run(query: &str) -> (Vec<String>, bool) {
        run_as(Line::V8_6, query)
    }

    fn run_as(line: Line, query: &str) -> (Vec<String>, bool) {
        let s = store();
        let request = PresenceRequest::parse(query, line).expect("valid query");
        ids_of(&answer(&s, 0, &request, NOW, false, line))
    }

    #[test]
    fn without_from_full_list_of_named_users_not_offline() {
        assert_eq!(
            run(""),
            (
                vec!["caller".into(), "on".into(), "away".into(), "busy".into()],
                true
            )
        );
    }

    #[test]
    fn from_within_ten_minutes_is_a_delta_with_offline_users_and_without_caller() {
        let from = time::to_iso(NOW - 9 * 60_000);
        assert_eq!(
            run(&format!("from={from}")),
            (vec!["away".into(), "off".into()], false)
        );
    }

    #[test]
    fn delta_is_inclusive_of_from() {
        let from = time::to_iso(NOW - 120_000);
        assert_eq!(run(&format!("from={from}")).0, vec!["away", "off"]);
        let from = time::to_iso(NOW - 119_999);
        assert_eq!(run(&format!("from={from}")).0, vec!["off"]);
    }

    #[test]
    fn cutoff_is_strict_at_exactly_ten_minutes() {
        assert!(is_partial_window(NOW - CUTOFF_MS + 1, NOW));
        assert!(!is_partial_window(NOW - CUTOFF_MS, NOW));
        let at = time::to_iso(NOW - CUTOFF_MS);
        assert!(
            run(&format!("from={at}")).1,
            "exactly 10 minutes old is full"
        );
        let just_inside = time::to_iso(NOW - CUTOFF_MS + 1);
        assert!(!run(&format!("from={just_inside}")).1);
    }

    #[test]
    fn future_from_is_partial_and_empty() {
        let from = time::to_iso(NOW + 3_600_000);
        assert_eq!(run(&format!("from={from}")), (vec![], false));
    }

    #[test]
    fn unparseable_or_empty_from_gives_the_full_list() {
        for q in ["from=garbage", "from=1558527105392", "from="] {
            assert!(run(q).1, "{q} must give the full list");
            assert_eq!(run(q).0.len(), 4);
        }
    }

    #[test]
    fn ids_answer_not_offline_and_offline_with_status_text() {
        assert_eq!(
            run("ids=on,off,texted,unknown"),
            (vec!["on".into(), "texted".into()], false)
        );
        assert_eq!(
            run("ids=on&ids=busy"),
            (vec!["on".into(), "busy".into()], false)
        );
        assert_eq!(run("ids[]=on&ids[]=away").0, vec!["on", "away"]);
    }

    #[test]
    fn ids_take_precedence_over_from() {
        assert_eq!(run("ids=busy&from=garbage"), (vec!["busy".into()], false));
    }

    #[test]
    fn empty_ids_is_ignored() {
        assert!(run("ids=").1);
        assert_eq!(request("ids=").ids, None);
    }

    #[test]
    fn broadcast_disabled_answers_empty_full_list() {
        let s = store();
        let a = answer(&s, 0, &request("ids=on"), NOW, true, Line::V8_6);
        assert_eq!(&a.body[..], br#"{"users":[],"full":true,"success":true}"#);
        let a = answer(&s, 0, &request("ids=on"), NOW, true, Line::V5);
        assert_eq!(
            ids_of(&a),
            (vec!["on".into()], false),
            "5.x has no such setting"
        );
    }

    #[test]
    fn unknown_and_repeated_parameters_are_rejected() {
        let refused = |q, message: &str| {
            for line in [Line::V8_4, Line::V8_5, Line::V8_6] {
                assert_eq!(
                    PresenceRequest::parse(q, line),
                    Err(PresenceError::Params(InvalidParams(message.into()))),
                    "{q} on {line}"
                );
            }
        };
        refused("foo=1", "must NOT have additional properties");
        refused("from=a&from=b", "must be string");
        refused("ids[a]=b", "must be string,array");
    }

    #[test]
    fn before_8_4_nothing_is_validated() {
        for line in [Line::V5, Line::V6, Line::V7] {
            assert!(run_as(line, "foo=1").1, "{line}");
            let from = time::to_iso(NOW - 60_000);
            assert!(
                run_as(line, &format!("from={from}&from={from}")).1,
                "{line}: a repeated from is no date, so the full list"
            );
            assert_eq!(
                PresenceRequest::parse("ids[a]=b", line),
                Err(PresenceError::IdsNotSplittable)
            );
        }
    }

    #[test]
    fn eight_four_keeps_a_comma_list_whole_and_answers_nobody() {
        assert_eq!(run_as(Line::V8_4, "ids=on,busy"), (vec![], false));
        assert_eq!(run_as(Line::V8_4, "ids=on&ids=busy").0, vec!["on", "busy"]);
        assert_eq!(run_as(Line::V8_5, "ids=on,busy").0, vec!["on", "busy"]);
        assert_eq!(run_as(Line::V7, "ids=on,busy").0, vec!["on", "busy"]);
    }

    #[test]
    fn before_8_6_ids_leave_out_offline_users_with_a_status_text() {
        for line in [Line::V5, Line::V6, Line::V7, Line::V8_4, Line::V8_5] {
            assert_eq!(run_as(line, "ids=on&ids=texted").0, vec!["on"], "{line}");
        }
        assert_eq!(
            run_as(Line::V8_6, "ids=on&ids=texted").0,
            vec!["on", "texted"]
        );
    }

    fn render_user(user: &User) -> BytesMut {
        render_as(user, Projection::WithStatusSource)
    }

    fn render_as(user: &User, projection: Projection) -> BytesMut {
        let mut out = BytesMut::new();
        write_user(&mut out, user, projection);
        out
    }

    #[test]
    fn user_objects_omit_absent_fields_and_carry_only_projected_keys() {
        let mut u = user("rocket.cat", "rocket.cat", Status::Online, 0);
        u.name = Some("Rocket.Cat".into());
        u.utc_offset = Some(0.into());
        u.avatar_etag = Some("5BB9B5ny5DkKdrwkq".into());
        u.bio = Some("not projected".into());
        let v: Value = serde_json::from_slice(&render_user(&u)).unwrap();
        assert_eq!(
            v,
            json!({"_id":"rocket.cat","name":"Rocket.Cat","username":"rocket.cat","status":"online","utcOffset":0,"avatarETag":"5BB9B5ny5DkKdrwkq"})
        );
        u.status_expires_at = Some(1_558_527_105_392);
        u.status_source = Some("manual".into());
        u.status_text = Some("lunch".into());
        let v: Value = serde_json::from_slice(&render_user(&u)).unwrap();
        assert_eq!(v["statusExpiresAt"], json!("2019-05-22T12:11:45.392Z"));
        assert_eq!(v["statusSource"], json!("manual"));
        assert_eq!(v["statusText"], json!("lunch"));
        let v: Value = serde_json::from_slice(&render_as(&u, Projection::Classic)).unwrap();
        assert_eq!(v["statusText"], json!("lunch"));
        assert!(v.get("statusSource").is_none() && v.get("statusExpiresAt").is_none());
    }
}
