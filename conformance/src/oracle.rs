/*!
The suite's own model of both endpoints, for the model-based run
(the catalog's `model_run`): given the data the suite created and the operations it
performed, what `users.presence` (full list, delta, `ids`) and `directory` (result set,
`total`, order, page, fields by the caller's rights) must answer.

Written from the contract (docs/contract/users.presence.md, docs/contract/directory.md), sharing no code with the reference server: an oracle that shares code with what it
checks cannot catch that code's bugs.

The model knows only the suite's own data. A live server has other users, so every answer is
first narrowed to the ids the suite made, and directory texts always contain the case's unique
prefix. Where the documents leave an answer open (Rocket.Chat versions differ, or a server may
or may not change a status on deactivation), an item is [`Certainty::Optional`]: it may appear
or not, and when it does its fields are still checked.
*/

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::contract::{projected_keys, TEN_MINUTES_MS, USER_KEYS};
use crate::http::show;
use crate::versions::Line;
use crate::vocabulary::Verdict;

/// A user's status as the model knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UserStatus {
    Online,
    Away,
    Busy,
    Offline,
}

impl UserStatus {
    pub const ALL: [UserStatus; 4] = [
        UserStatus::Online,
        UserStatus::Away,
        UserStatus::Busy,
        UserStatus::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Online => "online",
            UserStatus::Away => "away",
            UserStatus::Busy => "busy",
            UserStatus::Offline => "offline",
        }
    }

    /// In the full list (`findUsersNotOffline`).
    pub fn connected(self) -> bool {
        self != UserStatus::Offline
    }
}

/// A text field: plain, or carrying the case's prefix (so that directory texts can find it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Plain(String),
    Prefixed(String),
}

impl Text {
    pub fn full(&self, prefix: &str) -> String {
        match self {
            Text::Plain(s) => s.clone(),
            Text::Prefixed(s) => format!("{prefix}{s}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModelUser {
    /// The username after the case's prefix, e.g. `u3` or `u.3`.
    pub local: String,
    pub name: Text,
    pub bio: Option<Text>,
    pub nickname: Option<Text>,
    pub status: UserStatus,
    /// False after a deactivation: servers differ on whether it changes the status.
    pub status_certain: bool,
    pub status_text: Option<String>,
    pub active: bool,
    /// The write (see [`World::writes`]) that last changed the user's document.
    pub last_write: u64,
}

impl ModelUser {
    pub fn username(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.local)
    }

    pub fn email(&self, prefix: &str) -> String {
        format!("{}@example.org", self.username(prefix))
    }

    /// A caller needs a valid token: deactivation revokes them.
    pub fn can_call(&self) -> bool {
        self.active
    }
}

#[derive(Debug, Clone)]
pub struct ModelRoom {
    pub local: String,
    pub private: bool,
    pub team: Option<usize>,
    /// The suite's users in the room; the admin who created it is a member too.
    pub members: BTreeSet<usize>,
}

#[derive(Debug, Clone)]
pub struct ModelTeam {
    pub local: String,
    pub private: bool,
    /// The suite's users in the team; the admin who created it is a member too.
    pub members: BTreeSet<usize>,
}

/// A `from` instant taken between two writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// Writes up to this number happened before the instant, later ones after it.
    pub after_write: u64,
    /// The instant on the model's clock (manual-clock runs; 0 otherwise).
    pub at_ms: i64,
}

/// Everything the suite created in one case, and the model's clock.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub users: Vec<ModelUser>,
    pub rooms: Vec<ModelRoom>,
    pub teams: Vec<ModelTeam>,
    pub markers: Vec<Marker>,
    /// Writes to user documents so far (each moves the written users' `_updatedAt`).
    pub writes: u64,
    /// Milliseconds since the case began, on a clock only the run moves (manual-clock runs).
    pub clock_ms: i64,
    /// Whether the clock is the manual one (test control) rather than real time.
    pub manual_clock: bool,
}

impl World {
    /// One write touching these users.
    pub fn touch(&mut self, users: impl IntoIterator<Item = usize>) {
        self.writes += 1;
        for u in users {
            if let Some(user) = self.users.get_mut(u) {
                user.last_write = self.writes;
            }
        }
    }

    /// `from` for a delta: an instant after every write so far and before the next one.
    pub fn mark(&mut self) {
        self.markers.push(Marker {
            after_write: self.writes,
            at_ms: self.clock_ms + 1,
        });
        self.clock_ms += 2;
    }
}

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The managed-mode administrator (sees emails, is in every room the suite created).
    Admin,
    User(usize),
}

/// Whether an expected item must appear or may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    Required,
    Optional,
}

// ----- users.presence ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceQuery {
    /// No parameters.
    Full,
    /// `from` = a marker's instant.
    Since { marker: usize },
    /// `ids` = these users (and an id that exists nowhere when `unknown`).
    Ids { users: Vec<usize>, unknown: bool },
}

