/*!
The in-memory store: users, rooms and teams with the indexes the endpoints' rules read.

Why it exists apart from the rules: every write goes through one of the `Store` methods below, so
the indexes can never disagree with the documents. In particular every change to a user sets its
`_updatedAt` to the clock's now, as Rocket.Chat's models do on each write, which is what
`users.presence?from=` reads.

Indexes kept:
- users by `_id`, by username and by e-mail address (both case-insensitive, as Rocket.Chat
  checks uniqueness);
- `(_updatedAt, user)` in order, so a presence delta reads only the users changed since `from`;
- the users that appear in the full presence list (a username and a status other than offline),
  in insertion order, with the whole list's body cached until it changes;
- each user's rooms (Rocket.Chat's `__rooms`);
- the directory's search index ([`crate::directory::DirectoryIndex`]): n-gram postings and ordered
  indexes over users and rooms, updated by every write below.
*/

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::directory::index::UserDoc;
use crate::directory::DirectoryIndex;
use crate::model::{Room, RoomIdx, Team, User, UserIdx};
use crate::permissions::PermissionTable;
use crate::presence;
use crate::time::Millis;

/// A write the store refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    DuplicateUserId(String),
    DuplicateUsername(String),
    DuplicateEmail(String),
    DuplicateRoomId(String),
    DuplicateRoomName(String),
    DuplicateTeam(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::DuplicateUserId(v) => write!(f, "user _id {v:?} is already taken"),
            StoreError::DuplicateUsername(v) => write!(f, "username {v:?} is already taken"),
            StoreError::DuplicateEmail(v) => write!(f, "e-mail address {v:?} is already taken"),
            StoreError::DuplicateRoomId(v) => write!(f, "room _id {v:?} is already taken"),
            StoreError::DuplicateRoomName(v) => write!(f, "room name {v:?} is already taken"),
            StoreError::DuplicateTeam(v) => write!(f, "team {v:?} already exists"),
        }
    }
}

impl std::error::Error for StoreError {}

#[derive(Debug, Default)]
pub struct Store {
    users: Vec<Option<User>>,
    user_rooms: Vec<RoomList>,
    user_by_id: KeyIndex,
    user_by_username: KeyIndex,
    user_by_email: KeyIndex,
    by_updated_at: BTreeSet<(Millis, UserIdx)>,
    in_full_list: BTreeSet<UserIdx>,
    /// The full presence body and the key of the projection it was rendered with.
    full_list_cache: Mutex<Option<(u8, Bytes)>>,

    rooms: Vec<Option<Room>>,
    room_by_id: HashMap<String, RoomIdx>,
    room_by_name: HashMap<String, RoomIdx>,
    teams: Vec<Team>,

    /// The directory's search index over users and rooms (see [`crate::directory`]).
    directory: DirectoryIndex,

    /// Which roles hold which permission (Rocket.Chat keeps these in its database too).
    pub permissions: PermissionTable,
}

fn key(s: &str) -> String {
    s.to_lowercase()
}

/// Which key of a user a [`KeyIndex`] maps.
#[derive(Debug, Clone, Copy)]
enum KeyKind {
    Id,
    /// Lower-cased, as the store compares usernames.
    Username,
    /// Lower-cased; a user may have several.
    Email,
}

/// Whether the user at `idx` has the key `k` of this kind.
fn has_key(users: &[Option<User>], kind: KeyKind, idx: UserIdx, k: &str) -> bool {
    let Some(Some(user)) = users.get(idx as usize) else {
        return false;
    };
    match kind {
        KeyKind::Id => &*user.id == k,
        KeyKind::Username => user.username.as_deref().is_some_and(|u| key_is(u, k)),
        KeyKind::Email => user.emails.iter().any(|e| key_is(&e.address, k)),
    }
}

/// Whether `key(s) == k`, without allocating when `s` is ASCII.
fn key_is(s: &str, k: &str) -> bool {
    if s.is_ascii() {
        s.len() == k.len()
            && s.bytes()
                .zip(k.bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == b)
    } else {
        key(s) == k
    }
}

