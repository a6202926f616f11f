/*!
The rules of `GET /api/v1/directory`, apart from HTTP: which type, which caller may search what,
which users and rooms are visible to the caller, which order, and the answer's JSON.

The contract is `docs/contract/directory.md`: search users or channels; `workspace` `local`
(default) or `all`, the latter only with federation (docs/contract/directory.md#directory.workspace.all);
pagination `count`, `offset`, `total` (docs/contract/directory.md#directory.pagination). Where
Rocket.Chat's documentation page is silent this follows Rocket.Chat: who may search
(docs/contract/directory.md#directory.permissions), what each caller sees
(docs/contract/directory.md#directory.users.visibility,
docs/contract/directory.md#directory.channels.visibility), the order
(docs/contract/directory.md#directory.sort.default); `docs/directory.md` lists every choice and
every difference.

| type | who may search | what is listed |
|---|---|---|
| `users` | roles with `view-outside-room` (admin, user) and `view-d-room` (admin, user, bot, app, guest) | active users with a username; federated ones only for `workspace=all` with federation on |
| `channels` (default) | roles with `view-c-room` (admin, user, bot, app, anonymous) | public channels outside teams, channels of public teams and of the caller's teams, and any room the caller is in; never discussions, team main rooms or DMs |
| `teams` | any caller | main rooms of public teams, and of private teams the caller is in |
*/

use std::collections::HashSet;

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::engine::Page;
use super::index::{RoomDoc, RoomOrder, RoomSearch, RoomSet, UserField, UserOrder, UserSearch};
use super::params::{paging, DirectoryError, DirectoryRequest, Projection};
use crate::model::{Room, RoomIdx, RoomType, TeamType, User, UserIdx};
use crate::permissions::{Permission, PermissionTable};
use crate::settings::Settings;
use crate::store::Store;
use crate::time;
use crate::version::Line;

/// The type of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Users,
    Channels,
    Teams,
}

impl Kind {
    /// `None` (absent or empty) is `channels`; an unknown type is refused.
    pub fn parse(kind: Option<&str>) -> Result<Self, DirectoryError> {
        match kind.unwrap_or("channels") {
            "users" => Ok(Kind::Users),
            "channels" => Ok(Kind::Channels),
            "teams" => Ok(Kind::Teams),
            _ => Err(DirectoryError::VerifyParameters),
        }
    }
}

/// The order of a search, after checking the key is allowed for the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Users(UserOrder),
    Rooms(RoomOrder),
}

/// The key and direction: no `sort` is `name` descending (Rocket.Chat's `sortDirection` is
/// `desc` unless the value is 1).
pub fn order(kind: Kind, sort: Option<&(String, bool)>) -> Result<(Order, bool), DirectoryError> {
    let (key, ascending) = match sort {
        None => ("name", false),
        Some((key, ascending)) => (key.as_str(), *ascending),
    };
    let order = match (kind, key) {
        (Kind::Users, "name") => Order::Users(UserOrder::Name),
        (Kind::Users, "username") => Order::Users(UserOrder::Username),
        (Kind::Users, "createdAt") => Order::Users(UserOrder::CreatedAt),
        (Kind::Users, "usersCount") => Order::Users(UserOrder::UsersCount),
        (Kind::Users, "bio") => Order::Users(UserOrder::Bio),
        (Kind::Users, "email") if ascending => Order::Users(UserOrder::EmailAscending),
        (Kind::Users, "email") => Order::Users(UserOrder::EmailDescending),
        (Kind::Channels | Kind::Teams, "name") => Order::Rooms(RoomOrder::Name),
        (Kind::Channels | Kind::Teams, "createdAt") => Order::Rooms(RoomOrder::CreatedAt),
        (Kind::Channels | Kind::Teams, "usersCount") => Order::Rooms(RoomOrder::UsersCount),
        (Kind::Channels | Kind::Teams, "usernames") => Order::Rooms(RoomOrder::Usernames),
        (Kind::Channels | Kind::Teams, "lastMessage") => Order::Rooms(RoomOrder::LastMessage),
        _ => return Err(DirectoryError::VerifyParameters),
    };
    Ok((order, !ascending))
}

/// `view-outside-room` and `view-d-room`, both needed to search users.
pub fn may_search_users(permissions: &PermissionTable, user: &User) -> bool {
    permissions.allows(user, Permission::ViewOutsideRoom)
        && permissions.allows(user, Permission::ViewDirectRoom)
}