/// What `users.presence` must answer, narrowed to the suite's users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceExpectation {
    pub full: bool,
    pub users: BTreeMap<usize, Certainty>,
    /// Why, in one line (shown on a failure).
    pub rule: String,
    /// The keys a user object may carry on the line judged (presence.user.projection).
    pub keys: &'static [&'static str],
    /// The line judged: which statuses the model can know.
    pub line: Line,
}

/// Whether the model knows the status a user shows. Not after a deactivation (servers differ),
/// and not, from 8.6, for `away` or `busy`: the suite sets statuses over REST, and 8.6's
/// presence engine shows a human's `away` or `busy` without a live connection as `offline`.
fn status_known(u: &ModelUser, line: Line) -> bool {
    u.status_certain
        && !(line >= Line::V8_6 && matches!(u.status, UserStatus::Away | UserStatus::Busy))
}

/// The expected answer of a presence query (presence.full, presence.from.partial, presence.cutoff,
/// presence.ids) from a target of version line `line`.
pub fn expect_presence(
    world: &World,
    caller: Caller,
    q: &PresenceQuery,
    line: Line,
) -> PresenceExpectation {
    let keys = projected_keys(line);
    let full_list = |rule: &str| PresenceExpectation {
        keys,
        line,
        full: true,
        users: world
            .users
            .iter()
            .enumerate()
            .filter_map(
                |(i, u)| match (status_known(u, line), u.status.connected()) {
                    (true, true) => Some((i, Certainty::Required)),
                    (true, false) => None,
                    (false, _) => Some((i, Certainty::Optional)),
                },
            )
            .collect(),
        rule: rule.to_owned(),
    };
    match q {
        PresenceQuery::Full => full_list("no parameters: every user not offline, full: true"),
        PresenceQuery::Since { marker } => {
            let m = world.markers[*marker];
            let age = world.clock_ms - m.at_ms;
            if world.manual_clock && age >= TEN_MINUTES_MS {
                return full_list(&format!(
                    "from is {age} ms old (10 minutes or more): the full list, full: true"
                ));
            }
            PresenceExpectation {
                keys,
                line,
                full: false,
                users: world
                    .users
                    .iter()
                    .enumerate()
                    .filter(|(i, u)| u.last_write > m.after_write && caller != Caller::User(*i))
                    .map(|(i, _)| (i, Certainty::Required))
                    .collect(),
                rule: "from under 10 minutes old: every user written since from (offline ones too), except the caller, full: false".into(),
            }
        }
        PresenceQuery::Ids { users, .. } => PresenceExpectation {
            keys,
            line,
            full: false,
            users: users
                .iter()
                .filter_map(|&i| {
                    let u = &world.users[i];
                    if !status_known(u, line) {
                        Some((i, Certainty::Optional))
                    } else if u.status.connected() {
                        Some((i, Certainty::Required))
                    } else if u.status_text.is_some() && line >= Line::V8_6 {
                        // 8.6+ also lists offline users with a status text; one 8.6-era build
                        // does not, so the model leaves it open (a check of its own judges it).
                        Some((i, Certainty::Optional))
                    } else {
                        None
                    }
                })
                .collect(),
            rule: "ids: the listed users that are not offline, full: false".into(),
        },
    }
}

/// Compares an answer (`full`, `users`) with the expectation; `ids[i]` is the id of model user
/// `i`. Users not made by the suite are ignored.
pub fn compare_presence(
    world: &World,
    prefix: &str,
    ids: &[String],
    expected: &PresenceExpectation,
    full: bool,
    users: &[Value],
) -> Result<(), Verdict> {
    if full != expected.full {
        return Err(Verdict::fail(
            format!("\"full\" is wrong ({})", expected.rule),
            format!("\"full\": {}", expected.full),
            format!("\"full\": {full}"),
        ));
    }
    let index: BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut seen = BTreeSet::new();
    for item in users {
        let Some(&i) = item
            .get("_id")
            .and_then(Value::as_str)
            .and_then(|id| index.get(id))
        else {
            continue;
        };
        let u = &world.users[i];
        let username = u.username(prefix);
        if !seen.insert(i) {
            return Err(Verdict::fail(
                format!("{username} is listed twice"),
                "each user once",
                show(Some(item)),
            ));
        }
        if !expected.users.contains_key(&i) {
            return Err(Verdict::fail(
                format!("{username} is listed but should not be ({})", expected.rule),
                format!("no {username}"),
                show(Some(item)),
            ));
        }
        check_presence_user(u, prefix, item, expected)?;
    }
    let missing: Vec<String> = expected
        .users
        .iter()
        .filter(|(i, c)| **c == Certainty::Required && !seen.contains(*i))
        .map(|(i, _)| world.users[*i].username(prefix))
        .collect();
    if !missing.is_empty() {
        let listed: Vec<String> = seen
            .iter()
            .map(|i| world.users[*i].username(prefix))
            .collect();
        return Err(Verdict::fail(
            format!("users are missing ({})", expected.rule),
            format!("also {}", missing.join(", ")),
            format!("the suite's users listed: {listed:?}"),
        ));
    }
    Ok(())
}

