/*!
Room writes: `channels.create`/`delete`/`invite`, `groups.create`/`delete`, `teams.create`/
`delete`/`addRooms`, and channel creation inside a team (`channels.create` with
`extraData.teamId`).

The creator of a room or team is its owner: it may delete it and invite to it, as may admins.
Joining or leaving a room writes the user document in Rocket.Chat (`__rooms`), so it moves the
user's `_updatedAt`.
*/

use serde_json::{json, Value};

use super::{is_valid_name, require, user_stub, RcError};
use crate::model::{Room, RoomIdx, RoomType, Team, TeamType, UserIdx};
use crate::permissions::Permission;
use crate::secret;
use crate::store::Store;
use crate::time::{self, Millis};

/// `channels.*` (public) or `groups.*` (private).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomKind {
    Channel,
    Group,
}

impl RoomKind {
    fn room_type(self) -> RoomType {
        match self {
            RoomKind::Channel => RoomType::Channel,
            RoomKind::Group => RoomType::Private,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            RoomKind::Channel => "channel",
            RoomKind::Group => "group",
        }
    }
}

/// The body of `channels.create` / `groups.create`.
#[derive(Debug, Clone, Default)]
pub struct NewRoom {
    pub name: Option<String>,
    /// Usernames.
    pub members: Vec<String>,
    pub read_only: bool,
    pub team_id: Option<String>,
}

/// A room named by `roomId` or `roomName`.
#[derive(Debug, Clone, Default)]
pub struct RoomRef {
    pub room_id: Option<String>,
    pub room_name: Option<String>,
}

/// A team named by `teamId` or `teamName`.
#[derive(Debug, Clone, Default)]
pub struct TeamRef {
    pub team_id: Option<String>,
    pub team_name: Option<String>,
}

fn not_found(kind: RoomKind) -> RcError {
    RcError::meteor(
        "error-room-not-found",
        format!(
            "The required \"roomId\" or \"roomName\" param provided does not match any {}",
            kind.noun()
        ),
        None,
    )
}

fn resolve_room(store: &Store, kind: RoomKind, r: &RoomRef) -> Result<RoomIdx, RcError> {
    let idx = match (&r.room_id, &r.room_name) {
        (Some(id), _) if !id.is_empty() => store.room_idx(id),
        (_, Some(name)) if !name.is_empty() => store.room_idx_by_name(name),
        _ => {
            return Err(RcError::meteor(
                "error-room-param-not-provided",
                "The parameter \"roomId\" or \"roomName\" is required",
                None,
            ))
        }
    };
    idx.filter(|&i| store.room(i).is_some_and(|room| room.t == kind.room_type()))
        .ok_or_else(|| not_found(kind))
}

fn resolve_team(store: &Store, t: &TeamRef) -> Result<Team, RcError> {
    let team = match (&t.team_id, &t.team_name) {
        (Some(id), _) if !id.is_empty() => store.team_by_id(id),
        (_, Some(name)) if !name.is_empty() => store.teams().iter().find(|team| &team.name == name),
        _ => {
            return Err(RcError::failure(
                "Provide either the \"teamId\" or \"teamName\"",
            ))
        }
    };
    team.cloned()
        .ok_or_else(|| RcError::failure("Team not found"))
}

fn check_room_name(store: &Store, name: &str) -> Result<(), RcError> {
    if !is_valid_name(name) {
        return Err(RcError::meteor(
            "error-invalid-room-name",
            format!("{name} is not a valid room name"),
            Some(json!({"method": "createRoom", "room_name": name})),
        ));
    }
    if store.room_idx_by_name(name).is_some() {
        return Err(RcError::meteor(
            "error-duplicate-channel-name",
            format!("A channel with name '{name}' exists"),
            Some(json!({"method": "createRoom", "channel_name": name})),
        ));
    }
    Ok(())
}

fn is_admin(store: &Store, actor: UserIdx) -> bool {
    store.user(actor).is_some_and(|u| u.is_admin())
}

fn is_owner(store: &Store, actor: UserIdx, room: RoomIdx) -> bool {
    store
        .room(room)
        .is_some_and(|r| r.created_by == Some(actor))
}