/// `view-c-room`, needed to search channels.
pub fn may_search_channels(permissions: &PermissionTable, user: &User) -> bool {
    permissions.allows(user, Permission::ViewChannel)
}

/// `view-full-other-user-info`: who sees `emails`.
pub fn sees_emails(permissions: &PermissionTable, user: &User) -> bool {
    permissions.allows(user, Permission::ViewFullOtherUserInfo)
}

/// Which workspace a user search covers.
pub fn include_federated(workspace: Option<&str>, settings: &Settings) -> bool {
    workspace == Some("all") && settings.federation_enabled
}

/// The fields a user search looks at: `workspace=all` (honoured) searches username, name and
/// e-mail addresses; otherwise `Accounts_SearchFields`.
pub fn user_fields(federated: bool, settings: &Settings) -> Vec<UserField> {
    if federated {
        return vec![UserField::Username, UserField::Name, UserField::Email];
    }
    settings
        .search_fields()
        .filter_map(UserField::from_setting)
        .collect()
}

/// The answer to a directory request from `caller`, as the release of `line` gives it: the
/// JSON body, or why it is refused.
pub fn answer(
    store: &Store,
    settings: &Settings,
    caller: UserIdx,
    query: &str,
    line: Line,
) -> Result<Bytes, DirectoryError> {
    let request = DirectoryRequest::parse(query, line)?;
    let paging = paging(
        request.count,
        request.offset,
        settings.api_default_count,
        settings.api_upper_count_limit,
    );
    let kind = Kind::parse(request.kind.as_deref())?;
    let (order, descending) = order(kind, request.sort.as_ref())?;
    let me = store.user(caller).ok_or(DirectoryError::VerifyParameters)?;
    let index = store.directory_index();
    let (page, items): (Page, Vec<Map<String, Value>>) = match (kind, order) {
        (Kind::Users, Order::Users(order)) => {
            if !may_search_users(&store.permissions, me) {
                return Err(DirectoryError::VerifyParameters);
            }
            let federated = include_federated(request.workspace.as_deref(), settings);
            let fields = user_fields(federated, settings);
            let page = index.search_users(&UserSearch {
                text: &request.text,
                fields: &fields,
                include_federated: federated,
                order,
                descending,
                offset: paging.skip,
                count: paging.limit,
            });
            let with_emails = sees_emails(&store.permissions, me);
            if request.fields.is_none() {
                return Ok(index.user_items().page(
                    &page.items,
                    |i| store.user(i),
                    with_emails,
                    paging.offset,
                    page.total,
                ));
            }
            let items = page
                .items
                .iter()
                .filter_map(|&i| store.user(i))
                .map(|u| user_item(u, with_emails))
                .collect();
            (page, items)
        }
        (Kind::Channels | Kind::Teams, Order::Rooms(order)) => {
            if kind == Kind::Channels && !may_search_channels(&store.permissions, me) {
                return Err(DirectoryError::VerifyParameters);
            }
            let search = RoomSearch {
                text: &request.text,
                order,
                descending,
                offset: paging.skip,
                count: paging.limit,
            };
            let page = if kind == Kind::Channels {
                let teams = TeamsOf::new(store, caller);
                let visible = |idx: RoomIdx, doc: &RoomDoc| teams.sees_channel(idx, doc);
                index.search_rooms(RoomSet::Channels, &search, &visible)
            } else {
                let visible = |idx: RoomIdx, doc: &RoomDoc| {
                    doc.t() == RoomType::Channel
                        || (doc.t() == RoomType::Private && store.is_member(caller, idx))
                };
                index.search_rooms(RoomSet::Teams, &search, &visible)
            };
            let items = page
                .items
                .iter()
                .filter_map(|&i| store.room(i))
                .map(|r| room_item(store, r, kind))
                .collect();
            (page, items)
        }
        _ => unreachable!("the order was chosen for the kind"),
    };
    let result: Vec<Value> = items
        .into_iter()
        .map(|item| Value::Object(project(item, request.fields.as_ref())))
        .collect();
    let body = json!({
        "result": result,
        "count": page.items.len(),
        "offset": super::params::js_integer_json(paging.offset),
        "total": page.total,
        "success": true,
    });
    Ok(Bytes::from(
        serde_json::to_vec(&body).expect("a JSON value serialises"),
    ))
}

