/*!
Rocket.Chat's default permissions, for the roles the reference server knows.

Why a table and not checks spread over the handlers: Rocket.Chat decides by permission, each
granted to roles (`apps/meteor/app/authorization/server/functions/upsertPermissions.ts`), and
the same permission gates several endpoints (`view-full-other-user-info` decides both who can
change another user's status and who sees e-mail addresses in the directory).

Room-scoped roles (`owner`, `moderator`) are not modelled apart from "the room's creator is its
owner", which is how a freshly created room is set up.
*/

use crate::model::User;

/// The permissions the reference server checks, with Rocket.Chat's default roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    CreateUser,
    DeleteUser,
    EditOtherUserActiveStatus,
    EditOtherUserInfo,
    ViewFullOtherUserInfo,
    CreateChannel,
    CreatePrivateGroup,
    CreateTeam,
    ViewOutsideRoom,
    ViewDirectRoom,
    ViewChannel,
}

impl Permission {
    /// Rocket.Chat's name for the permission.
    pub fn id(self) -> &'static str {
        match self {
            Permission::CreateUser => "create-user",
            Permission::DeleteUser => "delete-user",
            Permission::EditOtherUserActiveStatus => "edit-other-user-active-status",
            Permission::EditOtherUserInfo => "edit-other-user-info",
            Permission::ViewFullOtherUserInfo => "view-full-other-user-info",
            Permission::CreateChannel => "create-c",
            Permission::CreatePrivateGroup => "create-p",
            Permission::CreateTeam => "create-team",
            Permission::ViewOutsideRoom => "view-outside-room",
            Permission::ViewDirectRoom => "view-d-room",
            Permission::ViewChannel => "view-c-room",
        }
    }

    /// The roles that hold the permission by default.
    pub fn default_roles(self) -> &'static [&'static str] {
        match self {
            Permission::CreateUser
            | Permission::DeleteUser
            | Permission::EditOtherUserActiveStatus
            | Permission::EditOtherUserInfo
            | Permission::ViewFullOtherUserInfo => &["admin"],
            Permission::CreateChannel | Permission::CreatePrivateGroup => {
                &["admin", "user", "bot", "app"]
            }
            Permission::CreateTeam => &["admin", "user"],
            Permission::ViewOutsideRoom => &["admin", "owner", "moderator", "user"],
            Permission::ViewDirectRoom => &["admin", "user", "bot", "app", "guest"],
            Permission::ViewChannel => &["admin", "user", "bot", "app", "anonymous"],
        }
    }
}

/// Whether the user holds the permission through one of its roles.
pub fn has(user: &User, permission: Permission) -> bool {
    user.roles
        .iter()
        .any(|role| permission.default_roles().contains(&role.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::store::tests::user;

    fn with_roles(roles: &[&str]) -> User {
        let mut u = user("u", "u", Status::Offline, 0);
        u.roles = roles.iter().map(|r| r.to_string()).collect();
        u
    }

    #[test]
    fn admins_see_full_user_info_and_users_do_not() {
        assert!(has(
            &with_roles(&["admin"]),
            Permission::ViewFullOtherUserInfo
        ));
        assert!(!has(
            &with_roles(&["user"]),
            Permission::ViewFullOtherUserInfo
        ));
    }

    #[test]
    fn guests_cannot_view_outside_their_rooms() {
        let guest = with_roles(&["guest"]);
        assert!(!has(&guest, Permission::ViewOutsideRoom));
        assert!(has(&guest, Permission::ViewDirectRoom));
        assert!(!has(&guest, Permission::CreateChannel));
    }

    #[test]
    fn users_create_rooms_and_teams_but_not_users() {
        let u = with_roles(&["user"]);
        assert!(has(&u, Permission::CreateChannel));
        assert!(has(&u, Permission::CreatePrivateGroup));
        assert!(has(&u, Permission::CreateTeam));
        assert!(!has(&u, Permission::CreateUser));
        assert!(!has(&with_roles(&[]), Permission::ViewChannel));
    }
}