/// Adds a member and touches the member's document.
fn join(store: &mut Store, room: RoomIdx, user: UserIdx, now: Millis) {
    if store.add_member(room, user) {
        let _ = store.modify_user(user, now, |_| {});
    }
}

/// Removes a room and touches every former member's document.
fn remove_room_touching_members(store: &mut Store, room: RoomIdx, now: Millis) {
    if let Some(removed) = store.remove_room(room) {
        for member in removed.members {
            let _ = store.modify_user(member, now, |_| {});
        }
    }
}

fn new_room(id: String, t: RoomType, name: String, now: Millis, creator: UserIdx) -> Room {
    Room {
        id,
        t,
        fname: Some(name.clone()),
        name,
        description: None,
        topic: None,
        ts: now,
        archived: None,
        default: Some(false),
        featured: None,
        prid: None,
        team_id: None,
        team_main: false,
        federated: None,
        last_message: None,
        last_message_ts: None,
        members: vec![],
        created_by: Some(creator),
    }
}

/// Creates a public channel or a private group; the creator and the listed members join it.
pub fn create(
    store: &mut Store,
    actor: UserIdx,
    kind: RoomKind,
    new: NewRoom,
    now: Millis,
) -> Result<RoomIdx, RcError> {
    let permission = match kind {
        RoomKind::Channel => Permission::CreateChannel,
        RoomKind::Group => Permission::CreatePrivateGroup,
    };
    require(store, actor, permission)?;
    let name = match &new.name {
        Some(n) if !n.is_empty() => n.clone(),
        _ => return Err(RcError::required("name")),
    };
    check_room_name(store, &name)?;
    let members = new
        .members
        .iter()
        .map(|username| {
            store
                .user_idx_by_username(username)
                .ok_or_else(RcError::invalid_user)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(team_id) = &new.team_id {
        let team = store
            .team_by_id(team_id)
            .ok_or_else(|| RcError::failure("Team not found"))?;
        let main = team.main_room;
        let in_team = store.room(main).is_some_and(|r| r.members.contains(&actor));
        if !in_team && !is_admin(store, actor) {
            return Err(RcError::Forbidden);
        }
    }
    let mut room = new_room(secret::new_id(), kind.room_type(), name, now, actor);
    room.team_id = new.team_id;
    let _ = new.read_only;
    let idx = store
        .insert_room(room)
        .map_err(|e| RcError::failure(e.to_string()))?;
    join(store, idx, actor, now);
    for member in members {
        join(store, idx, member, now);
    }
    Ok(idx)
}

/// Deletes a channel or group (its creator or an admin). Team main rooms go with their team.
pub fn delete(
    store: &mut Store,
    actor: UserIdx,
    kind: RoomKind,
    r: &RoomRef,
    now: Millis,
) -> Result<(), RcError> {
    let idx = resolve_room(store, kind, r)?;
    if !is_owner(store, actor, idx) && !is_admin(store, actor) {
        return Err(RcError::Forbidden);
    }
    if store.room(idx).is_some_and(|room| room.team_main) {
        return Err(RcError::meteor(
            "error-cannot-delete-team-main-room",
            "A team's main room is deleted with teams.delete",
            None,
        ));
    }
    remove_room_touching_members(store, idx, now);
    Ok(())
}

/// Adds users (by `_id`) to a channel (its creator or an admin).
pub fn invite(
    store: &mut Store,
    actor: UserIdx,
    r: &RoomRef,
    user_ids: &[String],
    now: Millis,
) -> Result<RoomIdx, RcError> {
    let idx = resolve_room(store, RoomKind::Channel, r)?;
    if user_ids.is_empty() {
        return Err(RcError::required("userId"));
    }
    let users = user_ids
        .iter()
        .map(|id| store.user_idx(id).ok_or_else(RcError::invalid_user))
        .collect::<Result<Vec<_>, _>>()?;
    if !is_owner(store, actor, idx) && !is_admin(store, actor) {
        return Err(RcError::Forbidden);
    }
    for user in users {
        join(store, idx, user, now);
    }
    Ok(idx)
}

/// Creates a team (`type` 0 public, 1 private) with its main room; the creator and the listed
/// members (by `_id`) join it.
pub fn create_team(
    store: &mut Store,
    actor: UserIdx,
    name: Option<&str>,
    team_type: Option<i64>,
    member_ids: &[String],
    now: Millis,
) -> Result<String, RcError> {
    require(store, actor, Permission::CreateTeam)?;
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| RcError::required("name"))?;
    let kind = match team_type {
        Some(0) => TeamType::Public,
        Some(1) => TeamType::Private,
        None => return Err(RcError::required("type")),
        Some(_) => {
            return Err(RcError::invalid_params(
                "must be equal to one of the allowed values",
            ))
        }
    };
    if store.teams().iter().any(|t| t.name == name) {
        return Err(RcError::failure("team-name-already-exists"));
    }
    check_room_name(store, name)?;
    let members = member_ids
        .iter()
        .map(|id| store.user_idx(id).ok_or_else(RcError::invalid_user))
        .collect::<Result<Vec<_>, _>>()?;
    let team_id = secret::new_id();
    let t = match kind {
        TeamType::Public => RoomType::Channel,
        TeamType::Private => RoomType::Private,
    };
    let mut main = new_room(secret::new_id(), t, name.to_owned(), now, actor);
    main.team_main = true;
    main.team_id = Some(team_id.clone());
    let main_room = store
        .insert_room(main)
        .map_err(|e| RcError::failure(e.to_string()))?;
    store
        .insert_team(Team {
            id: team_id.clone(),
            name: name.to_owned(),
            kind,
            main_room,
            created_at: now,
            created_by: Some(actor),
        })
        .map_err(|e| RcError::failure(e.to_string()))?;
    join(store, main_room, actor, now);
    for member in members {
        join(store, main_room, member, now);
    }
    Ok(team_id)
}

/// Deletes a team (its creator or an admin): its main room goes; its other rooms leave the
/// team, or are deleted when listed in `rooms_to_remove`.
pub fn delete_team(
    store: &mut Store,
    actor: UserIdx,
    t: &TeamRef,
    rooms_to_remove: &[String],
    now: Millis,
) -> Result<(), RcError> {
    let team = resolve_team(store, t)?;
    if team.created_by != Some(actor) && !is_admin(store, actor) {
        return Err(RcError::Forbidden);
    }
    let team_rooms: Vec<RoomIdx> = store
        .rooms()
        .filter(|(i, r)| *i != team.main_room && r.team_id.as_deref() == Some(team.id.as_str()))
        .map(|(i, _)| i)
        .collect();
    for idx in team_rooms {
        let remove = store
            .room(idx)
            .is_some_and(|r| rooms_to_remove.contains(&r.id));
        if remove {
            remove_room_touching_members(store, idx, now);
        } else {
            set_team(store, idx, None);
        }
    }
    remove_room_touching_members(store, team.main_room, now);
    store.remove_team(&team.id);
    Ok(())
}

/// Moves existing rooms (by `_id`) into a team (its creator or an admin).
pub fn add_rooms(
    store: &mut Store,
    actor: UserIdx,
    t: &TeamRef,
    room_ids: &[String],
) -> Result<Vec<RoomIdx>, RcError> {
    let team = resolve_team(store, t)?;
    if team.created_by != Some(actor) && !is_admin(store, actor) {
        return Err(RcError::Forbidden);
    }
    if room_ids.is_empty() {
        return Err(RcError::required("rooms"));
    }
    let rooms = room_ids
        .iter()
        .map(|id| {
            store
                .room_idx(id)
                .ok_or_else(|| not_found(RoomKind::Channel))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for &idx in &rooms {
        let room = store.room(idx).expect("resolved");
        // Rocket.Chat's `Team.addRooms` refuses any room with a `teamId`, its own team's too
        // (a main room has one).
        if room.team_id.is_some() {
            return Err(RcError::meteor(
                "error-room-already-on-team",
                "Room already belongs to a team",
                None,
            ));
        }
    }
    Ok(rooms
        .into_iter()
        .map(|idx| set_team(store, idx, Some(team.id.clone())))
        .collect())
}

/// The rooms (channels, groups, teams' main rooms) a user is the only owner of, by name, as
/// Rocket.Chat's `users.delete` reports them: those with other members need a new owner, those
/// without are removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SingleOwned {
    /// `(_id, name)` of each room.
    pub change_owner: Vec<(String, String)>,
    pub remove: Vec<(String, String)>,
}

impl SingleOwned {
    pub fn is_empty(&self) -> bool {
        self.change_owner.is_empty() && self.remove.is_empty()
    }

    /// `{"shouldChangeOwner": [names], "shouldBeRemoved": [names]}`.
    pub fn details(&self) -> Value {
        let names = |rooms: &[(String, String)]| -> Vec<String> {
            rooms.iter().map(|(_, name)| name.clone()).collect()
        };
        json!({
            "shouldChangeOwner": names(&self.change_owner),
            "shouldBeRemoved": names(&self.remove),
        })
    }
}

/// The rooms `user` created (the reference server's one owner of a room), direct messages aside.
pub fn single_owned(store: &Store, user: UserIdx) -> SingleOwned {
    let mut out = SingleOwned::default();
    for (_, room) in store.rooms() {
        if room.created_by != Some(user) || room.t == RoomType::Direct {
            continue;
        }
        let entry = (room.id.clone(), room.name.clone());
        if room.members.iter().any(|&m| m != user) {
            out.change_owner.push(entry);
        } else {
            out.remove.push(entry);
        }
    }
    out
}

/// Gives up `user`'s rooms as `users.delete` with `confirmRelinquish` does: a room with other
/// members passes to the first of them (a team's main room takes the team along); a room
/// without is removed (a team's main room with its team, whose other rooms leave the team).
pub fn relinquish(store: &mut Store, user: UserIdx, owned: SingleOwned, now: Millis) {
    for (id, _) in owned.change_owner {
        let Some(mut room) = store.room_idx(&id).and_then(|idx| store.remove_room(idx)) else {
            continue;
        };
        let heir = room.members.iter().copied().find(|&m| m != user);
        room.created_by = heir;
        let team_id = room.team_main.then(|| room.team_id.clone()).flatten();
        let idx = store
            .insert_room(room)
            .expect("the room's own name and id are free again");
        if let Some(mut team) = team_id.and_then(|id| store.remove_team(&id)) {
            team.created_by = heir;
            team.main_room = idx;
            store
                .insert_team(team)
                .expect("the team's name and id are free again");
        }
    }
    // Looked up by id each time: re-filing a room under no team moves it in the store.
    for (id, _) in owned.remove {
        let Some(idx) = store.room_idx(&id) else {
            continue;
        };
        let team_id = store
            .room(idx)
            .filter(|r| r.team_main)
            .and_then(|r| r.team_id.clone());
        if let Some(team_id) = team_id {
            let rooms: Vec<RoomIdx> = store
                .rooms()
                .filter(|(i, r)| *i != idx && r.team_id.as_deref() == Some(team_id.as_str()))
                .map(|(i, _)| i)
                .collect();
            for room in rooms {
                set_team(store, room, None);
            }
            store.remove_team(&team_id);
        }
        remove_room_touching_members(store, idx, now);
    }
}

/// Re-files a room under a team (or none). Its position in the store may change.
fn set_team(store: &mut Store, idx: RoomIdx, team_id: Option<String>) -> RoomIdx {
    let mut room = store.remove_room(idx).expect("the room exists");
    room.team_id = team_id;
    store
        .insert_room(room)
        .expect("the room's own name and id are free again")
}

/// A room as `channels.create` and friends answer it.
pub fn room_json(store: &Store, idx: RoomIdx) -> Value {
    let Some(room) = store.room(idx) else {
        return Value::Null;
    };
    let mut out = json!({
        "_id": room.id,
        "t": room.t.as_str(),
        "name": room.name,
        "msgs": 0,
        "usersCount": room.members.len(),
        "ts": time::to_iso(room.ts),
        "ro": false,
        "sysMes": true,
        "default": room.default.unwrap_or(false),
        "_updatedAt": time::to_iso(room.ts),
    });
    if let Some(fname) = &room.fname {
        out["fname"] = json!(fname);
    }
    if let Some(u) = user_stub(store, room.created_by) {
        out["u"] = u;
    }
    if let Some(team) = &room.team_id {
        out["teamId"] = json!(team);
    }
    if room.team_main {
        out["teamMain"] = json!(true);
    }
    out
}

/// A team as `teams.create` answers it.
pub fn team_json(store: &Store, team_id: &str) -> Value {
    let Some(team) = store.team_by_id(team_id) else {
        return Value::Null;
    };
    let mut out = json!({
        "_id": team.id,
        "name": team.name,
        "type": match team.kind { TeamType::Public => 0, TeamType::Private => 1 },
        "roomId": store.room(team.main_room).map(|r| r.id.clone()),
        "createdAt": time::to_iso(team.created_at),
        "_updatedAt": time::to_iso(team.created_at),
    });
    if let Some(u) = user_stub(store, team.created_by) {
        out["createdBy"] = u;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::store::tests::user;

    const NOW: Millis = 5_000;

    fn store() -> (Store, UserIdx, UserIdx, UserIdx) {
        let mut s = Store::new();
        let mut admin = user("admin", "admin", Status::Online, 0);
        admin.roles = std::sync::Arc::from(["admin".to_owned()]);
        let admin = s.insert_user(admin).unwrap();
        let alice = s
            .insert_user(user("alice", "alice", Status::Offline, 0))
            .unwrap();
        let mut guest = user("guest", "guest", Status::Offline, 0);
        guest.roles = std::sync::Arc::from(["guest".to_owned()]);
        let guest = s.insert_user(guest).unwrap();
        (s, admin, alice, guest)
    }

    fn named(name: &str, members: &[&str]) -> NewRoom {
        NewRoom {
            name: Some(name.into()),
            members: members.iter().map(|m| m.to_string()).collect(),
            ..NewRoom::default()
        }
    }

    #[test]
    fn creating_a_room_adds_creator_and_members_and_touches_them() {
        let (mut s, admin, alice, _) = store();
        let idx = create(
            &mut s,
            alice,
            RoomKind::Group,
            named("secret", &["admin"]),
            NOW,
        )
        .unwrap();
        let room = s.room(idx).unwrap();
        assert_eq!(room.t, RoomType::Private);
        assert_eq!(room.members, vec![alice, admin]);
        assert_eq!(s.user(admin).unwrap().updated_at, NOW);
        assert_eq!(s.user(alice).unwrap().updated_at, NOW);
    }

    #[test]
    fn room_creation_refuses_guests_bad_or_taken_names_and_unknown_members_without_writing() {
        let (mut s, _, alice, guest) = store();
        assert_eq!(
            create(&mut s, guest, RoomKind::Channel, named("x", &[]), NOW),
            Err(RcError::Forbidden)
        );
        assert!(create(
            &mut s,
            alice,
            RoomKind::Channel,
            named("bad name", &[]),
            NOW
        )
        .is_err());
        create(&mut s, alice, RoomKind::Channel, named("taken", &[]), NOW).unwrap();
        let err = create(&mut s, alice, RoomKind::Group, named("taken", &[]), NOW).unwrap_err();
        assert!(
            matches!(err, RcError::BadRequest { error_type: Some(ref t), .. } if t == "error-duplicate-channel-name")
        );
        assert_eq!(
            create(
                &mut s,
                alice,
                RoomKind::Channel,
                named("fresh", &["ghost"]),
                NOW
            ),
            Err(RcError::invalid_user())
        );
        assert!(s.room_idx_by_name("fresh").is_none());
    }

    #[test]
    fn only_the_creator_or_an_admin_deletes_and_kinds_must_match() {
        let (mut s, admin, alice, _) = store();
        let idx = create(
            &mut s,
            admin,
            RoomKind::Channel,
            named("c1", &["alice"]),
            NOW,
        )
        .unwrap();
        let by_name = RoomRef {
            room_id: None,
            room_name: Some("c1".into()),
        };
        assert_eq!(
            delete(&mut s, alice, RoomKind::Channel, &by_name, NOW),
            Err(RcError::Forbidden)
        );
        assert_eq!(
            delete(&mut s, admin, RoomKind::Group, &by_name, NOW),
            Err(not_found(RoomKind::Group))
        );
        delete(&mut s, admin, RoomKind::Channel, &by_name, NOW + 1).unwrap();
        assert!(s.room(idx).is_none());
        assert_eq!(
            s.user(alice).unwrap().updated_at,
            NOW + 1,
            "leaving touches the member"
        );
    }

    #[test]
    fn invite_adds_members_and_touches_them() {
        let (mut s, admin, alice, _) = store();
        let idx = create(&mut s, admin, RoomKind::Channel, named("c1", &[]), NOW).unwrap();
        let r = RoomRef {
            room_id: Some(s.room(idx).unwrap().id.clone()),
            room_name: None,
        };
        invite(&mut s, admin, &r, &["alice".into()], NOW + 7).unwrap();
        assert!(s.room(idx).unwrap().members.contains(&alice));
        assert_eq!(s.user(alice).unwrap().updated_at, NOW + 7);
        assert_eq!(
            invite(&mut s, admin, &r, &["ghost".into()], NOW),
            Err(RcError::invalid_user())
        );
    }

    #[test]
    fn teams_have_a_main_room_and_can_hold_channels() {
        let (mut s, admin, alice, _) = store();
        let team_id =
            create_team(&mut s, alice, Some("t1"), Some(1), &["admin".into()], NOW).unwrap();
        let team = s.team_by_id(&team_id).unwrap().clone();
        let main = s.room(team.main_room).unwrap();
        assert!(
            main.team_main && main.t == RoomType::Private && main.members == vec![alice, admin]
        );
        let mut in_team = named("t1-chat", &[]);
        in_team.team_id = Some(team_id.clone());
        let chat = create(&mut s, alice, RoomKind::Channel, in_team, NOW).unwrap();
        assert_eq!(
            s.room(chat).unwrap().team_id.as_deref(),
            Some(team_id.as_str())
        );
        let loose = create(&mut s, admin, RoomKind::Channel, named("loose", &[]), NOW).unwrap();
        let loose_id = s.room(loose).unwrap().id.clone();
        let t = TeamRef {
            team_id: None,
            team_name: Some("t1".into()),
        };
        let moved = add_rooms(&mut s, alice, &t, std::slice::from_ref(&loose_id)).unwrap();
        assert_eq!(
            s.room(moved[0]).unwrap().team_id.as_deref(),
            Some(team_id.as_str())
        );
        assert_eq!(
            create_team(&mut s, alice, Some("t1"), Some(0), &[], NOW),
            Err(RcError::failure("team-name-already-exists"))
        );
        delete_team(&mut s, alice, &t, &[loose_id], NOW).unwrap();
        assert!(s.team_by_id(&team_id).is_none());
        assert!(s.room_idx_by_name("t1").is_none() && s.room_idx_by_name("loose").is_none());
        let chat = s.room_idx_by_name("t1-chat").unwrap();
        assert_eq!(
            s.room(chat).unwrap().team_id,
            None,
            "unlisted rooms leave the team"
        );
    }

    fn error_type(result: Result<impl std::fmt::Debug, RcError>) -> Option<String> {
        match result {
            Err(RcError::BadRequest { error_type, .. }) => error_type,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn an_empty_room_or_team_id_falls_back_to_the_name() {
        let (mut s, admin, alice, _) = store();
        let idx = create(&mut s, alice, RoomKind::Channel, named("c1", &[]), NOW).unwrap();
        let room = |id: Option<&str>, name: Option<&str>| RoomRef {
            room_id: id.map(Into::into),
            room_name: name.map(Into::into),
        };
        let kind = RoomKind::Channel;
        assert_eq!(resolve_room(&s, kind, &room(Some(""), Some("c1"))), Ok(idx));
        for nothing in [
            room(None, None),
            room(Some(""), Some("")),
            room(None, Some("")),
        ] {
            assert_eq!(
                error_type(resolve_room(&s, kind, &nothing)).as_deref(),
                Some("error-room-param-not-provided"),
                "{nothing:?}"
            );
        }

        let team_id = create_team(&mut s, admin, Some("t1"), Some(0), &[], NOW).unwrap();
        let team = |id: Option<&str>, name: Option<&str>| TeamRef {
            team_id: id.map(Into::into),
            team_name: name.map(Into::into),
        };
        assert_eq!(
            resolve_team(&s, &team(Some(&team_id), None)).unwrap().id,
            team_id
        );
        assert_eq!(
            resolve_team(&s, &team(Some(""), Some("t1"))).unwrap().id,
            team_id
        );
        assert_eq!(
            resolve_team(&s, &team(Some("nope"), Some("t1"))),
            Err(RcError::failure("Team not found")),
            "the id wins over the name"
        );
        for nothing in [
            team(None, None),
            team(Some(""), Some("")),
            team(None, Some("")),
        ] {
            assert_eq!(
                resolve_team(&s, &nothing),
                Err(RcError::failure(
                    "Provide either the \"teamId\" or \"teamName\""
                )),
                "{nothing:?}"
            );
        }
    }

    #[test]
    fn not_found_names_the_kind_of_room() {
        let (s, ..) = store();
        let ghost = RoomRef {
            room_id: Some("ghost".into()),
            room_name: None,
        };
        for (kind, noun) in [(RoomKind::Channel, "channel"), (RoomKind::Group, "group")] {
            assert_eq!(
                resolve_room(&s, kind, &ghost),
                Err(RcError::meteor(
                    "error-room-not-found",
                    format!("The required \"roomId\" or \"roomName\" param provided does not match any {noun}"),
                    None
                ))
            );
        }
    }

    #[test]
    fn an_empty_name_is_a_missing_name() {
        let (mut s, _, alice, _) = store();
        for name in [None, Some(String::new())] {
            let new = NewRoom {
                name,
                ..NewRoom::default()
            };
            assert_eq!(
                create(&mut s, alice, RoomKind::Channel, new, NOW),
                Err(RcError::required("name"))
            );
        }
    }

    #[test]
    fn a_room_joins_a_team_by_a_team_member_or_an_admin() {
        let (mut s, admin, alice, _) = store();
        let mut bob = user("bob", "bob", Status::Offline, 0);
        bob.roles = std::sync::Arc::from(["user".to_owned()]);
        let bob = s.insert_user(bob).unwrap();
        let team_id = create_team(&mut s, alice, Some("t1"), Some(0), &[], NOW).unwrap();
        let in_team = |name: &str| NewRoom {
            team_id: Some(team_id.clone()),
            ..named(name, &[])
        };
        assert_eq!(
            create(&mut s, bob, RoomKind::Channel, in_team("by-bob"), NOW),
            Err(RcError::Forbidden),
            "not a member of the team"
        );
        assert!(s.room_idx_by_name("by-bob").is_none());
        create(&mut s, alice, RoomKind::Channel, in_team("by-alice"), NOW).unwrap();
        create(&mut s, admin, RoomKind::Group, in_team("by-admin"), NOW).unwrap();
        let ghost = NewRoom {
            team_id: Some("ghost".into()),
            ..named("nowhere", &[])
        };
        assert_eq!(
            create(&mut s, admin, RoomKind::Channel, ghost, NOW),
            Err(RcError::failure("Team not found"))
        );
    }

    #[test]
    fn a_room_moves_into_one_team_only() {
        let (mut s, admin, _, _) = store();
        create_team(&mut s, admin, Some("t1"), Some(0), &[], NOW).unwrap();
        create_team(&mut s, admin, Some("t2"), Some(0), &[], NOW).unwrap();
        let t = |name: &str| TeamRef {
            team_id: None,
            team_name: Some(name.into()),
        };
        let c = create(&mut s, admin, RoomKind::Channel, named("c", &[]), NOW).unwrap();
        let c_id = s.room(c).unwrap().id.clone();
        add_rooms(&mut s, admin, &t("t1"), std::slice::from_ref(&c_id)).unwrap();
        let on_team = RcError::meteor(
            "error-room-already-on-team",
            "Room already belongs to a team",
            None,
        );
        assert_eq!(
            add_rooms(&mut s, admin, &t("t1"), std::slice::from_ref(&c_id)),
            Err(on_team.clone()),
            "its own team too, as Rocket.Chat's Team.addRooms"
        );
        assert_eq!(
            add_rooms(&mut s, admin, &t("t2"), std::slice::from_ref(&c_id)),
            Err(on_team.clone())
        );
        let t2_main = s.room_idx_by_name("t2").unwrap();
        let t2_main_id = s.room(t2_main).unwrap().id.clone();
        assert_eq!(
            add_rooms(&mut s, admin, &t("t1"), &[t2_main_id]),
            Err(on_team)
        );
        assert_eq!(
            add_rooms(&mut s, admin, &t("t1"), &[]),
            Err(RcError::required("rooms"))
        );
    }

    #[test]
    fn the_team_creator_or_an_admin_adds_rooms_no_one_else() {
        let (mut s, admin, alice, _) = store();
        let bob = s
            .insert_user(user("bob", "bob", Status::Offline, 0))
            .unwrap();
        create_team(&mut s, alice, Some("t1"), Some(0), &["bob".into()], NOW).unwrap();
        let t1 = TeamRef {
            team_id: None,
            team_name: Some("t1".into()),
        };
        let room_id = |s: &mut Store, name: &str| {
            let idx = create(s, admin, RoomKind::Channel, named(name, &[]), NOW).unwrap();
            s.room(idx).unwrap().id.clone()
        };
        let c1 = room_id(&mut s, "c1");
        assert_eq!(
            add_rooms(&mut s, bob, &t1, std::slice::from_ref(&c1)),
            Err(RcError::Forbidden),
            "a team member who did not create it"
        );
        add_rooms(&mut s, alice, &t1, &[c1]).unwrap();
        let c2 = room_id(&mut s, "c2");
        add_rooms(&mut s, admin, &t1, &[c2]).unwrap();
        assert_eq!(
            delete_team(&mut s, bob, &t1, &[], NOW),
            Err(RcError::Forbidden)
        );
        delete_team(&mut s, admin, &t1, &[], NOW).unwrap();
        assert!(s.teams().is_empty());
    }

    #[test]
    fn the_creator_or_an_admin_invites_and_deletes_no_one_else() {
        let (mut s, admin, alice, _) = store();
        let bob = s
            .insert_user(user("bob", "bob", Status::Offline, 0))
            .unwrap();
        let idx = create(&mut s, alice, RoomKind::Channel, named("c1", &[]), NOW).unwrap();
        let r = RoomRef {
            room_id: None,
            room_name: Some("c1".into()),
        };
        let bob_id = s.user(bob).unwrap().id.to_string();
        let admin_id = s.user(admin).unwrap().id.to_string();
        assert_eq!(
            invite(&mut s, bob, &r, std::slice::from_ref(&bob_id), NOW),
            Err(RcError::Forbidden)
        );
        assert_eq!(invite(&mut s, alice, &r, &[bob_id], NOW), Ok(idx));
        assert_eq!(invite(&mut s, admin, &r, &[admin_id], NOW), Ok(idx));
        assert_eq!(s.room(idx).unwrap().members, vec![alice, bob, admin]);
        assert_eq!(
            invite(&mut s, alice, &r, &[], NOW),
            Err(RcError::required("userId"))
        );
        assert_eq!(
            delete(&mut s, bob, RoomKind::Channel, &r, NOW),
            Err(RcError::Forbidden),
            "a member who did not create it"
        );
        delete(&mut s, admin, RoomKind::Channel, &r, NOW).unwrap();
        assert!(s.room(idx).is_none());
        create(&mut s, alice, RoomKind::Channel, named("c1", &[]), NOW).unwrap();
        delete(&mut s, alice, RoomKind::Channel, &r, NOW).unwrap();
        assert!(s.room_idx_by_name("c1").is_none());
    }
}
