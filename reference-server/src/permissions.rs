/*!
Rocket.Chat's default permissions, for the roles the reference server knows.

Why a table and not checks spread over the handlers: Rocket.Chat decides by permission, each
granted to roles (`apps/meteor/app/authorization/server/functions/upsertPermissions.ts`), and
the same permission gates several endpoints (`view-full-other-user-info` decides both who can
change another user's status and who sees e-mail addresses in the directory).

Room-scoped roles (`owner`, `moderator`) are not modelled apart from "the room's creator is its
owner", which is how a freshly created room is set up.
*/

use std::collections::HashMap;

use crate::model::User;

/// Roles Rocket.Chat knows by default; `permissions.update` accepts only these.
pub const KNOWN_ROLES: &[&str] = &[
    "admin",
    "moderator",
    "leader",
    "owner",
    "user",
    "bot",
    "app",
    "guest",
    "anonymous",
    "livechat-agent",
    "livechat-manager",
    "livechat-monitor",
];

/// The permissions the reference server checks, with Rocket.Chat's default roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    pub const ALL: [Permission; 11] = [
        Permission::CreateUser,
        Permission::DeleteUser,
        Permission::EditOtherUserActiveStatus,
        Permission::EditOtherUserInfo,
        Permission::ViewFullOtherUserInfo,
        Permission::CreateChannel,
        Permission::CreatePrivateGroup,
        Permission::CreateTeam,
        Permission::ViewOutsideRoom,
        Permission::ViewDirectRoom,
        Permission::ViewChannel,
    ];

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

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

/// Which roles hold which permission: Rocket.Chat's defaults, changed by `permissions.update`.
///
/// Changes are kept by permission id, also for permissions the reference server does not check,
/// so a test harness that sets up Rocket.Chat's permissions works unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionTable {
    changed: HashMap<String, Vec<String>>,
}

impl PermissionTable {
    /// The roles that hold `permission` now.
    pub fn roles(&self, permission: Permission) -> Vec<&str> {
        match self.changed.get(permission.id()) {
            Some(roles) => roles.iter().map(String::as_str).collect(),
            None => permission.default_roles().to_vec(),
        }
    }

    /// Grants the permission with this id to exactly `roles`.
    pub fn set(&mut self, id: &str, roles: Vec<String>) {
        self.changed.insert(id.to_owned(), roles);
    }

    /// Whether the user holds the permission through one of its roles.
    pub fn allows(&self, user: &User, permission: Permission) -> bool {
        match self.changed.get(permission.id()) {
            Some(roles) => user.roles.iter().any(|role| roles.contains(role)),
            None => {
                let roles = permission.default_roles();
                user.roles.iter().any(|role| roles.contains(&role.as_str()))
            }
        }
    }
}

/// Whether the user holds the permission by Rocket.Chat's defaults.
pub fn has(user: &User, permission: Permission) -> bool {
    PermissionTable::default().allows(user, permission)
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
    fn a_changed_permission_replaces_the_default_roles() {
        let mut table = PermissionTable::default();
        let user = with_roles(&["user"]);
        assert!(table.allows(&user, Permission::CreateTeam));
        table.set("create-team", vec!["admin".into()]);
        assert!(!table.allows(&user, Permission::CreateTeam));
        assert!(table.allows(&with_roles(&["user", "admin"]), Permission::CreateTeam));
        assert_eq!(table.roles(Permission::CreateTeam), vec!["admin"]);
        assert_eq!(
            Permission::from_id("create-team"),
            Some(Permission::CreateTeam)
        );
        assert_eq!(Permission::from_id("no-such"), None);
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