fn check_presence_user(
    u: &ModelUser,
    prefix: &str,
    item: &Value,
    expected: &PresenceExpectation,
) -> Result<(), Verdict> {
    let keys = expected.keys;
    let username = u.username(prefix);
    let Some(obj) = item.as_object() else {
        return Err(Verdict::fail(
            "a user is not an object",
            "an object",
            show(Some(item)),
        ));
    };
    for (k, v) in obj {
        if !keys.contains(&k.as_str()) || v.is_null() {
            return Err(Verdict::fail(
                format!(
                    "{username} carries {k:?} = {v}, which presence does not project (or null)"
                ),
                format!("only {keys:?}, absent fields omitted"),
                show(Some(item)),
            ));
        }
    }
    let mut want: Vec<(&str, Option<Value>)> = vec![
        ("username", Some(Value::String(username.clone()))),
        ("name", Some(Value::String(u.name.full(prefix)))),
        ("statusText", u.status_text.clone().map(Value::String)),
    ];
    if status_known(u, expected.line) {
        want.push(("status", Some(Value::String(u.status.as_str().into()))));
    }
    for (key, value) in want {
        if obj.get(key) != value.as_ref() {
            return Err(Verdict::fail(
                format!("{username} has the wrong {key:?}"),
                format!("\"{key}\": {}", show(value.as_ref())),
                format!("\"{key}\": {}", show(obj.get(key))),
            ));
        }
    }
    Ok(())
}

// ----- directory -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Users,
    Channels,
    Teams,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Channels => "channels",
            Kind::Teams => "teams",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Name,
    Username,
    Email,
    Bio,
    UsersCount,
}

