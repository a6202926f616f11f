/*!
The fixture file format and its loader.

A fixture file is the data set the reference server starts with: users (with credentials),
rooms and teams. The format is documented in the README ("Fixture format"); it follows
Rocket.Chat's field names so a fixture reads like the documents a real server stores.

Times may be absolute (`"2019-05-22T12:11:45.392Z"`) or relative to the moment the fixture is
loaded (`"now"`, `"-15m"`, `"+2h"`), so a fixture can hold users "changed 2 minutes ago" whatever
the day. A bad file is refused as a whole with an error that names the file, the place in it
(`users[3].status`, with line and column for syntax and type errors) and the problem.
*/

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::model::{
    self, Email, Room, RoomType, Status, StoredToken, Team, TeamType, User, UserIdx, UserKind,
};
use crate::secret;
use crate::store::{PreparedUser, Store};
use crate::time::{self, Millis};

/// Why a fixture could not be loaded: the file, the place in it, and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    pub file: String,
    pub path: String,
    pub problem: String,
}

impl std::fmt::Display for FixtureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}: {}", self.file, self.problem)
        } else {
            write!(f, "{}: at {}: {}", self.file, self.path, self.problem)
        }
    }
}

impl std::error::Error for FixtureError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    /// Free text for people reading the file.
    #[serde(default)]
    pub description: Option<String>,
    pub users: Vec<FixtureUser>,
    #[serde(default)]
    pub rooms: Vec<FixtureRoom>,
    #[serde(default)]
    pub teams: Vec<FixtureTeam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FixtureUser {
    #[serde(rename = "_id")]
    pub id: Box<str>,
    pub username: Option<Box<str>>,
    pub name: Option<Box<str>>,
    #[serde(default = "offline")]
    pub status: Status,
    pub utc_offset: Option<Number>,
    pub status_text: Option<Box<str>>,
    pub status_source: Option<Box<str>>,
    pub status_expires_at: Option<String>,
    #[serde(rename = "avatarETag")]
    pub avatar_etag: Option<Box<str>>,
    pub created_at: Option<String>,
    #[serde(rename = "_updatedAt")]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub emails: Vec<Email>,
    pub bio: Option<Box<str>>,
    pub nickname: Option<Box<str>>,
    #[serde(default = "yes")]
    pub active: bool,
    /// `["user"]` when absent.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(rename = "type", default)]
    pub kind: UserKind,
    pub federation: Option<Map<String, Value>>,
    /// Plain text in the file; only a salted digest is kept.
    pub password: Option<String>,
    /// Personal access tokens, plain text in the file; only digests are kept.
    #[serde(default)]
    pub tokens: Vec<FixtureToken>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureToken {
    pub token: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FixtureRoom {
    #[serde(rename = "_id")]
    pub id: String,
    pub t: RoomType,
    pub name: String,
    pub fname: Option<String>,
    pub description: Option<String>,
    pub topic: Option<String>,
    pub ts: Option<String>,
    pub archived: Option<bool>,
    pub default: Option<bool>,
    pub featured: Option<bool>,
    pub prid: Option<String>,
    pub team_id: Option<String>,
    pub federated: Option<bool>,
    /// `{"ts": <fixture time>, ...}`; other keys are kept as given.
    pub last_message: Option<Map<String, Value>>,
    /// User `_id`s.
    #[serde(default)]
    pub members: Vec<String>,
    pub created_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FixtureTeam {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: TeamType,
    /// The `_id` of the team's main room, created from this entry.
    pub room_id: String,
    pub fname: Option<String>,
    pub description: Option<String>,
    pub topic: Option<String>,
    pub default: Option<bool>,
    pub featured: Option<bool>,
    pub created_at: Option<String>,
    pub created_by: Option<String>,
    /// User `_id`s; they are the main room's members.
    #[serde(default)]
    pub members: Vec<String>,
}

fn offline() -> Status {
    Status::Offline
}
fn yes() -> bool {
    true
}

/// Reads and loads a fixture file.
pub fn load_file(path: &Path, now: Millis) -> Result<Store, FixtureError> {
    let file = path.display().to_string();
    let started = std::time::Instant::now();
    let (store, rest) = {
        // The text goes before the rooms are stored: at 1M users it is a few hundred MB.
        let text = std::fs::read_to_string(path).map_err(|e| FixtureError {
            file: file.clone(),
            path: String::new(),
            problem: format!("cannot read the file: {e}"),
        })?;
        load_users(&file, &text, now)?
    };
    build_rooms(store, rest, now, started).map_err(|e| fixture_error(&file, e))
}

/// Loads a fixture from its text; `file` names it in errors.
pub fn load_str(file: &str, text: &str, now: Millis) -> Result<Store, FixtureError> {
    let started = std::time::Instant::now();
    let (store, rest) = load_users(file, text, now)?;
    build_rooms(store, rest, now, started).map_err(|e| fixture_error(file, e))
}

fn fixture_error(file: &str, (path, problem): Problem) -> FixtureError {
    FixtureError {
        file: file.to_owned(),
        path,
        problem,
    }
}

/// Parses the whole file and stores its users; the rest of the file is returned.
///
/// The users are stored as they are parsed: this thread parses them and makes each user and
/// its directory entry ([`PreparedUser`]), and hands them in batches to a thread that stores
/// them. The two halves take about the same time at 1M users (4 s in all instead of 7), and the
/// parsed users are never all held at once.
fn load_users(file: &str, text: &str, now: Millis) -> Result<(Store, FileRest), FixtureError> {
    let started = std::time::Instant::now();
    let (parsed, built) = std::thread::scope(|scope| {
        let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(16);
        let builder = scope.spawn(move || build_users(batches.into_iter().flatten()));
        let parsed = parse_streaming(text, sender, now);
        let built = builder.join().expect("the fixture builder does not panic");
        (parsed, built)
    });
    match (parsed, built) {
        (Ok(rest), Ok(store)) => {
            tracing::debug!("{file}: users parsed and stored in {:?}", started.elapsed());
            Ok((store, rest))
        }
        // A file that does not parse is reported as such, whatever the users read so far were.
        (Err(streamed), _) => Err(parse_error(file, text, streamed)),
        (Ok(_), Err(problem)) => match serde_json::from_str::<FixtureFile>(text) {
            Ok(_) => Err(fixture_error(file, problem)),
            Err(e) => Err(parse_error(file, text, e)),
        },
    }
}

/// The error of a file that does not parse, read again with the place of the error tracked.
fn parse_error(file: &str, text: &str, plain: serde_json::Error) -> FixtureError {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, FixtureFile>(&mut de) {
        Err(e) => FixtureError {
            file: file.to_owned(),
            path: e.path().to_string(),
            problem: e.into_inner().to_string(),
        },
        Ok(_) => FixtureError {
            file: file.to_owned(),
            path: String::new(),
            problem: plain.to_string(),
        },
    }
}

/// A fixture file but its users, which [`parse_streaming`] sends on as it reads them.
#[derive(Debug, Default)]
struct FileRest {
    rooms: Vec<FixtureRoom>,
    teams: Vec<FixtureTeam>,
}

/// Users go to the builder in batches: one hand-over per user costs more than storing it.
const USER_BATCH: usize = 256;

type Prepared = Result<PreparedUser, Problem>;

/// Parses a fixture file with the same rules as [`FixtureFile`], sending its users, prepared
/// for the store, to `users` in batches. Stops early when the receiver is gone (the builder
/// refused a user).
fn parse_streaming(
    text: &str,
    users: std::sync::mpsc::SyncSender<Vec<Prepared>>,
    now: Millis,
) -> Result<FileRest, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let rest = FileSeed { users, now }.deserialize(&mut de)?;
    de.end()?;
    Ok(rest)
}

struct FileSeed {
    users: std::sync::mpsc::SyncSender<Vec<Prepared>>,
    now: Millis,
}

const FILE_FIELDS: &[&str] = &["description", "users", "rooms", "teams"];

impl<'de> serde::de::DeserializeSeed<'de> for FileSeed {
    type Value = FileRest;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<FileRest, D::Error> {
        de.deserialize_struct("FixtureFile", FILE_FIELDS, self)
    }
}

impl<'de> serde::de::Visitor<'de> for FileSeed {
    type Value = FileRest;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("struct FixtureFile")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FileRest, A::Error> {
        use serde::de::Error;
        let mut rest = FileRest::default();
        let mut seen = [false; 4];
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(field) = FILE_FIELDS.iter().position(|f| *f == key) else {
                return Err(A::Error::unknown_field(&key, FILE_FIELDS));
            };
            if std::mem::replace(&mut seen[field], true) {
                return Err(A::Error::duplicate_field(FILE_FIELDS[field]));
            }
            match field {
                0 => drop(map.next_value::<Option<String>>()?),
                1 => map.next_value_seed(UsersSeed(&self.users, self.now))?,
                2 => rest.rooms = map.next_value()?,
                _ => rest.teams = map.next_value()?,
            }
        }
        if !seen[1] {
            return Err(A::Error::missing_field("users"));
        }
        Ok(rest)
    }
}

struct UsersSeed<'a>(&'a std::sync::mpsc::SyncSender<Vec<Prepared>>, Millis);