/// The teams that open their channels to the caller: public ones and the caller's.
struct TeamsOf<'a> {
    store: &'a Store,
    caller: UserIdx,
    open: HashSet<&'a str>,
}

impl<'a> TeamsOf<'a> {
    fn new(store: &'a Store, caller: UserIdx) -> Self {
        let open = store
            .teams()
            .iter()
            .filter(|t| t.kind == TeamType::Public || store.is_member(caller, t.main_room))
            .map(|t| t.id.as_str())
            .collect();
        Self {
            store,
            caller,
            open,
        }
    }

    fn sees_channel(&self, idx: RoomIdx, doc: &RoomDoc) -> bool {
        let public = doc.t() == RoomType::Channel
            && doc.team_id().is_none_or(|team| self.open.contains(team));
        public || self.store.is_member(self.caller, idx)
    }
}

fn put(item: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        item.insert(key.to_owned(), value);
    }
}

/// A user as the directory lists it; absent fields are omitted.
pub fn user_item(user: &User, with_emails: bool) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert("_id".into(), Value::from(&*user.id));
    put(
        &mut item,
        "username",
        user.username.as_deref().map(Value::from),
    );
    put(&mut item, "name", user.name.as_deref().map(Value::from));
    put(
        &mut item,
        "nickname",
        user.nickname.as_deref().map(Value::from),
    );
    put(&mut item, "bio", user.bio.as_deref().map(Value::from));
    item.insert("createdAt".into(), time::to_iso(user.created_at).into());
    if with_emails && !user.emails.is_empty() {
        item.insert(
            "emails".into(),
            serde_json::to_value(&user.emails).expect("e-mails serialise"),
        );
    }
    put(
        &mut item,
        "federation",
        user.federation.as_deref().cloned().map(Value::Object),
    );
    put(
        &mut item,
        "avatarETag",
        user.avatar_etag.as_deref().map(Value::from),
    );
    item
}

/// A channel or team main room as the directory lists it; absent fields are omitted.
pub fn room_item(store: &Store, room: &Room, kind: Kind) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert("_id".into(), room.id.clone().into());
    item.insert("t".into(), room.t.as_str().into());
    item.insert("name".into(), room.name.clone().into());
    put(&mut item, "fname", room.fname.clone().map(Value::from));
    put(
        &mut item,
        "description",
        room.description.clone().map(Value::from),
    );
    put(&mut item, "topic", room.topic.clone().map(Value::from));
    if let Some(message) = &room.last_message {
        let mut message = message.clone();
        if let Some(ts) = room.last_message_ts {
            message.insert("ts".into(), time::to_iso(ts).into());
        }
        item.insert("lastMessage".into(), Value::Object(message));
    }
    item.insert("ts".into(), time::to_iso(room.ts).into());
    put(&mut item, "archived", room.archived.map(Value::from));
    put(&mut item, "default", room.default.map(Value::from));
    put(&mut item, "featured", room.featured.map(Value::from));
    item.insert("usersCount".into(), room.members.len().into());
    put(&mut item, "prid", room.prid.clone().map(Value::from));
    put(&mut item, "teamId", room.team_id.clone().map(Value::from));
    match kind {
        Kind::Teams => {
            item.insert("teamMain".into(), true.into());
            let count = room
                .team_id
                .as_deref()
                .map_or(0, |t| store.directory_index().rooms_count(t));
            item.insert("roomsCount".into(), count.into());
        }
        _ => {
            put(&mut item, "federated", room.federated.map(Value::from));
            let team = room.team_id.as_deref().and_then(|t| store.team_by_id(t));
            put(&mut item, "belongsTo", team.map(|t| t.name.clone().into()));
        }
    }
    item
}

