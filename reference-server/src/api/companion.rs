/*!
The companion API over HTTP: the Rocket.Chat endpoints a conformance run uses to create its own
data (`me`, `users.*`, `channels.*`, `groups.*`, `teams.*`). The rules are in
[`crate::companion`]; each handler reads the body, calls one rule under the store's write lock,
and renders the answer.
*/

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use serde_json::{json, Value};

use super::auth::me_json;
use super::common::{Caller, ErrorBody, UnauthorizedBody};
use super::ApiTags;
use crate::companion::{
    rooms::{self, NewRoom, RoomKind, RoomRef, TeamRef},
    users::{self, NewUser, UserChanges},
    RcError, UserRef, UNAUTHORIZED,
};
use crate::state::AppState;

/// The answers every companion endpoint can give.
#[derive(ApiResponse)]
pub enum CompanionResponse {
    /// Done; the body carries `success: true` and the endpoint's fields.
    #[oai(status = 200)]
    Ok(Json<Value>),
    /// Missing or invalid fields, unknown users or rooms, duplicates.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    #[oai(status = 401)]
    Unauthorized(Json<UnauthorizedBody>),
    /// The caller lacks the permission.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
}

impl From<RcError> for CompanionResponse {
    fn from(e: RcError) -> Self {
        match e {
            RcError::BadRequest {
                error,
                error_type,
                details,
            } => CompanionResponse::BadRequest(Json(ErrorBody {
                success: false,
                error,
                error_type,
                details,
            })),
            RcError::Forbidden => CompanionResponse::Forbidden(Json(ErrorBody::new(UNAUTHORIZED))),
        }
    }
}

fn ok(mut body: Value) -> CompanionResponse {
    body["success"] = json!(true);
    CompanionResponse::Ok(Json(body))
}

fn answer(result: Result<Value, RcError>) -> CompanionResponse {
    match result {
        Ok(body) => ok(body),
        Err(e) => e.into(),
    }
}

/// `users.create`. `email`, `name`, `password` and `username` are required.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsersCreateBody {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub username: Option<String>,
    pub active: Option<bool>,
    pub bio: Option<String>,
    pub nickname: Option<String>,
    pub status_text: Option<String>,
    pub roles: Option<Vec<String>>,
    pub verified: Option<bool>,
    /// Default `true`: the user joins the default channels.
    pub join_default_channels: Option<bool>,
    pub require_password_change: Option<bool>,
    pub set_random_password: Option<bool>,
    pub send_welcome_email: Option<bool>,
    pub custom_fields: Option<Value>,
}