impl<'de> serde::de::DeserializeSeed<'de> for UsersSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UsersSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut batch = Vec::with_capacity(USER_BATCH);
        for i in 0.. {
            let user = seq.next_element::<FixtureUser>()?;
            let done = user.is_none();
            batch.extend(user.map(|u| prepare_user(i, u, self.1)));
            if (done && !batch.is_empty()) || batch.len() == USER_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(USER_BATCH));
                if self.0.send(full).is_err() {
                    // The builder stopped at a bad user; it reports why.
                    return Err(serde::de::Error::custom("the fixture's users were refused"));
                }
            }
            if done {
                break;
            }
        }
        Ok(())
    }
}

type Problem = (String, String);

// Paths are given as closures: formatting one per field of 1M users cost about a second.
fn at<T>(path: impl FnOnce() -> String, r: Result<T, String>) -> Result<T, Problem> {
    r.map_err(|problem| (path(), problem))
}

fn when(
    path: impl FnOnce() -> String,
    value: Option<&str>,
    default: Millis,
    now: Millis,
) -> Result<Millis, Problem> {
    match value {
        None => Ok(default),
        Some(v) => at(path, time::parse_fixture_time(v, now)),
    }
}

fn non_empty(path: impl FnOnce() -> String, value: &str, what: &str) -> Result<(), Problem> {
    if value.trim().is_empty() {
        return Err((path(), format!("{what} must not be empty")));
    }
    Ok(())
}