/// A user's rooms, sorted: most users are in a few rooms, and where a `BTreeSet` allocates a
/// 64-byte node for the first one this takes 4 bytes a room.
#[derive(Debug, Default)]
struct RoomList(Vec<RoomIdx>);

impl RoomList {
    fn insert(&mut self, room: RoomIdx) {
        if let Err(at) = self.0.binary_search(&room) {
            self.0.insert(at, room);
        }
    }

    fn remove(&mut self, room: RoomIdx) {
        if let Ok(at) = self.0.binary_search(&room) {
            self.0.remove(at);
        }
    }

    fn contains(&self, room: RoomIdx) -> bool {
        self.0.binary_search(&room).is_ok()
    }
}

/// A user with its directory entry, made before the user is stored: a fixture load makes
/// entries on the parser's thread while another thread stores the users.
#[derive(Debug)]
pub struct PreparedUser {
    user: User,
    doc: UserDoc,
}

impl PreparedUser {
    pub fn new(user: User) -> Self {
        let doc = UserDoc::new(&user);
        Self { user, doc }
    }
}

/// A map from a key to a user that holds a 32-bit hash of the key instead of the key: at 1M
/// users three maps of strings cost about 250 MB more, and 64-bit hashes 50 MB more. A hit is
/// checked against the user's own key; a key whose hash collides with another key's (about 120
/// pairs among 1M keys) is kept whole in `collided`.
#[derive(Debug, Default)]
struct KeyIndex {
    by_hash: HashMap<u32, UserIdx>,
    collided: HashMap<String, UserIdx>,
}