/// A user named by `userId` or `username`.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct UserRefBody {
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub confirm_relinquish: Option<bool>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct SetActiveStatusBody {
    pub user_id: Option<String>,
    pub active_status: Option<bool>,
    pub confirm_relinquish: Option<bool>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct UserUpdateData {
    pub name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub bio: Option<String>,
    pub nickname: Option<String>,
    pub status_text: Option<String>,
    pub active: Option<bool>,
    pub roles: Option<Vec<String>>,
    pub verified: Option<bool>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct UsersUpdateBody {
    pub user_id: Option<String>,
    pub data: Option<UserUpdateData>,
}

/// `status` (`online`, `away`, `busy`, `offline`) and/or `message`; for another user name it
/// with `userId` or `username` (admins only).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct SetStatusBody {
    pub status: Option<String>,
    pub message: Option<String>,
    pub user_id: Option<String>,
    pub username: Option<String>,
}

/// `channels.create` / `groups.create`: `name` required; `members` are usernames;
/// `extraData.teamId` creates the room inside that team.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct RoomCreateBody {
    pub name: Option<String>,
    pub members: Option<Vec<String>>,
    pub read_only: Option<bool>,
    pub extra_data: Option<Value>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct RoomRefBody {
    pub room_id: Option<String>,
    pub room_name: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct InviteBody {
    pub room_id: Option<String>,
    pub room_name: Option<String>,
    pub user_id: Option<String>,
    pub user_ids: Option<Vec<String>>,
}

/// `teams.create`: `type` 0 is public, 1 private; `members` are user ids.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TeamCreateBody {
    pub name: Option<String>,
    #[oai(rename = "type")]
    pub team_type: Option<i64>,
    pub members: Option<Vec<String>>,
    pub room: Option<Value>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TeamDeleteBody {
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    /// Ids of team rooms to delete with the team; the others leave the team.
    pub rooms_to_remove: Option<Vec<String>>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TeamAddRoomsBody {
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    /// Room ids.
    pub rooms: Option<Vec<String>>,
}

/// One permission change of `permissions.update`.
#[derive(Debug, Clone, Object)]
pub struct PermissionChange {
    #[oai(rename = "_id")]
    pub id: String,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Object)]
pub struct PermissionsUpdateBody {
    pub permissions: Vec<PermissionChange>,
}

#[derive(Debug, Clone, Object)]
pub struct SettingValueBody {
    pub value: Value,
}

pub struct CompanionApi;

#[OpenApi]
impl CompanionApi {
    /// The caller's own user
    ///
    /// The user the credentials belong to, as Rocket.Chat's `getUserInfo()` shows it: the user's
    /// fields at the top level with `settings` (`profile`, `preferences`), `email` and `"success":
    /// true`.
    #[oai(
        path = "/api/v1/me",
        method = "get",
        operation_id = "get-api-v1-me",
        tag = "ApiTags::Authentication"
    )]
    async fn me(&self, state: Data<&Arc<AppState>>, caller: Caller) -> CompanionResponse {
        let store = state.store.read();
        match store.user(caller.idx) {
            Some(user) => ok(me_json(user)),
            None => RcError::invalid_user().into(),
        }
    }

    /// Creates a user (admins)
    ///
    /// The new user is offline and, unless `joinDefaultChannels` is false, joins the default
    /// channels. Its `_updatedAt` is now, so it shows in `users.presence?from=`.
    #[oai(
        path = "/api/v1/users.create",
        method = "post",
        operation_id = "post-api-v1-users.create",
        tag = "ApiTags::UserManagement"
    )]
    async fn users_create(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<UsersCreateBody>,
    ) -> CompanionResponse {
        let b = body.0;
        let new = NewUser {
            email: b.email,
            name: b.name,
            password: b.password,
            username: b.username,
            active: b.active,
            bio: b.bio,
            nickname: b.nickname,
            status_text: b.status_text,
            roles: b.roles,
            verified: b.verified,
            join_default_channels: b.join_default_channels,
        };
        let now = state.clock.now();
        let mut store = state.store.write();
        answer(
            users::create(&mut store, caller.idx, new, now)
                .map(|idx| json!({"user": users::user_json(store.user(idx).expect("created"))})),
        )
    }

    /// Deletes a user (admins)
    ///
    /// The only owner of channels, groups or teams is refused with 400 `[user-last-owner]`,
    /// `details.shouldChangeOwner` and `details.shouldBeRemoved` naming them, unless
    /// `confirmRelinquish` is true: then each passes to another member, or is removed when the
    /// user is alone in it.
    #[oai(
        path = "/api/v1/users.delete",
        method = "post",
        operation_id = "post-api-v1-users.delete",
        tag = "ApiTags::UserManagement"
    )]
    async fn users_delete(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<UserRefBody>,
    ) -> CompanionResponse {
        let target = UserRef {
            user_id: body.0.user_id,
            username: body.0.username,
        };
        let confirm = body.0.confirm_relinquish.unwrap_or(false);
        let now = state.clock.now();
        let mut store = state.store.write();
        answer(
            users::delete(&mut store, caller.idx, &target, confirm, now)
                .map(|removed| json!({ "deletedRooms": removed })),
        )
    }

    /// Activates or deactivates a user (admins)
    ///
    /// A deactivated user's tokens are revoked and it leaves the directory.
    #[oai(
        path = "/api/v1/users.setActiveStatus",
        method = "post",
        operation_id = "post-api-v1-users.setActiveStatus",
        tag = "ApiTags::UserManagement"
    )]
    async fn users_set_active_status(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<SetActiveStatusBody>,
    ) -> CompanionResponse {
        let Some(user_id) = body.0.user_id.filter(|s| !s.is_empty()) else {
            return RcError::required("userId").into();
        };
        let Some(active) = body.0.active_status else {
            return RcError::required("activeStatus").into();
        };
        let now = state.clock.now();
        let mut store = state.store.write();
        answer(
            users::set_active(&mut store, caller.idx, &user_id, active, now).map(|idx| {
                let user = store.user(idx).expect("exists");
                json!({"user": {"_id": user.id, "active": user.active}})
            }),
        )
    }

    /// Changes a user's profile
    ///
    /// Admins may change anyone; others only themselves (not roles or activity).
    #[oai(
        path = "/api/v1/users.update",
        method = "post",
        operation_id = "post-api-v1-users.update",
        tag = "ApiTags::UserManagement"
    )]
    async fn users_update(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<UsersUpdateBody>,
    ) -> CompanionResponse {
        let Some(data) = body.0.data else {
            return RcError::required("data").into();
        };
        let changes = UserChanges {
            name: data.name,
            username: data.username,
            email: data.email,
            password: data.password,
            bio: data.bio,
            nickname: data.nickname,
            status_text: data.status_text,
            active: data.active,
            roles: data.roles,
            verified: data.verified,
        };
        let user_id = body.0.user_id.unwrap_or_default();
        let now = state.clock.now();
        let mut store = state.store.write();
        answer(
            users::update(&mut store, caller.idx, &user_id, changes, now)
                .map(|idx| json!({"user": users::user_json(store.user(idx).expect("exists"))})),
        )
    }

    /// Sets a status and/or status message
    ///
    /// For the caller, or for another user (admins). The status sticks until changed; as
    /// Rocket.Chat 8.6+ (the default), a human's `away` or `busy` shows as `offline`, since
    /// nobody has a live connection to this server (bots and apps keep theirs).
    #[oai(
        path = "/api/v1/users.setStatus",
        method = "post",
        operation_id = "post-api-v1-users.setStatus",
        tag = "ApiTags::UserManagement"
    )]
    async fn users_set_status(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<SetStatusBody>,
    ) -> CompanionResponse {
        let b = body.0;
        let target = UserRef {
            user_id: b.user_id,
            username: b.username,
        };
        let now = state.clock.now();
        let mut store = state.store.write();
        answer(
            users::set_status(
                &mut store,
                caller.idx,
                &target,
                b.status.as_deref(),
                b.message.as_deref(),
                now,
                state.line(),
            )
            .map(|()| json!({})),
        )
    }

    /// A user's status
    ///
    /// The caller's, or the user named by `userId` or `username`.
    #[oai(
        path = "/api/v1/users.getStatus",
        method = "get",
        operation_id = "get-api-v1-users.getStatus",
        tag = "ApiTags::UserManagement"
    )]
    async fn users_get_status(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        #[oai(name = "userId")] user_id: Query<Option<String>>,
        username: Query<Option<String>>,
    ) -> CompanionResponse {
        let target = UserRef {
            user_id: user_id.0,
            username: username.0,
        };
        answer(users::status_of(&state.store.read(), caller.idx, &target))
    }

    /// A user's presence
    ///
    /// The caller's, or the user named by `userId` or `username`.
    #[oai(
        path = "/api/v1/users.getPresence",
        method = "get",
        operation_id = "get-api-v1-users.getPresence",
        tag = "ApiTags::UserManagement"
    )]
    async fn users_get_presence(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        #[oai(name = "userId")] user_id: Query<Option<String>>,
        username: Query<Option<String>>,
    ) -> CompanionResponse {
        let target = UserRef {
            user_id: user_id.0,
            username: username.0,
        };
        answer(users::presence_of(&state.store.read(), caller.idx, &target))
    }

    /// Creates a public channel
    ///
    /// Body `name`, optional `members` (usernames), `readOnly` and `extraData.teamId` (a channel
    /// inside that team). The caller owns it; members' `_updatedAt` moves.
    #[oai(
        path = "/api/v1/channels.create",
        method = "post",
        operation_id = "post-api-v1-channels.create",
        tag = "ApiTags::Rooms"
    )]
    async fn channels_create(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<RoomCreateBody>,
    ) -> CompanionResponse {
        create_room(&state, caller, RoomKind::Channel, body.0)
    }

    /// Deletes a public channel
    ///
    /// Body `roomId` or `roomName`; its owner or an admin. A team's main room is deleted with
    /// `teams.delete`.
    #[oai(
        path = "/api/v1/channels.delete",
        method = "post",
        operation_id = "post-api-v1-channels.delete",
        tag = "ApiTags::Rooms"
    )]
    async fn channels_delete(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<RoomRefBody>,
    ) -> CompanionResponse {
        delete_room(&state, caller, RoomKind::Channel, body.0)
    }

    /// Adds users to a public channel
    ///
    /// Body `roomId` or `roomName` and `userId` or `userIds`; its owner or an admin. Each new
    /// member's `_updatedAt` moves.
    #[oai(
        path = "/api/v1/channels.invite",
        method = "post",
        operation_id = "post-api-v1-channels.invite",
        tag = "ApiTags::Rooms"
    )]
    async fn channels_invite(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<InviteBody>,
    ) -> CompanionResponse {
        let b = body.0;
        let r = RoomRef {
            room_id: b.room_id,
            room_name: b.room_name,
        };
        let mut ids = b.user_ids.unwrap_or_default();
        ids.extend(b.user_id);
        let now = state.clock.now();
        let mut store = state.store.write();
        answer(
            rooms::invite(&mut store, caller.idx, &r, &ids, now)
                .map(|idx| json!({"channel": rooms::room_json(&store, idx)})),
        )
    }

    /// Creates a private group
    ///
    /// Body `name`, optional `members` (usernames) and `readOnly`. The caller owns it and is its
    /// first member.
    #[oai(
        path = "/api/v1/groups.create",
        method = "post",
        operation_id = "post-api-v1-groups.create",
        tag = "ApiTags::Rooms"
    )]
    async fn groups_create(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<RoomCreateBody>,
    ) -> CompanionResponse {
        create_room(&state, caller, RoomKind::Group, body.0)
    }

    /// Deletes a private group
    ///
    /// Body `roomId` or `roomName`; its owner or an admin.
    #[oai(
        path = "/api/v1/groups.delete",
        method = "post",
        operation_id = "post-api-v1-groups.delete",
        tag = "ApiTags::Rooms"
    )]
    async fn groups_delete(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<RoomRefBody>,
    ) -> CompanionResponse {
        delete_room(&state, caller, RoomKind::Group, body.0)
    }

    /// Creates a team with its main room
    ///
    /// Body `name`, `type` (0 public, 1 private) and optional `members` (user `_id`s). The caller
    /// owns the team and its main room.
    #[oai(
        path = "/api/v1/teams.create",
        method = "post",
        operation_id = "post-api-v1-teams.create",
        tag = "ApiTags::Teams"
    )]
    async fn teams_create(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<TeamCreateBody>,
    ) -> CompanionResponse {
        let b = body.0;
        let now = state.clock.now();
        let mut store = state.store.write();
        let members = b.members.unwrap_or_default();
        answer(
            rooms::create_team(
                &mut store,
                caller.idx,
                b.name.as_deref(),
                b.team_type,
                &members,
                now,
            )
            .map(|id| json!({"team": rooms::team_json(&store, &id)})),
        )
    }

    /// Deletes a team
    ///
    /// Its main room is deleted; its other rooms leave the team unless listed in `roomsToRemove`.
    #[oai(
        path = "/api/v1/teams.delete",
        method = "post",
        operation_id = "post-api-v1-teams.delete",
        tag = "ApiTags::Teams"
    )]
    async fn teams_delete(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<TeamDeleteBody>,
    ) -> CompanionResponse {
        let b = body.0;
        let t = TeamRef {
            team_id: b.team_id,
            team_name: b.team_name,
        };
        let now = state.clock.now();
        let mut store = state.store.write();
        answer(
            rooms::delete_team(
                &mut store,
                caller.idx,
                &t,
                &b.rooms_to_remove.unwrap_or_default(),
                now,
            )
            .map(|()| json!({})),
        )
    }

    /// Moves rooms into a team
    ///
    /// Body `teamId` or `teamName` and `rooms` (room `_id`s, none already in a team); the team's
    /// owner or an admin.
    #[oai(
        path = "/api/v1/teams.addRooms",
        method = "post",
        operation_id = "post-api-v1-teams.addRooms",
        tag = "ApiTags::Teams"
    )]
    async fn teams_add_rooms(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<TeamAddRoomsBody>,
    ) -> CompanionResponse {
        let b = body.0;
        let t = TeamRef {
            team_id: b.team_id,
            team_name: b.team_name,
        };
        let mut store = state.store.write();
        answer(
            rooms::add_rooms(&mut store, caller.idx, &t, &b.rooms.unwrap_or_default()).map(
                |moved| {
                    let rooms: Vec<Value> = moved
                        .into_iter()
                        .map(|idx| rooms::room_json(&store, idx))
                        .collect();
                    json!({"rooms": rooms})
                },
            ),
        )
    }
}

