/*!
The documents the reference server keeps: users, rooms and teams, shaped after Rocket.Chat's
`IUser`, `IRoom` and `ITeam` so that projections onto the REST answers are field-for-field.

Fields that Rocket.Chat may lack on a document are `Option`s here and are omitted, never sent as
`null`, when projected.
*/

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::time::Millis;

/// Position of a user in the store; stable for the user's lifetime.
pub type UserIdx = u32;
/// Position of a room in the store; stable for the room's lifetime.
pub type RoomIdx = u32;

/// A user's presence status, as stored in `IUser.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Online,
    Away,
    Busy,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Away => "away",
            Status::Busy => "busy",
            Status::Offline => "offline",
        }
    }

    pub fn is_offline(self) -> bool {
        self == Status::Offline
    }
}

/// `IUser.type`: a person, a bot (such as `rocket.cat`) or an app user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    #[default]
    User,
    Bot,
    App,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub address: String,
    #[serde(default)]
    pub verified: bool,
}

/// A hashed secret: SHA-256 over a salt and the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHash {
    pub salt: [u8; 16],
    pub digest: [u8; 32],
}

/// `["user"]`, the roles Rocket.Chat gives a user created without any, one copy for all.
pub fn default_roles() -> Arc<[String]> {
    static USER: LazyLock<Arc<[String]>> = LazyLock::new(|| Arc::from(["user".to_owned()]));
    USER.clone()
}

/// An auth token issued to a user, stored hashed (Rocket.Chat's `services.resume.loginTokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// SHA-256 of the token (Rocket.Chat's `hashedToken`, before base64).
    pub hashed: [u8; 32],
    /// `Some(name)` for a personal access token, `None` for a login token.
    pub personal_name: Option<String>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Box<str>,
    pub username: Option<Box<str>>,
    pub name: Option<Box<str>>,
    pub status: Status,
    /// Kept as the JSON number it was given (`0`, `-2`, `5.5`).
    pub utc_offset: Option<Number>,
    pub status_text: Option<Box<str>>,
    pub status_source: Option<Box<str>>,
    pub status_expires_at: Option<Millis>,
    pub avatar_etag: Option<Box<str>>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub emails: Vec<Email>,
    pub bio: Option<Box<str>>,
    pub nickname: Option<Box<str>>,
    pub active: bool,
    /// Shared: almost every user holds exactly [`default_roles`].
    pub roles: Arc<[String]>,
    pub kind: UserKind,
    /// `IUser.federation`, as given (e.g. `{"origin": "matrix.example.org"}`); `None` for local users.
    /// Boxed, like `password`: few users have one, and the user list is 1M entries long.
    pub federation: Option<Box<Map<String, Value>>>,
    pub password: Option<Box<SecretHash>>,
    pub tokens: Vec<StoredToken>,
}

impl User {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }

    pub fn is_federated(&self) -> bool {
        self.federation.is_some()
    }
}

/// A room's type, `IRoom.t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomType {
    /// A public channel.
    #[serde(rename = "c")]
    Channel,
    /// A private group.
    #[serde(rename = "p")]
    Private,
    /// A direct message.
    #[serde(rename = "d")]
    Direct,
}

impl RoomType {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomType::Channel => "c",
            RoomType::Private => "p",
            RoomType::Direct => "d",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub id: String,
    pub t: RoomType,
    pub name: String,
    pub fname: Option<String>,
    pub description: Option<String>,
    pub topic: Option<String>,
    pub ts: Millis,
    pub archived: Option<bool>,
    pub default: Option<bool>,
    pub featured: Option<bool>,
    /// Parent room id: set on discussions.
    pub prid: Option<String>,
    pub team_id: Option<String>,
    pub team_main: bool,
    pub federated: Option<bool>,
    /// `IRoom.lastMessage`, as given; its `ts` is rendered as an ISO string.
    pub last_message: Option<Map<String, Value>>,
    pub last_message_ts: Option<Millis>,
    pub members: Vec<UserIdx>,
    pub created_by: Option<UserIdx>,
}

/// `ITeam.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TeamType {
    Public,
    Private,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub kind: TeamType,
    /// The team's main room (`teamMain: true`), which carries the members.
    pub main_room: RoomIdx,
    pub created_at: Millis,
    pub created_by: Option<UserIdx>,
}