/// Applies a `fields` projection; `_id` is always kept. Dotted paths reach into objects and
/// arrays of objects, as MongoDB's projections do.
pub fn project(item: Map<String, Value>, projection: Option<&Projection>) -> Map<String, Value> {
    match projection {
        None => item,
        Some(Projection::Include(paths)) => {
            let mut out = Map::new();
            if let Some(id) = item.get("_id") {
                out.insert("_id".into(), id.clone());
            }
            let source = Value::Object(item);
            let mut target = Value::Object(out);
            for path in paths {
                let segments: Vec<&str> = path.split('.').collect();
                include(&source, &mut target, &segments);
            }
            match target {
                Value::Object(map) => map,
                _ => unreachable!("the target stays an object"),
            }
        }
        Some(Projection::Exclude(paths)) => {
            let mut value = Value::Object(item);
            for path in paths {
                let segments: Vec<&str> = path.split('.').collect();
                exclude(&mut value, &segments);
            }
            match value {
                Value::Object(map) => map,
                _ => unreachable!("exclusion keeps an object"),
            }
        }
    }
}

fn include(source: &Value, target: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match (source, target) {
        (Value::Object(src), Value::Object(dst)) => {
            let Some(value) = src.get(*first) else {
                return;
            };
            if rest.is_empty() {
                dst.insert((*first).to_owned(), value.clone());
                return;
            }
            let empty = match value {
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .filter(|v| v.is_object())
                        .map(|_| Value::Object(Map::new()))
                        .collect(),
                ),
                Value::Object(_) => Value::Object(Map::new()),
                _ => return,
            };
            let slot = dst.entry((*first).to_owned()).or_insert(empty);
            include(value, slot, rest);
        }
        (Value::Array(src), Value::Array(dst)) => {
            let objects = src.iter().filter(|v| v.is_object());
            for (s, d) in objects.zip(dst.iter_mut()) {
                include(s, d, path);
            }
        }
        _ => {}
    }
}

fn exclude(value: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match value {
        Value::Object(map) if rest.is_empty() && *first != "_id" => {
            map.remove(*first);
        }
        Value::Object(_) if rest.is_empty() => {}
        Value::Object(map) => {
            if let Some(inner) = map.get_mut(*first) {
                exclude(inner, rest);
            }
        }
        Value::Array(items) => {
            for item in items {
                exclude(item, path);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_keeps_id_and_reaches_into_arrays() {
        let item = json!({"_id": "a", "name": "A", "emails": [{"address": "x", "verified": true}], "bio": "b"});
        let Value::Object(item) = item else {
            unreachable!()
        };
        let projected = project(
            item.clone(),
            Some(&Projection::Include(vec![
                "emails.address".into(),
                "name".into(),
                "nope".into(),
            ])),
        );
        assert_eq!(
            Value::Object(projected),
            json!({"_id": "a", "name": "A", "emails": [{"address": "x"}]})
        );
        let projected = project(
            item,
            Some(&Projection::Exclude(vec![
                "emails.verified".into(),
                "bio".into(),
            ])),
        );
        assert_eq!(
            Value::Object(projected),
            json!({"_id": "a", "name": "A", "emails": [{"address": "x"}]})
        );
    }

    #[test]
    fn default_order_is_name_descending_and_keys_depend_on_type() {
        assert_eq!(
            order(Kind::Users, None),
            Ok((Order::Users(UserOrder::Name), true))
        );
        assert_eq!(
            order(Kind::Teams, Some(&("lastMessage".into(), true))),
            Ok((Order::Rooms(RoomOrder::LastMessage), false))
        );
        assert_eq!(
            order(Kind::Users, Some(&("lastMessage".into(), true))),
            Err(DirectoryError::VerifyParameters)
        );
        assert_eq!(
            order(Kind::Channels, Some(&("email".into(), true))),
            Err(DirectoryError::VerifyParameters)
        );
        // Ascending e-mail order reads a user's smallest address, descending its largest.
        assert_eq!(
            order(Kind::Users, Some(&("email".into(), true))),
            Ok((Order::Users(UserOrder::EmailAscending), false))
        );
        assert_eq!(
            order(Kind::Users, Some(&("email".into(), false))),
            Ok((Order::Users(UserOrder::EmailDescending), true))
        );
    }

    #[test]
    fn inclusion_reaches_into_objects() {
        let item = json!({"_id": "a", "federation": {"origin": "matrix.example.org", "avatarUrl": "x"}, "name": "A"});
        let Value::Object(item) = item else {
            unreachable!()
        };
        let projected = project(
            item,
            Some(&Projection::Include(vec![
                "federation.origin".into(),
                "name.first".into(),
            ])),
        );
        assert_eq!(
            Value::Object(projected),
            json!({"_id": "a", "federation": {"origin": "matrix.example.org"}})
        );
    }
}