#[OpenApi]
impl AdminApi {
    /// Changes which roles hold permissions (admins)
    ///
    /// Rocket.Chat's test harness uses it, e.g. to let users create teams.
    #[oai(
        path = "/api/v1/permissions.update",
        method = "post",
        operation_id = "post-api-v1-permissions.update",
        tag = "ApiTags::UserManagement"
    )]
    async fn permissions_update(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        body: Json<PermissionsUpdateBody>,
    ) -> CompanionResponse {
        let changes: Vec<(String, Vec<String>)> = body
            .0
            .permissions
            .into_iter()
            .map(|p| (p.id, p.roles))
            .collect();
        let mut store = state.store.write();
        answer(
            crate::companion::update_permissions(&mut store, caller.idx, &changes).map(|()| {
                let permissions: Vec<Value> = changes
                    .iter()
                    .map(|(id, roles)| json!({"_id": id, "roles": roles}))
                    .collect();
                json!({"permissions": permissions})
            }),
        )
    }

    /// Changes a setting (admins)
    ///
    /// Only the settings the reference server's rules read: `Presence_broadcast_disabled`,
    /// `API_Default_Count`, `API_Upper_Count_Limit`, `Accounts_SearchFields`, `Federation_Enabled`.
    #[oai(
        path = "/api/v1/settings/:id",
        method = "post",
        operation_id = "post-api-v1-settings-id",
        tag = "ApiTags::UserManagement"
    )]
    async fn settings_update(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        id: Path<String>,
        body: Json<SettingValueBody>,
    ) -> CompanionResponse {
        if !state
            .store
            .read()
            .user(caller.idx)
            .is_some_and(|u| u.is_admin())
        {
            return RcError::Forbidden.into();
        }
        answer(
            state
                .settings
                .write()
                .set_by_id(&id.0, &body.0.value)
                .map(|()| json!({}))
                .map_err(RcError::failure),
        )
    }
}

/// Permissions and settings, as Rocket.Chat's test harness changes them.
pub struct AdminApi;

fn create_room(
    state: &AppState,
    caller: Caller,
    kind: RoomKind,
    b: RoomCreateBody,
) -> CompanionResponse {
    let team_id = b
        .extra_data
        .as_ref()
        .and_then(|d| d.get("teamId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let new = NewRoom {
        name: b.name,
        members: b.members.unwrap_or_default(),
        read_only: b.read_only.unwrap_or(false),
        team_id,
    };
    let key = match kind {
        RoomKind::Channel => "channel",
        RoomKind::Group => "group",
    };
    let now = state.clock.now();
    let mut store = state.store.write();
    answer(
        rooms::create(&mut store, caller.idx, kind, new, now)
            .map(|idx| json!({key: rooms::room_json(&store, idx)})),
    )
}

fn delete_room(
    state: &AppState,
    caller: Caller,
    kind: RoomKind,
    b: RoomRefBody,
) -> CompanionResponse {
    let r = RoomRef {
        room_id: b.room_id,
        room_name: b.room_name,
    };
    let now = state.clock.now();
    let mut store = state.store.write();
    answer(rooms::delete(&mut store, caller.idx, kind, &r, now).map(|()| json!({})))
}