/// Stores the users as they come, in a bulk load that [`build_rooms`] ends.
fn build_users(
    users: impl IntoIterator<Item = Result<PreparedUser, Problem>>,
) -> Result<Store, Problem> {
    let mut store = Store::new();
    store.begin_bulk_load();
    for (i, user) in users.into_iter().enumerate() {
        store
            .insert_prepared_user(user?)
            .map_err(|e| (format!("users[{i}]"), e.to_string()))?;
    }
    Ok(store)
}

/// The `i`th user of a fixture, with its directory entry (made on the parser's thread).
fn prepare_user(i: usize, u: FixtureUser, now: Millis) -> Result<PreparedUser, Problem> {
    let p = |field: &str| format!("users[{i}].{field}");
    non_empty(|| p("_id"), &u.id, "_id")?;
    if let Some(username) = &u.username {
        non_empty(|| p("username"), username, "username")?;
    }
    let created_at = when(|| p("createdAt"), u.created_at.as_deref(), now, now)?;
    let updated_at = when(|| p("_updatedAt"), u.updated_at.as_deref(), created_at, now)?;
    let status_expires_at = match &u.status_expires_at {
        None => None,
        Some(v) => Some(at(
            || p("statusExpiresAt"),
            time::parse_fixture_time(v, now),
        )?),
    };
    let tokens = u
        .tokens
        .iter()
        .enumerate()
        .map(|(t, tok)| {
            non_empty(
                || format!("users[{i}].tokens[{t}].token"),
                &tok.token,
                "a token",
            )?;
            Ok(StoredToken {
                hashed: secret::hash_token(&tok.token),
                personal_name: Some(tok.name.clone().unwrap_or_else(|| format!("fixture-{t}"))),
                created_at,
            })
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    let user = User {
        id: u.id,
        username: u.username,
        name: u.name,
        status: u.status,
        utc_offset: u.utc_offset,
        status_text: u.status_text,
        status_source: u.status_source,
        status_expires_at,
        avatar_etag: u.avatar_etag,
        created_at,
        updated_at,
        emails: u.emails,
        bio: u.bio,
        nickname: u.nickname,
        active: u.active,
        roles: u.roles.map_or_else(model::default_roles, Arc::from),
        kind: u.kind,
        federation: u.federation.map(Box::new),
        password: u.password.as_deref().map(secret::hash_password),
        tokens,
    };
    Ok(PreparedUser::new(user))
}

/// Adds the teams and rooms to a store holding the fixture's users, and ends the bulk load.
fn build_rooms(
    mut store: Store,
    file: FileRest,
    now: Millis,
    started: std::time::Instant,
) -> Result<Store, Problem> {
    store.sort_users_while(|store| store_rooms(store, file, now))?;
    tracing::debug!(
        "rooms and teams stored, users' orders sorted in {:?}",
        started.elapsed()
    );
    store.finish_bulk_load();
    tracing::debug!(
        "postings trimmed and orders settled in {:?}",
        started.elapsed()
    );
    Ok(store)
}

fn store_rooms(store: &mut Store, file: FileRest, now: Millis) -> Result<(), Problem> {
    let member_idx = |store: &Store, path: &dyn Fn() -> String, id: &str| {
        store
            .user_idx(id)
            .ok_or_else(|| (path(), format!("no user has _id {id:?}")))
    };

    for (i, t) in file.teams.iter().enumerate() {
        let p = |field: &str| format!("teams[{i}].{field}");
        non_empty(|| p("name"), &t.name, "a team name")?;
        let created_at = when(|| p("createdAt"), t.created_at.as_deref(), now, now)?;
        let members = t
            .members
            .iter()
            .enumerate()
            .map(|(m, id)| member_idx(store, &|| format!("teams[{i}].members[{m}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let created_by = match &t.created_by {
            None => None,
            Some(id) => Some(member_idx(store, &|| p("createdBy"), id)?),
        };
        let main = Room {
            id: t.room_id.clone(),
            t: match t.kind {
                TeamType::Public => RoomType::Channel,
                TeamType::Private => RoomType::Private,
            },
            name: t.name.clone(),
            fname: Some(t.fname.clone().unwrap_or_else(|| t.name.clone())),
            description: t.description.clone(),
            topic: t.topic.clone(),
            ts: created_at,
            archived: None,
            default: t.default,
            featured: t.featured,
            prid: None,
            team_id: Some(t.id.clone()),
            team_main: true,
            federated: None,
            last_message: None,
            last_message_ts: None,
            members,
            created_by,
        };
        let main_room = store
            .insert_room(main)
            .map_err(|e| (p("roomId"), e.to_string()))?;
        store
            .insert_team(Team {
                id: t.id.clone(),
                name: t.name.clone(),
                kind: t.kind,
                main_room,
                created_at,
                created_by,
            })
            .map_err(|e| (format!("teams[{i}]"), e.to_string()))?;
    }

    for (i, r) in file.rooms.into_iter().enumerate() {
        let p = |field: &str| format!("rooms[{i}].{field}");
        non_empty(|| p("name"), &r.name, "a room name")?;
        let ts = when(|| p("ts"), r.ts.as_deref(), now, now)?;
        if let Some(team) = &r.team_id {
            if store.team_by_id(team).is_none() {
                return Err((p("teamId"), format!("no team has _id {team:?}")));
            }
        }
        if let Some(parent) = &r.prid {
            if store.room_idx(parent).is_none() {
                return Err((
                    p("prid"),
                    format!("no room has _id {parent:?} (list parents before their discussions)"),
                ));
            }
        }
        let members = r
            .members
            .iter()
            .enumerate()
            .map(|(m, id)| member_idx(store, &|| format!("rooms[{i}].members[{m}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let created_by = match &r.created_by {
            None => None,
            Some(id) => Some(member_idx(store, &|| p("createdBy"), id)?),
        };
        let ts_of_room = Some(ts);
        let (last_message, last_message_ts) = match r.last_message {
            None => (None, None),
            Some(mut message) => {
                let ts = match message.remove("ts") {
                    None => None,
                    Some(Value::String(s)) => Some(at(
                        || p("lastMessage.ts"),
                        time::parse_fixture_time(&s, now),
                    )?),
                    Some(_) => return Err((p("lastMessage.ts"), "must be a string".into())),
                };
                let ts = ts.or(ts_of_room);
                let author = created_by.or(members.first().copied());
                complete_message(&mut message, store, &r.id, author, ts);
                (Some(message), ts)
            }
        };
        let room = Room {
            id: r.id,
            t: r.t,
            name: r.name,
            fname: r.fname,
            description: r.description,
            topic: r.topic,
            ts,
            archived: r.archived,
            default: r.default,
            featured: r.featured,
            prid: r.prid,
            team_id: r.team_id,
            team_main: false,
            federated: r.federated,
            last_message,
            last_message_ts,
            members,
            created_by,
        };
        store
            .insert_room(room)
            .map_err(|e| (format!("rooms[{i}]"), e.to_string()))?;
    }
    Ok(())
}

/// Fills in the keys Rocket.Chat's `IMessage` always has and the file left out: `_id`, `rid`
/// (the room), `msg` (empty), `u` (the room's creator, else its first member, else
/// `rocket.cat`) and `_updatedAt` (the message's `ts`). What the file gives stays.
fn complete_message(
    message: &mut Map<String, Value>,
    store: &Store,
    room_id: &str,
    author: Option<UserIdx>,
    ts: Option<Millis>,
) {
    let author = author.and_then(|idx| store.user(idx));
    let u = match author {
        Some(user) => {
            let mut u = serde_json::json!({"_id": user.id});
            if let Some(username) = &user.username {
                u["username"] = Value::from(&**username);
            }
            if let Some(name) = &user.name {
                u["name"] = Value::from(&**name);
            }
            u
        }
        None => serde_json::json!({"_id": "rocket.cat", "username": "rocket.cat"}),
    };
    let defaults = [
        ("_id", Value::from(format!("{room_id}-last-message"))),
        ("rid", Value::from(room_id)),
        ("msg", Value::from("")),
        ("u", u),
    ];
    for (key, value) in defaults {
        message.entry(key).or_insert(value);
    }
    if let Some(ts) = ts {
        message
            .entry("_updatedAt")
            .or_insert_with(|| Value::from(time::to_iso(ts)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_700_000_000_000;

    fn err(text: &str) -> String {
        load_str("f.json", text, NOW).unwrap_err().to_string()
    }

    #[test]
    fn the_default_fixture_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/default.json");
        let store = load_file(&path, NOW).expect("fixtures/default.json loads");
        assert!(store.user_by_id("rocket.cat").is_some());
        assert!(store.room_idx("GENERAL").is_some());
    }

    #[test]
    fn relative_times_are_relative_to_load() {
        let store = load_str(
            "f.json",
            r#"{"users":[{"_id":"a","username":"a","createdAt":"-1h","_updatedAt":"-2m"}]}"#,
            NOW,
        )
        .unwrap();
        let a = store.user_by_id("a").unwrap();
        assert_eq!(a.created_at, NOW - 3_600_000);
        assert_eq!(a.updated_at, NOW - 120_000);
    }

    #[test]
    fn type_errors_name_the_file_place_and_problem() {
        let e = err(r#"{"users":[{"_id":"a","status":"onlin"}]}"#);
        assert!(
            e.starts_with("f.json: at users[0].status: unknown variant `onlin`"),
            "{e}"
        );
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = err(r#"{"users":[{"_id":"a","usename":"a"}]}"#);
        assert!(
            e.contains("users[0]") && e.contains("unknown field `usename`"),
            "{e}"
        );
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let e = err("{\"users\": [\n  {\"_id\": \"a\",}\n]}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn bad_times_name_the_field() {
        let e = err(r#"{"users":[{"_id":"a","_updatedAt":"yesterday"}]}"#);
        assert!(e.starts_with("f.json: at users[0]._updatedAt:"), "{e}");
    }

    #[test]
    fn duplicates_and_dangling_references_are_refused() {
        let e = err(r#"{"users":[{"_id":"a","username":"x"},{"_id":"b","username":"X"}]}"#);
        assert!(
            e.contains("users[1]") && e.contains("username \"X\" is already taken"),
            "{e}"
        );
        let e = err(r#"{"users":[],"rooms":[{"_id":"r","t":"c","name":"r","members":["ghost"]}]}"#);
        assert!(
            e.contains("rooms[0].members[0]") && e.contains("ghost"),
            "{e}"
        );
        let e = err(r#"{"users":[],"rooms":[{"_id":"r","t":"c","name":"r","teamId":"nope"}]}"#);
        assert!(e.contains("rooms[0].teamId"), "{e}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = load_file(Path::new("/nonexistent/fixture.json"), NOW).unwrap_err();
        assert_eq!(e.file, "/nonexistent/fixture.json");
        assert!(e.problem.contains("cannot read the file"));
    }

    #[test]
    fn the_file_is_checked_as_a_whole_while_its_users_stream_into_the_store() {
        assert!(err("{}").contains("missing field `users`"), "{}", err("{}"));
        let e = err(r#"{"users":[],"users":[]}"#);
        assert!(e.contains("duplicate field `users`"), "{e}");
        let e = err(r#"{"users":[],"channels":[]}"#);
        assert!(e.contains("unknown field `channels`"), "{e}");
        let e = err(r#"{"users":[]} trailing"#);
        assert!(e.contains("trailing characters"), "{e}");
        // A refused user does not hide a broken file after it.
        let e = err(r#"{"users":[{"_id":"a"},{"_id":"a"}],"rooms":["#);
        assert!(e.contains("EOF"), "{e}");
        // Users are prepared on the parser's thread and stored on another: the first bad user
        // is the one reported, whichever thread found it.
        let e = err(r#"{"users":[{"_id":"a"},{"_id":"a"},{"_id":"b","createdAt":"nope"}]}"#);
        assert!(e.starts_with("f.json: at users[1]:"), "{e}");
        let e = err(r#"{"users":[{"_id":"a","createdAt":"nope"},{"_id":"a"}]}"#);
        assert!(e.starts_with("f.json: at users[0].createdAt:"), "{e}");
        // Rooms may come before the users they name.
        let store = load_str(
            "f.json",
            r#"{"rooms":[{"_id":"r","t":"c","name":"r","members":["a"]}],"users":[{"_id":"a"}]}"#,
            NOW,
        )
        .unwrap();
        assert_eq!(store.rooms_of(0).count(), 1);
    }

    #[test]
    fn a_refused_user_stops_a_parse_waiting_on_a_full_queue() {
        let users: Vec<String> = (0..10_000)
            .map(|i| format!(r#"{{"_id":"u{}"}}"#, i.min(9_998)))
            .collect();
        let e = err(&format!(r#"{{"users":[{}]}}"#, users.join(",")));
        assert!(
            e.starts_with("f.json: at users[9999]:") && e.contains("u9998"),
            "{e}"
        );
        for n in [USER_BATCH * 2, USER_BATCH * 2 + 1, 10_000] {
            let ok: Vec<String> = (0..n).map(|i| format!(r#"{{"_id":"u{i}"}}"#)).collect();
            let text = format!(r#"{{"users":[{}]}}"#, ok.join(","));
            assert_eq!(load_str("f.json", &text, NOW).unwrap().user_count(), n);
        }
    }

    #[test]
    fn teams_create_their_main_room() {
        let store = load_str(
            "f.json",
            r#"{"users":[{"_id":"a","username":"a"}],
                "teams":[{"_id":"t","name":"ops","type":"private","roomId":"ops-main","members":["a"]}],
                "rooms":[{"_id":"c","t":"c","name":"ops-chat","teamId":"t"}]}"#,
            NOW,
        )
        .unwrap();
        let main = store.room(store.room_idx("ops-main").unwrap()).unwrap();
        assert!(main.team_main);
        assert_eq!(main.t, RoomType::Private);
        assert_eq!(store.rooms_of(0).count(), 1);
    }
}
