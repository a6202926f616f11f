/*!
The rules of `GET /api/v1/users.presence`, apart from HTTP.

The contract is `docs/contract/users.presence.md`: without `from`, every connected user's
presence and `full: true` (docs/contract/users.presence.md#presence.full); with `from`, only users
changed since then and `full: false` (docs/contract/users.presence.md#presence.from.partial),
unless `from` is older than 10 minutes, then the full set
(docs/contract/users.presence.md#presence.cutoff). Where Rocket.Chat's documentation page is
silent this follows Rocket.Chat 8.6+ (`ids`: docs/contract/users.presence.md#presence.ids;
`Presence_broadcast_disabled`: docs/contract/users.presence.md#presence.broadcast-disabled):

| request | users | `full` |
|---|---|---|
| `Presence_broadcast_disabled` | none | `true` |
| `ids` (not empty) | the listed users not offline, or offline with a status text or expiry | `false` |
| `from` parsed and less than 10 minutes old (strictly), or in the future | users with a username and `_updatedAt >= from`, offline ones included, the caller excluded | `false` |
| otherwise (no `from`, empty, unparseable, 10 minutes old or more) | users with a username and status online, away or busy | `true` |

User objects carry only `_id, username, name, status, utcOffset, statusText, avatarETag,
statusSource, statusExpiresAt`; a field the user lacks is omitted
(docs/contract/users.presence.md#presence.user.projection).

Bodies are written straight to bytes, each user when asked (keeping them rendered cost ~140 MB
at 1M users), and the full list is cached while it does not change.
*/

use std::collections::BTreeSet;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::model::{User, UserIdx};
use crate::query_string::{InvalidParams, RawQuery};
use crate::store::Store;
use crate::time::{self, Millis};

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

impl PresenceRequest {
    /// Reads the raw query string with the validation of Rocket.Chat's 8.5+ schema.
    pub fn parse(query: &str) -> Result<Self, InvalidParams> {
        let raw = RawQuery::parse(query);
        raw.check_array_limit()?;
        raw.reject_unknown(PARAMS)?;
        let from = raw.string("from")?.map(str::to_owned);
        let ids = match raw.strings("ids")? {
            None => None,
            Some(values) if values.len() == 1 && values[0].is_empty() => None,
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

/// Whether a user listed in `ids` is answered (Rocket.Chat 8.6+ `findPresenceUsersByIds`).
pub fn answered_by_ids(user: &User) -> bool {
    !user.status.is_offline()
        || user.status_text.as_deref().is_some_and(|t| !t.is_empty())
        || user.status_expires_at.is_some()
}

/// The answer to a request: the JSON body and the `full` flag in it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: Bytes,
    pub branch: Branch,
}

pub fn answer(
    store: &Store,
    caller: UserIdx,
    request: &PresenceRequest,
    now: Millis,
    broadcast_disabled: bool,
) -> Answer {
    let (branch, from) = branch(request, now, broadcast_disabled);
    let body = match branch {
        Branch::BroadcastDisabled => envelope(store, std::iter::empty(), true),
        Branch::Full => store.cached_full_list(|s| envelope(s, s.full_list_members(), true)),
        Branch::Ids => {
            let ids = request.ids.as_deref().unwrap_or_default();
            let listed: BTreeSet<UserIdx> = ids
                .iter()
                .filter_map(|id| store.user_idx(id))
                .filter(|&idx| store.user(idx).is_some_and(answered_by_ids))
                .collect();
            envelope(store, listed.into_iter(), false)
        }
        Branch::Delta => {
            let from = from.expect("a delta has a from");
            let changed = store
                .updated_since(from)
                .filter(|&idx| idx != caller)
                .filter(|&idx| store.user(idx).is_some_and(|u| u.username.is_some()));
            envelope(store, changed, false)
        }
    };
    Answer { body, branch }
}

fn envelope(store: &Store, users: impl Iterator<Item = UserIdx>, full: bool) -> Bytes {
    let mut out = BytesMut::with_capacity(64);
    out.put_slice(b"{\"users\":[");
    for (n, idx) in users.enumerate() {
        if n > 0 {
            out.put_u8(b',');
        }
        if let Some(user) = store.user(idx) {
            write_user(&mut out, user);
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
pub fn write_user(out: &mut BytesMut, user: &User) {
    let projected = PresenceUser {
        _id: &user.id,
        name: user.name.as_deref(),
        username: user.username.as_deref(),
        status: user.status.as_str(),
        utc_offset: user.utc_offset.as_ref(),
        status_text: user.status_text.as_deref(),
        avatar_etag: user.avatar_etag.as_deref(),
        status_source: user.status_source.as_deref(),
        status_expires_at: user.status_expires_at.map(time::to_iso),
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
        PresenceRequest::parse(query).expect("valid query")
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
        let s = store();
        ids_of(&answer(&s, 0, &request(query), NOW, false))
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
        let a = answer(&s, 0, &request("ids=on"), NOW, true);
        assert_eq!(&a.body[..], br#"{"users":[],"full":true,"success":true}"#);
    }

    #[test]
    fn unknown_and_repeated_parameters_are_rejected() {
        assert_eq!(
            PresenceRequest::parse("foo=1"),
            Err(InvalidParams("must NOT have additional properties".into()))
        );
        assert_eq!(
            PresenceRequest::parse("from=a&from=b"),
            Err(InvalidParams("must be string".into()))
        );
        assert_eq!(
            PresenceRequest::parse("ids[a]=b"),
            Err(InvalidParams("must be string,array".into()))
        );
    }

    fn render_user(user: &User) -> BytesMut {
        let mut out = BytesMut::new();
        write_user(&mut out, user);
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
    }
}