impl SortField {
    pub fn as_str(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::Username => "username",
            SortField::Email => "email",
            SortField::Bio => "bio",
            SortField::UsersCount => "usersCount",
        }
    }

    /// Allowed for this type (directory.sort.keys).
    pub fn allowed_for(self, kind: Kind) -> bool {
        match self {
            SortField::Name | SortField::UsersCount => true,
            SortField::Username | SortField::Email | SortField::Bio => kind == Kind::Users,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryQuery {
    pub kind: Kind,
    /// The text after the case's prefix; the request sends prefix + this.
    pub text: String,
    /// Send the text in upper case (matching is case-insensitive).
    pub upper: bool,
    /// `workspace=all` rather than the default.
    pub workspace_all: bool,
    pub count: Option<i64>,
    pub offset: Option<i64>,
    /// Field and ascending.
    pub sort: Option<(SortField, bool)>,
}

impl DirectoryQuery {
    pub fn full_text(&self, prefix: &str) -> String {
        let t = format!("{prefix}{}", self.text);
        if self.upper {
            t.to_uppercase()
        } else {
            t
        }
    }
}

/// One part of a sort key, in MongoDB's order of types: missing, numbers, strings (bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyPart {
    Missing,
    Num(i64),
    Str(String),
}

/// Something the directory can list, by its index in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entity {
    User(usize),
    Room(usize),
    Team(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryExpectation {
    /// The matches in the order of the sort (ties in any order).
    pub matches: Vec<(Entity, Vec<KeyPart>, Certainty)>,
    pub skip: usize,
    pub limit: usize,
    pub offset_echo: i64,
    pub ascending: bool,
    /// Optional matches exist: `total` and the page are bounded, not exact.
    pub ambiguous: bool,
}

/// The directory's settings the model needs.
#[derive(Debug, Clone)]
pub struct DirectorySettings {
    pub default_count: i64,
    pub upper_count_limit: i64,
    /// `Accounts_SearchFields`, split and trimmed.
    pub search_fields: Vec<String>,
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// The expected answer of a directory query (directory.users.visibility,
/// directory.channels.visibility, directory.text.match, directory.pagination, directory.sort.default).
pub fn expect_directory(
    world: &World,
    prefix: &str,
    settings: &DirectorySettings,
    caller: Caller,
    q: &DirectoryQuery,
) -> DirectoryExpectation {
    let text = q.full_text(prefix);
    let in_room = |room: &ModelRoom| match caller {
        Caller::Admin => true,
        Caller::User(u) => room.members.contains(&u),
    };
    let in_team = |team: &ModelTeam| match caller {
        Caller::Admin => true,
        Caller::User(u) => team.members.contains(&u),
    };
    let (field, ascending) = q.sort.unwrap_or((SortField::Name, false));
    let mut matches: Vec<(Entity, Vec<KeyPart>, Certainty)> = Vec::new();
    match q.kind {
        Kind::Users => {
            for (i, u) in world.users.iter().enumerate() {
                if !u.active {
                    continue;
                }
                let value = |f: &str| -> Option<String> {
                    match f {
                        "username" => Some(u.username(prefix)),
                        "name" => Some(u.name.full(prefix)),
                        "bio" => u.bio.as_ref().map(|t| t.full(prefix)),
                        "nickname" => u.nickname.as_ref().map(|t| t.full(prefix)),
                        "emails.address" => Some(u.email(prefix)),
                        _ => None,
                    }
                };
                let hit = |fields: &[&str]| {
                    fields
                        .iter()
                        .any(|f| value(f).is_some_and(|v| contains_ci(&v, &text)))
                };
                let configured: Vec<&str> =
                    settings.search_fields.iter().map(String::as_str).collect();
                let certainty = if !q.workspace_all {
                    hit(&configured).then_some(Certainty::Required)
                } else {
                    // Rocket.Chat searches username, name and emails for `all`; the seed says
                    // `all` works only with federation, so a server may answer as `local`.
                    let rc = hit(&["username", "name", "emails.address"]);
                    let local = hit(&configured);
                    match (rc, local) {
                        (true, true) => Some(Certainty::Required),
                        (false, false) => None,
                        _ => Some(Certainty::Optional),
                    }
                };
                if let Some(c) = certainty {
                    let s = |v: Option<String>| v.map_or(KeyPart::Missing, KeyPart::Str);
                    let key = match field {
                        SortField::Name => vec![s(Some(u.name.full(prefix)))],
                        SortField::Username => vec![s(Some(u.username(prefix)))],
                        SortField::Email => {
                            vec![s(Some(u.email(prefix))), s(Some(u.username(prefix)))]
                        }
                        SortField::Bio => vec![s(u.bio.as_ref().map(|t| t.full(prefix)))],
                        SortField::UsersCount => vec![KeyPart::Missing],
                    };
                    matches.push((Entity::User(i), key, c));
                }
            }
        }
        Kind::Channels => {
            for (i, r) in world.rooms.iter().enumerate() {
                let visible = in_room(r)
                    || (!r.private
                        && r.team
                            .is_none_or(|t| !world.teams[t].private || in_team(&world.teams[t])));
                let name = format!("{prefix}{}", r.local);
                if visible && contains_ci(&name, &text) {
                    let key = match field {
                        SortField::UsersCount => vec![KeyPart::Num(r.members.len() as i64 + 1)],
                        _ => vec![KeyPart::Str(name)],
                    };
                    matches.push((Entity::Room(i), key, Certainty::Required));
                }
            }
        }
        Kind::Teams => {
            for (i, t) in world.teams.iter().enumerate() {
                let name = format!("{prefix}{}", t.local);
                if (!t.private || in_team(t)) && contains_ci(&name, &text) {
                    let key = match field {
                        SortField::UsersCount => vec![KeyPart::Num(t.members.len() as i64 + 1)],
                        _ => vec![KeyPart::Str(name)],
                    };
                    matches.push((Entity::Team(i), key, Certainty::Required));
                }
            }
        }
    }
    matches.sort_by(|a, b| {
        if ascending {
            a.1.cmp(&b.1)
        } else {
            b.1.cmp(&a.1)
        }
    });
    let limit = match q.count {
        None => settings.default_count,
        Some(c) if c > settings.upper_count_limit => settings.upper_count_limit,
        Some(c) if c <= 0 => 10,
        Some(c) => c,
    };
    let offset = q.offset.unwrap_or(0);
    DirectoryExpectation {
        ambiguous: matches.iter().any(|m| m.2 == Certainty::Optional),
        matches,
        skip: offset.max(0) as usize,
        limit: limit.max(0) as usize,
        offset_echo: offset,
        ascending,
    }
}

/// The runtime ids of what the model made, parallel to the world's vectors.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    pub users: Vec<String>,
    /// Room ids (`_id` of channels and groups).
    pub rooms: Vec<String>,
    /// The main room id of each team (the `_id` of a team's directory item).
    pub team_rooms: Vec<String>,
}

impl Ids {
    fn entity(&self, kind: Kind, id: &str) -> Option<Entity> {
        let find = |v: &[String]| v.iter().position(|x| x == id);
        match kind {
            Kind::Users => find(&self.users).map(Entity::User),
            Kind::Channels => find(&self.rooms).map(Entity::Room),
            Kind::Teams => find(&self.team_rooms).map(Entity::Team),
        }
    }
}

/// The parts of a directory answer the model checks.
#[derive(Debug, Clone)]
pub struct DirectoryAnswer<'a> {
    pub result: &'a [Value],
    pub count: i64,
    pub offset: i64,
    pub total: i64,
}

/// Compares a directory answer with the expectation. Since the text carries the case's prefix,
/// every item must be the suite's.
pub fn compare_directory(
    world: &World,
    prefix: &str,
    ids: &Ids,
    caller: Caller,
    q: &DirectoryQuery,
    expected: &DirectoryExpectation,
    answer: &DirectoryAnswer,
) -> Result<(), Verdict> {
    let text = q.full_text(prefix);
    let name_of = |e: Entity| match e {
        Entity::User(i) => world.users[i].username(prefix),
        Entity::Room(i) => format!("{prefix}{}", world.rooms[i].local),
        Entity::Team(i) => format!("{prefix}{}", world.teams[i].local),
    };
    let listed = |entities: &[Entity]| -> String {
        format!(
            "{:?}",
            entities.iter().map(|e| name_of(*e)).collect::<Vec<_>>()
        )
    };
    if answer.count != answer.result.len() as i64 {
        return Err(Verdict::fail(
            "count is not the number of items returned",
            format!("\"count\": {}", answer.result.len()),
            format!("\"count\": {}", answer.count),
        ));
    }
    if answer.offset != expected.offset_echo {
        return Err(Verdict::fail(
            "offset is not the requested offset",
            format!("\"offset\": {}", expected.offset_echo),
            format!("\"offset\": {}", answer.offset),
        ));
    }
    let mut got = Vec::new();
    for item in answer.result {
        let id = item.get("_id").and_then(Value::as_str).unwrap_or("");
        let Some(e) = ids.entity(q.kind, id) else {
            return Err(Verdict::fail(
                format!("an item that the suite did not make is listed for text {text:?}: only the suite's names contain that text"),
                "only items containing the text",
                show(Some(item)),
            ));
        };
        if got.contains(&e) {
            return Err(Verdict::fail(
                format!("{} is listed twice", name_of(e)),
                "each item once",
                show(Some(item)),
            ));
        }
        let Some(m) = expected.matches.iter().find(|m| m.0 == e) else {
            return Err(Verdict::fail(
                format!(
                    "{} is listed but should not be for text {text:?} as this caller",
                    name_of(e)
                ),
                format!(
                    "only {}",
                    listed(&expected.matches.iter().map(|m| m.0).collect::<Vec<_>>())
                ),
                show(Some(item)),
            ));
        };
        let _ = m;
        check_directory_item(world, prefix, caller, e, item)?;
        got.push(e);
    }
    let key_of = |e: Entity| {
        expected
            .matches
            .iter()
            .find(|m| m.0 == e)
            .map(|m| m.1.clone())
            .unwrap_or_default()
    };
    let required = expected
        .matches
        .iter()
        .filter(|m| m.2 == Certainty::Required)
        .count() as i64;
    let all: Vec<Entity> = expected.matches.iter().map(|m| m.0).collect();
    if !expected.ambiguous {
        if answer.total != required {
            return Err(Verdict::fail(
                format!("total is not the number of matches for {text:?}"),
                format!("\"total\": {required} ({})", listed(&all)),
                format!("\"total\": {}", answer.total),
            ));
        }
        let page: Vec<&(Entity, Vec<KeyPart>, Certainty)> = expected
            .matches
            .iter()
            .skip(expected.skip)
            .take(expected.limit)
            .collect();
        let want_keys: Vec<&Vec<KeyPart>> = page.iter().map(|m| &m.1).collect();
        let got_keys: Vec<Vec<KeyPart>> = got.iter().map(|e| key_of(*e)).collect();
        if got_keys.iter().collect::<Vec<_>>() != want_keys {
            return Err(Verdict::fail(
                format!(
                    "the page (skip {}, limit {}, {}) is not the right slice of the sorted matches",
                    expected.skip,
                    expected.limit,
                    if expected.ascending {
                        "ascending"
                    } else {
                        "descending"
                    }
                ),
                listed(&page.iter().map(|m| m.0).collect::<Vec<_>>()),
                listed(&got),
            ));
        }
    } else {
        let optional = expected.matches.len() as i64 - required;
        if answer.total < required || answer.total > required + optional {
            return Err(Verdict::fail(
                format!("total is out of range for {text:?}"),
                format!("\"total\" between {required} and {}", required + optional),
                format!("\"total\": {}", answer.total),
            ));
        }
        let keys: Vec<Vec<KeyPart>> = got.iter().map(|e| key_of(*e)).collect();
        let sorted = keys.windows(2).all(|w| {
            if expected.ascending {
                w[0] <= w[1]
            } else {
                w[0] >= w[1]
            }
        });
        if !sorted || got.len() > expected.limit {
            return Err(Verdict::fail(
                "the page is not in the sort order, or longer than the limit",
                format!("at most {} items, sorted", expected.limit),
                listed(&got),
            ));
        }
    }
    Ok(())
}

fn check_directory_item(
    world: &World,
    prefix: &str,
    caller: Caller,
    e: Entity,
    item: &Value,
) -> Result<(), Verdict> {
    let Some(obj) = item.as_object() else {
        return Err(Verdict::fail(
            "an item is not an object",
            "an object",
            show(Some(item)),
        ));
    };
    let mut want: Vec<(&str, Option<Value>)> = Vec::new();
    let what = match e {
        Entity::User(i) => {
            let u = &world.users[i];
            if let Some(k) = obj.keys().find(|k| !USER_KEYS.contains(&k.as_str())) {
                return Err(Verdict::fail(
                    format!(
                        "user item {} carries {k:?}, which the directory does not project",
                        u.username(prefix)
                    ),
                    format!("only {USER_KEYS:?}"),
                    show(Some(item)),
                ));
            }
            let admin = caller == Caller::Admin;
            if obj.contains_key("emails") != admin {
                return Err(Verdict::fail(
                    if admin {
                        "an administrator (view-full-other-user-info) does not see emails"
                    } else {
                        "a caller without view-full-other-user-info sees emails"
                    },
                    format!("\"emails\" {}", if admin { "present" } else { "absent" }),
                    show(Some(item)),
                ));
            }
            if admin {
                let address = obj["emails"]
                    .get(0)
                    .and_then(|m| m.get("address"))
                    .and_then(Value::as_str);
                if address != Some(u.email(prefix).as_str()) {
                    return Err(Verdict::fail(
                        "the email shown is not the user's",
                        u.email(prefix),
                        show(obj.get("emails")),
                    ));
                }
            }
            want.push(("username", Some(Value::String(u.username(prefix)))));
            want.push(("name", Some(Value::String(u.name.full(prefix)))));
            want.push(("bio", u.bio.as_ref().map(|t| Value::String(t.full(prefix)))));
            want.push((
                "nickname",
                u.nickname.as_ref().map(|t| Value::String(t.full(prefix))),
            ));
            u.username(prefix)
        }
        Entity::Room(i) => {
            let r = &world.rooms[i];
            want.push(("name", Some(Value::String(format!("{prefix}{}", r.local)))));
            want.push((
                "t",
                Some(Value::String(if r.private { "p" } else { "c" }.into())),
            ));
            want.push(("usersCount", Some(Value::from(r.members.len() as i64 + 1))));
            want.push((
                "belongsTo",
                r.team
                    .map(|t| Value::String(format!("{prefix}{}", world.teams[t].local))),
            ));
            format!("{prefix}{}", r.local)
        }
        Entity::Team(i) => {
            let t = &world.teams[i];
            let rooms = world.rooms.iter().filter(|r| r.team == Some(i)).count() as i64;
            want.push(("name", Some(Value::String(format!("{prefix}{}", t.local)))));
            want.push((
                "t",
                Some(Value::String(if t.private { "p" } else { "c" }.into())),
            ));
            want.push(("usersCount", Some(Value::from(t.members.len() as i64 + 1))));
            want.push(("teamMain", Some(Value::Bool(true))));
            // Rooms.countByTeamId: the main room and every room of the team.
            want.push(("roomsCount", Some(Value::from(rooms + 1))));
            format!("{prefix}{}", t.local)
        }
    };
    for (key, value) in want {
        if obj.get(key) != value.as_ref() {
            return Err(Verdict::fail(
                format!("{what} has the wrong {key:?}"),
                format!("\"{key}\": {}", show(value.as_ref())),
                format!("\"{key}\": {}", show(obj.get(key))),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const P: &str = "conf-test-c1-";

    fn user(local: &str, status: UserStatus) -> ModelUser {
        ModelUser {
            local: local.into(),
            name: Text::Plain(format!("Name {local}")),
            bio: None,
            nickname: None,
            status,
            status_certain: true,
            status_text: None,
            active: true,
            last_write: 0,
        }
    }

    fn world() -> World {
        let mut w = World {
            manual_clock: true,
            ..World::default()
        };
        for (local, s) in [
            ("u1", UserStatus::Online),
            ("u2", UserStatus::Offline),
            ("u.3", UserStatus::Busy),
        ] {
            w.users.push(user(local, s));
            let n = w.users.len() - 1;
            w.touch([n]);
        }
        w
    }

    fn settings() -> DirectorySettings {
        DirectorySettings {
            default_count: 50,
            upper_count_limit: 100,
            search_fields: vec![
                "username".into(),
                "name".into(),
                "bio".into(),
                "nickname".into(),
            ],
        }
    }

    #[test]
    fn full_list_has_connected_users_and_deactivation_makes_status_uncertain() {
        let mut w = world();
        let e = expect_presence(&w, Caller::Admin, &PresenceQuery::Full, Line::NEWEST);
        assert!(e.full);
        assert_eq!(e.users.keys().copied().collect::<Vec<_>>(), vec![0, 2]);
        w.users[1].status_certain = false;
        let e = expect_presence(&w, Caller::Admin, &PresenceQuery::Full, Line::NEWEST);
        assert_eq!(e.users.get(&1), Some(&Certainty::Optional));
    }

    #[test]
    fn delta_has_written_users_but_not_the_caller_and_turns_full_at_ten_minutes() {
        let mut w = world();
        w.mark();
        w.touch([1]);
        w.touch([0]);
        let q = PresenceQuery::Since { marker: 0 };
        let e = expect_presence(&w, Caller::User(0), &q, Line::NEWEST);
        assert!(!e.full);
        assert_eq!(e.users.keys().copied().collect::<Vec<_>>(), vec![1]);
        w.clock_ms = w.markers[0].at_ms + TEN_MINUTES_MS - 1;
        assert!(!expect_presence(&w, Caller::User(0), &q, Line::NEWEST).full);
        w.clock_ms += 1;
        assert!(expect_presence(&w, Caller::User(0), &q, Line::NEWEST).full);
    }

    #[test]
    fn ids_lists_connected_users_and_offline_ones_with_text_only_optionally() {
        let mut w = world();
        w.users[1].status_text = Some("lunch".into());
        let q = PresenceQuery::Ids {
            users: vec![0, 1],
            unknown: true,
        };
        let e = expect_presence(&w, Caller::Admin, &q, Line::V8_6);
        assert_eq!(e.users.get(&0), Some(&Certainty::Required));
        assert_eq!(e.users.get(&1), Some(&Certainty::Optional));
        let e = expect_presence(&w, Caller::Admin, &q, Line::V8_5);
        assert_eq!(
            e.users.get(&1),
            None,
            "before 8.6 an offline user is left out"
        );
    }

    #[test]
    fn from_8_6_a_busy_or_away_set_over_rest_may_show_offline() {
        let mut w = world();
        w.users[0].status = UserStatus::Busy;
        let e = expect_presence(&w, Caller::Admin, &PresenceQuery::Full, Line::V8_5);
        assert_eq!(e.users.get(&0), Some(&Certainty::Required));
        let e = expect_presence(&w, Caller::Admin, &PresenceQuery::Full, Line::V8_6);
        assert_eq!(e.users.get(&0), Some(&Certainty::Optional));
    }

    #[test]
    fn presence_comparison_catches_extra_missing_and_wrong_fields() {
        let w = world();
        let ids: Vec<String> = vec!["A".into(), "B".into(), "C".into()];
        // 8.5: the busy user C is certain (from 8.6 a busy set over REST may show offline).
        let e = expect_presence(&w, Caller::Admin, &PresenceQuery::Full, Line::V8_5);
        let good = |id: &str, local: &str, status: &str| json!({"_id": id, "username": format!("{P}{local}"), "name": format!("Name {local}"), "status": status});
        let a = good("A", "u1", "online");
        let c = good("C", "u.3", "busy");
        let other = json!({"_id": "Z", "username": "someone", "status": "online"});
        assert!(compare_presence(&w, P, &ids, &e, true, &[a.clone(), other, c.clone()]).is_ok());
        assert!(compare_presence(&w, P, &ids, &e, false, &[a.clone(), c.clone()]).is_err());
        assert!(compare_presence(&w, P, &ids, &e, true, std::slice::from_ref(&a)).is_err());
        let b = good("B", "u2", "offline");
        assert!(compare_presence(&w, P, &ids, &e, true, &[a.clone(), b, c.clone()]).is_err());
        let mut nulls = a.clone();
        nulls["statusText"] = Value::Null;
        assert!(compare_presence(&w, P, &ids, &e, true, &[nulls, c.clone()]).is_err());
        let mut leak = a;
        leak["emails"] = json!([]);
        assert!(compare_presence(&w, P, &ids, &e, true, &[leak, c]).is_err());
    }

    #[test]
    fn directory_matches_literally_case_insensitively_and_sorts_name_descending() {
        let mut w = world();
        w.users.push(user("uX3", UserStatus::Online));
        let q = DirectoryQuery {
            kind: Kind::Users,
            text: "U.3".into(),
            upper: false,
            workspace_all: false,
            count: None,
            offset: None,
            sort: None,
        };
        let e = expect_directory(&w, P, &settings(), Caller::Admin, &q);
        assert_eq!(
            e.matches.iter().map(|m| m.0).collect::<Vec<_>>(),
            vec![Entity::User(2)]
        );
        let q = DirectoryQuery {
            text: "u".into(),
            ..q
        };
        let e = expect_directory(&w, P, &settings(), Caller::Admin, &q);
        let order: Vec<Entity> = e.matches.iter().map(|m| m.0).collect();
        // Names "Name uX3" > "Name u2" > "Name u1" > "Name u.3" in byte order, descending.
        assert_eq!(
            order,
            vec![
                Entity::User(3),
                Entity::User(1),
                Entity::User(0),
                Entity::User(2)
            ]
        );
    }

    #[test]
    fn directory_pagination_follows_the_count_rules() {
        let w = world();
        let base = DirectoryQuery {
            kind: Kind::Users,
            text: "u".into(),
            upper: true,
            workspace_all: false,
            count: Some(0),
            offset: Some(-2),
            sort: Some((SortField::Username, true)),
        };
        let e = expect_directory(&w, P, &settings(), Caller::Admin, &base);
        assert_eq!((e.limit, e.skip, e.offset_echo), (10, 0, -2));
        let e = expect_directory(
            &w,
            P,
            &settings(),
            Caller::Admin,
            &DirectoryQuery {
                count: Some(500),
                ..base.clone()
            },
        );
        assert_eq!(e.limit, 100);
        let e = expect_directory(
            &w,
            P,
            &settings(),
            Caller::Admin,
            &DirectoryQuery {
                count: None,
                ..base
            },
        );
        assert_eq!(e.limit, 50);
    }

    #[test]
    fn private_rooms_and_private_teams_are_visible_to_members_only() {
        let mut w = world();
        w.teams.push(ModelTeam {
            local: "t1".into(),
            private: true,
            members: [0].into(),
        });
        w.rooms.push(ModelRoom {
            local: "r1".into(),
            private: false,
            team: Some(0),
            members: BTreeSet::new(),
        });
        w.rooms.push(ModelRoom {
            local: "r2".into(),
            private: true,
            team: None,
            members: [1].into(),
        });
        let q = DirectoryQuery {
            kind: Kind::Channels,
            text: String::new(),
            upper: false,
            workspace_all: false,
            count: None,
            offset: None,
            sort: None,
        };
        let seen = |caller| {
            expect_directory(&w, P, &settings(), caller, &q)
                .matches
                .iter()
                .map(|m| m.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(seen(Caller::User(0)), vec![Entity::Room(0)]);
        assert_eq!(seen(Caller::User(1)), vec![Entity::Room(1)]);
        assert_eq!(seen(Caller::User(2)), vec![]);
        assert_eq!(seen(Caller::Admin).len(), 2);
        let teams = DirectoryQuery {
            kind: Kind::Teams,
            ..q
        };
        assert_eq!(
            expect_directory(&w, P, &settings(), Caller::User(1), &teams)
                .matches
                .len(),
            0
        );
    }

    #[test]
    fn workspace_all_makes_bio_only_matches_optional() {
        let mut w = world();
        w.users[0].bio = Some(Text::Prefixed("bio-a".into()));
        let q = DirectoryQuery {
            kind: Kind::Users,
            text: "bio".into(),
            upper: false,
            workspace_all: true,
            count: None,
            offset: None,
            sort: None,
        };
        let e = expect_directory(&w, P, &settings(), Caller::Admin, &q);
        assert!(e.ambiguous);
        assert_eq!(e.matches[0].2, Certainty::Optional);
    }

    #[test]
    fn directory_comparison_checks_total_slice_and_rights() {
        let w = world();
        let ids = Ids {
            users: vec!["A".into(), "B".into(), "C".into()],
            ..Ids::default()
        };
        let q = DirectoryQuery {
            kind: Kind::Users,
            text: "u".into(),
            upper: false,
            workspace_all: false,
            count: Some(2),
            offset: Some(1),
            sort: Some((SortField::Username, true)),
        };
        let item = |id: &str, local: &str| json!({"_id": id, "username": format!("{P}{local}"), "name": format!("Name {local}")});
        // Usernames ascending: u.3 (C), u1 (A), u2 (B); skip 1 → A, B.
        let e = expect_directory(&w, P, &settings(), Caller::User(0), &q);
        let page = [item("A", "u1"), item("B", "u2")];
        fn answer(result: &[Value], total: i64) -> DirectoryAnswer<'_> {
            DirectoryAnswer {
                result,
                count: result.len() as i64,
                offset: 1,
                total,
            }
        }
        assert!(compare_directory(&w, P, &ids, Caller::User(0), &q, &e, &answer(&page, 3)).is_ok());
        assert!(
            compare_directory(&w, P, &ids, Caller::User(0), &q, &e, &answer(&page, 2)).is_err()
        );
        let swapped = [item("B", "u2"), item("A", "u1")];
        assert!(
            compare_directory(&w, P, &ids, Caller::User(0), &q, &e, &answer(&swapped, 3)).is_err()
        );
        let mut leak = item("A", "u1");
        leak["emails"] = json!([{"address": "x"}]);
        assert!(compare_directory(
            &w,
            P,
            &ids,
            Caller::User(0),
            &q,
            &e,
            &answer(&[leak, item("B", "u2")], 3)
        )
        .is_err());
    }
}