impl KeyIndex {
    fn hash(k: &str) -> u32 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        k.hash(&mut h);
        (h.finish() >> 32) as u32
    }

    fn get(&self, users: &[Option<User>], kind: KeyKind, k: &str) -> Option<UserIdx> {
        if let Some(&idx) = self.collided.get(k) {
            return Some(idx);
        }
        self.by_hash
            .get(&Self::hash(k))
            .copied()
            .filter(|&idx| has_key(users, kind, idx, k))
    }

    fn insert(&mut self, users: &[Option<User>], kind: KeyKind, k: &str, idx: UserIdx) {
        use std::collections::hash_map::Entry;
        match self.by_hash.entry(Self::hash(k)) {
            Entry::Vacant(v) => {
                v.insert(idx);
            }
            Entry::Occupied(mut o) => {
                let other = *o.get();
                if other == idx || has_key(users, kind, other, k) {
                    o.insert(idx);
                } else {
                    self.collided.insert(k.to_owned(), idx);
                }
            }
        }
    }

    fn remove(&mut self, k: &str, idx: UserIdx) {
        if self.collided.get(k) == Some(&idx) {
            self.collided.remove(k);
            return;
        }
        let h = Self::hash(k);
        if self.by_hash.get(&h) == Some(&idx) {
            self.by_hash.remove(&h);
        }
    }

    fn len(&self) -> usize {
        self.by_hash.len() + self.collided.len()
    }
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    // ---- users: reads ----

    pub fn user(&self, idx: UserIdx) -> Option<&User> {
        self.users.get(idx as usize).and_then(Option::as_ref)
    }

    pub fn user_idx(&self, id: &str) -> Option<UserIdx> {
        self.user_by_id.get(&self.users, KeyKind::Id, id)
    }

    pub fn user_by_id(&self, id: &str) -> Option<&User> {
        self.user_idx(id).and_then(|i| self.user(i))
    }

    pub fn user_idx_by_username(&self, username: &str) -> Option<UserIdx> {
        self.user_by_username
            .get(&self.users, KeyKind::Username, &key(username))
    }

    pub fn user_idx_by_email(&self, email: &str) -> Option<UserIdx> {
        self.user_by_email
            .get(&self.users, KeyKind::Email, &key(email))
    }

    /// Every user, in insertion order.
    pub fn users(&self) -> impl Iterator<Item = (UserIdx, &User)> {
        self.users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| u.as_ref().map(|u| (i as UserIdx, u)))
    }

    pub fn user_count(&self) -> usize {
        self.user_by_id.len()
    }

    /// Users with a username whose status is not offline, in insertion order.
    pub fn full_list_members(&self) -> impl Iterator<Item = UserIdx> + '_ {
        self.in_full_list.iter().copied()
    }

    /// Users whose `_updatedAt` is at or after `from`, oldest change first.
    pub fn updated_since(&self, from: Millis) -> impl Iterator<Item = UserIdx> + '_ {
        self.by_updated_at.range((from, 0)..).map(|&(_, idx)| idx)
    }

    /// The cached full presence body, built by `build` when the list changed since the last
    /// call or was last rendered with another projection (`key`).
    pub fn cached_full_list(&self, key: u8, build: impl FnOnce(&Store) -> Bytes) -> Bytes {
        let mut cache = self.full_list_cache.lock();
        if let Some((cached_key, body)) = cache.as_ref() {
            if *cached_key == key {
                return body.clone();
            }
        }
        let body = build(self);
        *cache = Some((key, body.clone()));
        body
    }

    /// The rooms the user belongs to (Rocket.Chat's `__rooms`).
    pub fn rooms_of(&self, idx: UserIdx) -> impl Iterator<Item = RoomIdx> + '_ {
        self.user_rooms
            .get(idx as usize)
            .into_iter()
            .flat_map(|rooms| rooms.0.iter().copied())
    }

    /// Whether the user belongs to the room (the room is in the user's `__rooms`).
    pub fn is_member(&self, user: UserIdx, room: RoomIdx) -> bool {
        self.user_rooms
            .get(user as usize)
            .is_some_and(|rooms| rooms.contains(room))
    }

    /// Starts a bulk load (a fixture): the directory makes its postings at the end, in
    /// parallel. Nothing may search until [`Store::finish_bulk_load`].
    pub fn begin_bulk_load(&mut self) {
        self.directory.begin_bulk_load();
    }

    /// Ends a bulk load (a fixture): gives back what growing the per-user vectors one user at a
    /// time left spare (up to half), then makes and trims the directory's postings and sorts its
    /// orders, so that the first search does not pay for them.
    pub fn finish_bulk_load(&mut self) {
        self.users.shrink_to_fit();
        self.user_rooms.shrink_to_fit();
        self.directory.finish_bulk_load();
    }

    /// During a bulk load, sorts the users' orders on other threads while `meanwhile` stores
    /// rooms and teams on this one (a fixture's rooms take 2 s at 1M users with one core
    /// otherwise idle). `meanwhile` must not add or change users.
    pub fn sort_users_while<R>(&mut self, meanwhile: impl FnOnce(&mut Store) -> R) -> R {
        self.users.shrink_to_fit();
        self.user_rooms.shrink_to_fit();
        let mut users = self.directory.take_users();
        let result = std::thread::scope(|scope| {
            let sorter = scope.spawn(|| {
                users.shrink_docs();
                users.settle();
            });
            let result = meanwhile(self);
            sorter.join().expect("sorting the users does not panic");
            result
        });
        self.directory.put_users(users);
        result
    }

    /// The directory's search index, current with every write.
    pub fn directory_index(&self) -> &DirectoryIndex {
        &self.directory
    }

    // ---- users: writes ----

    /// Adds a user. Its `updated_at` is kept as given.
    pub fn insert_user(&mut self, user: User) -> Result<UserIdx, StoreError> {
        self.insert_prepared_user(PreparedUser::new(user))
    }

    /// Adds a user whose directory entry was made beforehand, maybe on another thread.
    pub fn insert_prepared_user(&mut self, prepared: PreparedUser) -> Result<UserIdx, StoreError> {
        let PreparedUser { user, doc } = prepared;
        if self.user_idx(&user.id).is_some() {
            return Err(StoreError::DuplicateUserId(user.id.into()));
        }
        if let Some(username) = &user.username {
            if self.user_idx_by_username(username).is_some() {
                return Err(StoreError::DuplicateUsername(username.to_string()));
            }
        }
        let mut seen = BTreeSet::new();
        for email in &user.emails {
            let k = key(&email.address);
            let taken = self.user_by_email.get(&self.users, KeyKind::Email, &k);
            if taken.is_some() || !seen.insert(k) {
                return Err(StoreError::DuplicateEmail(email.address.clone()));
            }
        }
        let idx = self.users.len() as UserIdx;
        self.users.push(Some(user));
        self.user_rooms.push(RoomList::default());
        self.index_keys(idx);
        self.directory.upsert_user_doc(idx, doc);
        Ok(idx)
    }

    /// Changes a user and sets its `_updatedAt` to `now`, as every write to a user document does
    /// in Rocket.Chat. A change that would duplicate a username or an e-mail address is refused
    /// and leaves the user as it was.
    pub fn modify_user(
        &mut self,
        idx: UserIdx,
        now: Millis,
        change: impl FnOnce(&mut User),
    ) -> Result<(), StoreError> {
        let Some(mut updated) = self.user(idx).cloned() else {
            return Ok(());
        };
        change(&mut updated);
        updated.updated_at = now;
        if let Some(username) = &updated.username {
            match self.user_idx_by_username(username) {
                Some(other) if other != idx => {
                    return Err(StoreError::DuplicateUsername(username.to_string()))
                }
                _ => {}
            }
        }
        for email in &updated.emails {
            match self.user_idx_by_email(&email.address) {
                Some(other) if other != idx => {
                    return Err(StoreError::DuplicateEmail(email.address.clone()))
                }
                _ => {}
            }
        }
        self.unindex_user(idx);
        self.users[idx as usize] = Some(updated);
        self.index_user(idx);
        Ok(())
    }

    /// Removes a user and its room memberships.
    pub fn remove_user(&mut self, idx: UserIdx) -> Option<User> {
        self.user(idx)?;
        self.unindex_user(idx);
        self.directory.remove_user(idx);
        let rooms = std::mem::take(&mut self.user_rooms[idx as usize]);
        for room in rooms.0 {
            if let Some(Some(r)) = self.rooms.get_mut(room as usize) {
                r.members.retain(|&m| m != idx);
                self.directory.upsert_room(room, r);
            }
        }
        self.users[idx as usize].take()
    }

    fn index_user(&mut self, idx: UserIdx) {
        self.index_keys(idx);
        let user = self.users[idx as usize]
            .as_ref()
            .expect("indexed user exists");
        self.directory.upsert_user(idx, user);
    }

    /// Indexes a user everywhere but in the directory.
    fn index_keys(&mut self, idx: UserIdx) {
        let user = self.users[idx as usize]
            .as_ref()
            .expect("indexed user exists");
        let users = &self.users;
        self.user_by_id.insert(users, KeyKind::Id, &user.id, idx);
        if let Some(username) = &user.username {
            self.user_by_username
                .insert(users, KeyKind::Username, &key(username), idx);
        }
        for email in &user.emails {
            self.user_by_email
                .insert(users, KeyKind::Email, &key(&email.address), idx);
        }
        self.by_updated_at.insert((user.updated_at, idx));
        if presence::in_full_list(user) {
            self.in_full_list.insert(idx);
            *self.full_list_cache.get_mut() = None;
        }
    }

    fn unindex_user(&mut self, idx: UserIdx) {
        let user = self.users[idx as usize]
            .as_ref()
            .expect("indexed user exists");
        self.user_by_id.remove(&user.id, idx);
        if let Some(username) = &user.username {
            self.user_by_username.remove(&key(username), idx);
        }
        for email in &user.emails {
            self.user_by_email.remove(&key(&email.address), idx);
        }
        self.by_updated_at.remove(&(user.updated_at, idx));
        if self.in_full_list.remove(&idx) {
            *self.full_list_cache.get_mut() = None;
        }
    }

    // ---- rooms and teams ----

    pub fn room(&self, idx: RoomIdx) -> Option<&Room> {
        self.rooms.get(idx as usize).and_then(Option::as_ref)
    }

    pub fn room_idx(&self, id: &str) -> Option<RoomIdx> {
        self.room_by_id.get(id).copied()
    }

    pub fn room_idx_by_name(&self, name: &str) -> Option<RoomIdx> {
        self.room_by_name.get(name).copied()
    }

    /// Every room, in insertion order.
    pub fn rooms(&self) -> impl Iterator<Item = (RoomIdx, &Room)> {
        self.rooms
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i as RoomIdx, r)))
    }

    pub fn teams(&self) -> &[Team] {
        &self.teams
    }

    pub fn team_by_id(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// Adds a room; its `members` become the members' `__rooms`. Room names are unique, as in
    /// Rocket.Chat (exactly, not ignoring case).
    pub fn insert_room(&mut self, room: Room) -> Result<RoomIdx, StoreError> {
        if self.room_by_id.contains_key(&room.id) {
            return Err(StoreError::DuplicateRoomId(room.id));
        }
        if self.room_by_name.contains_key(&room.name) {
            return Err(StoreError::DuplicateRoomName(room.name));
        }
        let idx = self.rooms.len() as RoomIdx;
        self.room_by_id.insert(room.id.clone(), idx);
        self.room_by_name.insert(room.name.clone(), idx);
        for &member in &room.members {
            if let Some(rooms) = self.user_rooms.get_mut(member as usize) {
                rooms.insert(idx);
            }
        }
        self.directory.upsert_room(idx, &room);
        self.rooms.push(Some(room));
        Ok(idx)
    }

    /// Adds a member to a room. Returns `false` when it was already one.
    pub fn add_member(&mut self, room: RoomIdx, user: UserIdx) -> bool {
        let Some(Some(r)) = self.rooms.get_mut(room as usize) else {
            return false;
        };
        if r.members.contains(&user) {
            return false;
        }
        r.members.push(user);
        self.user_rooms[user as usize].insert(room);
        self.directory.upsert_room(room, r);
        true
    }

    /// Removes a room and its memberships.
    pub fn remove_room(&mut self, idx: RoomIdx) -> Option<Room> {
        let room = self.rooms.get_mut(idx as usize)?.take()?;
        self.room_by_id.remove(&room.id);
        self.room_by_name.remove(&room.name);
        self.directory.remove_room(idx);
        for &member in &room.members {
            if let Some(rooms) = self.user_rooms.get_mut(member as usize) {
                rooms.remove(idx);
            }
        }
        Some(room)
    }

    pub fn insert_team(&mut self, team: Team) -> Result<(), StoreError> {
        if self
            .teams
            .iter()
            .any(|t| t.id == team.id || t.name == team.name)
        {
            return Err(StoreError::DuplicateTeam(team.name));
        }
        self.teams.push(team);
        Ok(())
    }

    pub fn remove_team(&mut self, id: &str) -> Option<Team> {
        let at = self.teams.iter().position(|t| t.id == id)?;
        Some(self.teams.remove(at))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Email, Status, UserKind};

    proptest::proptest! {
        #[test]
        fn key_is_agrees_with_lowercasing(s in "[aAzZ.Σσςİ]{0,5}", t in "[aAzZ.Σσςİ]{0,5}") {
            proptest::prop_assert_eq!(key_is(&s, &key(&t)), key(&s) == key(&t));
            proptest::prop_assert!(key_is(&s, &key(&s)));
        }
    }

    pub fn user(id: &str, username: &str, status: Status, updated_at: Millis) -> User {
        User {
            id: id.into(),
            username: Some(username.into()),
            name: Some(format!("Name of {username}").into()),
            status,
            utc_offset: None,
            status_text: None,
            status_source: None,
            status_expires_at: None,
            avatar_etag: None,
            created_at: 0,
            updated_at,
            emails: vec![],
            bio: None,
            nickname: None,
            active: true,
            roles: crate::model::default_roles(),
            kind: UserKind::User,
            federation: None,
            password: None,
            tokens: vec![],
        }
    }

    /// A plain public channel with these members.
    pub fn room(id: &str, name: &str, members: Vec<UserIdx>) -> Room {
        Room {
            id: id.into(),
            t: crate::model::RoomType::Channel,
            name: name.into(),
            fname: None,
            description: None,
            topic: None,
            ts: 0,
            archived: None,
            default: None,
            featured: None,
            prid: None,
            team_id: None,
            team_main: false,
            federated: None,
            last_message: None,
            last_message_ts: None,
            members,
            created_by: None,
        }
    }

    #[test]
    fn key_index_finds_every_key_among_real_hash_collisions() {
        // 200k keys hold about 5 pairs of equal 32-bit hashes: the collision path runs for real.
        let users: Vec<Option<User>> = (0..200_000)
            .map(|i| Some(user(&format!("u{i}"), "n", Status::Offline, 0)))
            .collect();
        let mut index = KeyIndex::default();
        for i in 0..users.len() {
            index.insert(&users, KeyKind::Id, &format!("u{i}"), i as UserIdx);
        }
        assert!(
            (1..100).contains(&index.collided.len()),
            "{} collisions among 200k keys",
            index.collided.len()
        );
        assert_eq!(index.len(), users.len());
        for i in 0..users.len() {
            let k = format!("u{i}");
            assert_eq!(
                index.get(&users, KeyKind::Id, &k),
                Some(i as UserIdx),
                "{k}"
            );
        }
        assert_eq!(index.get(&users, KeyKind::Id, "u200000"), None);
        for (k, &idx) in index.collided.clone().iter() {
            index.remove(k, idx);
            assert_eq!(index.get(&users, KeyKind::Id, k), None, "{k}");
        }
    }

    #[test]
    fn key_index_checks_hits_and_keeps_colliding_keys_whole() {
        let users = vec![
            Some(user("a", "Alice", Status::Offline, 0)),
            Some(user("b", "bob", Status::Offline, 0)),
        ];
        let mut index = KeyIndex::default();
        index.insert(&users, KeyKind::Username, "alice", 0);
        assert_eq!(index.get(&users, KeyKind::Username, "alice"), Some(0));
        // A key that is not there is not found, even where its hash slot is taken: pretend
        // "bob" hashes where a key of Alice's does.
        index.by_hash.insert(KeyIndex::hash("bob"), 0);
        assert_eq!(index.get(&users, KeyKind::Username, "bob"), None);
        index.insert(&users, KeyKind::Username, "bob", 1);
        assert_eq!(index.collided.get("bob"), Some(&1));
        assert_eq!(index.get(&users, KeyKind::Username, "bob"), Some(1));
        assert_eq!(index.get(&users, KeyKind::Username, "alice"), Some(0));
        index.remove("bob", 1);
        assert!(index.collided.is_empty());
        assert_eq!(index.get(&users, KeyKind::Username, "bob"), None);
        index.remove("alice", 1); // not Alice's position: nothing happens
        assert_eq!(index.get(&users, KeyKind::Username, "alice"), Some(0));
        index.remove("alice", 0);
        assert_eq!(index.get(&users, KeyKind::Username, "alice"), None);
    }

    #[test]
    fn modify_user_sets_updated_at_and_moves_the_index_entry() {
        let mut store = Store::new();
        let a = store
            .insert_user(user("a", "alice", Status::Offline, 100))
            .unwrap();
        store
            .insert_user(user("b", "bob", Status::Offline, 200))
            .unwrap();
        assert_eq!(store.updated_since(150).collect::<Vec<_>>(), vec![1]);
        store
            .modify_user(a, 300, |u| u.bio = Some("x".into()))
            .unwrap();
        assert_eq!(store.user(a).unwrap().updated_at, 300);
        assert_eq!(store.updated_since(150).collect::<Vec<_>>(), vec![1, 0]);
        assert_eq!(store.updated_since(300).collect::<Vec<_>>(), vec![0]);
        assert_eq!(store.updated_since(301).count(), 0);
    }

    #[test]
    fn full_list_membership_follows_status_and_username() {
        let mut store = Store::new();
        let a = store
            .insert_user(user("a", "alice", Status::Online, 0))
            .unwrap();
        let b = store
            .insert_user(user("b", "bob", Status::Offline, 0))
            .unwrap();
        assert_eq!(store.full_list_members().collect::<Vec<_>>(), vec![a]);
        store
            .modify_user(b, 1, |u| u.status = Status::Busy)
            .unwrap();
        store.modify_user(a, 1, |u| u.username = None).unwrap();
        assert_eq!(store.full_list_members().collect::<Vec<_>>(), vec![b]);
    }

    #[test]
    fn full_list_cache_is_dropped_when_a_listed_user_changes() {
        let mut store = Store::new();
        let a = store
            .insert_user(user("a", "alice", Status::Online, 0))
            .unwrap();
        let first = store.cached_full_list(0, |_| Bytes::from_static(b"one"));
        assert_eq!(
            store.cached_full_list(0, |_| Bytes::from_static(b"two")),
            first
        );
        store
            .modify_user(a, 1, |u| u.name = Some("Alice".into()))
            .unwrap();
        assert_eq!(
            store.cached_full_list(0, |_| Bytes::from_static(b"two")),
            "two"
        );
        assert_eq!(
            store.cached_full_list(1, |_| Bytes::from_static(b"other projection")),
            "other projection"
        );
    }

    #[test]
    fn duplicates_are_refused_case_insensitively_and_nothing_changes() {
        let mut store = Store::new();
        let mut alice = user("a", "alice", Status::Online, 0);
        alice.emails = vec![Email {
            address: "Alice@example.org".into(),
            verified: true,
        }];
        store.insert_user(alice).unwrap();
        assert_eq!(
            store.insert_user(user("a", "other", Status::Online, 0)),
            Err(StoreError::DuplicateUserId("a".into()))
        );
        assert_eq!(
            store.insert_user(user("b", "ALICE", Status::Online, 0)),
            Err(StoreError::DuplicateUsername("ALICE".into()))
        );
        let mut bob = user("b", "bob", Status::Online, 0);
        bob.emails = vec![Email {
            address: "alice@EXAMPLE.org".into(),
            verified: false,
        }];
        assert!(matches!(
            store.insert_user(bob),
            Err(StoreError::DuplicateEmail(_))
        ));
        let b = store
            .insert_user(user("b", "bob", Status::Online, 5))
            .unwrap();
        assert_eq!(
            store.modify_user(b, 9, |u| u.username = Some("Alice".into())),
            Err(StoreError::DuplicateUsername("Alice".into()))
        );
        assert_eq!(store.user(b).unwrap().username.as_deref(), Some("bob"));
        let taken = Email {
            address: "ALICE@example.org".into(),
            verified: true,
        };
        assert_eq!(
            store.modify_user(b, 9, |u| u.emails = vec![taken]),
            Err(StoreError::DuplicateEmail("ALICE@example.org".into()))
        );
        assert!(store.user(b).unwrap().emails.is_empty());
        assert_eq!(store.user(b).unwrap().updated_at, 5);
        assert_eq!(store.user_count(), 2);
        // A user may keep its own username and e-mail.
        let a = store.user_idx("a").unwrap();
        store
            .modify_user(a, 11, |u| u.name = Some("Alice A.".into()))
            .unwrap();
        assert_eq!(store.user_idx_by_email("alice@example.org"), Some(a));
    }

    #[test]
    fn users_sorted_while_rooms_are_stored_come_back_in_order() {
        use crate::directory::index::{UserField, UserOrder, UserSearch};
        let mut s = Store::new();
        s.begin_bulk_load();
        for i in 0..100 {
            s.insert_user(user(
                &format!("u{i}"),
                &format!("user{:03}", 99 - i),
                Status::Online,
                0,
            ))
            .unwrap();
        }
        let r = s.sort_users_while(|s| s.insert_room(room("r", "r", vec![0, 1])));
        assert_eq!(r, Ok(0));
        s.finish_bulk_load();
        let page = s.directory_index().search_users(&UserSearch {
            text: "",
            fields: &[UserField::Username],
            include_federated: false,
            order: UserOrder::Username,
            descending: false,
            offset: 0,
            count: 3,
        });
        assert_eq!((page.total, page.items), (100, vec![99, 98, 97]));
        assert_eq!(s.rooms_of(1).count(), 1);
    }

    #[test]
    #[should_panic(expected = "users were indexed while the users' index was out")]
    fn a_user_stored_while_the_users_are_sorted_is_not_lost_silently() {
        let mut s = Store::new();
        s.begin_bulk_load();
        s.insert_user(user("a", "a", Status::Online, 0)).unwrap();
        s.sort_users_while(|s| s.insert_user(user("b", "b", Status::Online, 0)))
            .unwrap();
    }

    #[test]
    fn memberships_follow_rooms_joined_and_removed() {
        let mut store = Store::new();
        let [a, b, c] = ["a", "b", "c"].map(|id| {
            store
                .insert_user(user(id, &format!("user-{id}"), Status::Online, 0))
                .unwrap()
        });
        let room = |id: &str, members: Vec<UserIdx>| room(id, id, members);
        let r1 = store.insert_room(room("r1", vec![a, b])).unwrap();
        let r2 = store.insert_room(room("r2", vec![b])).unwrap();
        let r3 = store.insert_room(room("r3", vec![c])).unwrap();
        let rooms = |store: &Store, u| store.rooms_of(u).collect::<Vec<_>>();
        assert_eq!(rooms(&store, b), [r1, r2]);
        assert!(store.is_member(a, r1) && !store.is_member(a, r2));
        assert!(store.add_member(r2, a));
        assert!(!store.add_member(r2, a));
        // Joined after a later room: still in order.
        assert!(store.add_member(r2, c));
        assert_eq!(rooms(&store, c), [r2, r3]);
        store.remove_room(r1).unwrap();
        assert_eq!(rooms(&store, a), [r2]);
        assert_eq!(rooms(&store, b), [r2]);
        assert!(!store.is_member(a, r1));
        store.remove_user(b).unwrap();
        assert_eq!(store.room(r2).unwrap().members, [a, c]);
        assert!(rooms(&store, b).is_empty());
    }

    #[test]
    fn a_team_id_or_name_is_taken_once() {
        let mut store = Store::new();
        let team = |id: &str, name: &str| Team {
            id: id.into(),
            name: name.into(),
            kind: crate::model::TeamType::Public,
            main_room: 0,
            created_at: 0,
            created_by: None,
        };
        store.insert_team(team("t1", "alpha")).unwrap();
        assert_eq!(
            store.insert_team(team("t1", "beta")),
            Err(StoreError::DuplicateTeam("beta".into()))
        );
        assert_eq!(
            store.insert_team(team("t2", "alpha")),
            Err(StoreError::DuplicateTeam("alpha".into()))
        );
        store.insert_team(team("t2", "beta")).unwrap();
        assert_eq!(store.teams().len(), 2);
        assert_eq!(store.team_by_id("t2").unwrap().name, "beta");
    }

    #[test]
    fn removing_a_user_clears_every_index() {
        let mut store = Store::new();
        let a = store
            .insert_user(user("a", "alice", Status::Online, 7))
            .unwrap();
        store.remove_user(a).unwrap();
        assert!(store.user_idx("a").is_none());
        assert!(store.user_idx_by_username("alice").is_none());
        assert_eq!(store.updated_since(0).count(), 0);
        assert_eq!(store.full_list_members().count(), 0);
        assert_eq!(store.user_count(), 0);
    }
}
