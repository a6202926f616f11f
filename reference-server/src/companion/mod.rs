/*!
The companion API's rules: the writes a conformance run needs to set up its own data (users,
statuses, channels, private groups, teams), with Rocket.Chat's permissions, validations and error
codes, apart from HTTP.

Every write validates everything first and only then changes the store, so a refused request
leaves nothing half-written. Every change to a user document — creating it, changing its status,
profile or activity, and joining or leaving a room (Rocket.Chat keeps a user's rooms in the user
document, `__rooms`) — moves that user's `_updatedAt` to now, which is what
`users.presence?from=` reports.
*/

pub mod rooms;
pub mod users;

use serde_json::{json, Value};

use crate::model::{User, UserIdx};
use crate::permissions::Permission;
use crate::store::Store;

/// A refusal, shaped as Rocket.Chat answers it.
#[derive(Debug, Clone, PartialEq)]
pub enum RcError {
    /// 400 `{"success": false, "error": ..., "errorType"?: ..., "details"?: ...}`.
    BadRequest {
        error: String,
        error_type: Option<String>,
        details: Option<Value>,
    },
    /// 403 `{"success": false, "error": "User does not have the permissions required for this action [error-unauthorized]"}`.
    Forbidden,
}

/// The 403 message of a failed permission check.
pub const UNAUTHORIZED: &str =
    "User does not have the permissions required for this action [error-unauthorized]";

impl RcError {
    /// A `Meteor.Error(code, reason, details)` as the REST layer renders it.
    pub fn meteor(code: &str, reason: impl std::fmt::Display, details: Option<Value>) -> Self {
        let reason = reason.to_string();
        RcError::BadRequest {
            error: if reason.is_empty() {
                format!("[{code}]")
            } else {
                format!("{reason} [{code}]")
            },
            error_type: Some(code.to_owned()),
            details,
        }
    }

    /// A request-body validation failure with ajv's wording.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        RcError::BadRequest {
            error: message.into(),
            error_type: Some("error-invalid-params".to_owned()),
            details: None,
        }
    }

    /// `API.v1.failure(message)`: a plain 400.
    pub fn failure(message: impl Into<String>) -> Self {
        RcError::BadRequest {
            error: message.into(),
            error_type: None,
            details: None,
        }
    }

    pub fn required(field: &str) -> Self {
        Self::invalid_params(format!("must have required property '{field}'"))
    }

    pub fn invalid_user() -> Self {
        Self::meteor(
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users",
            None,
        )
    }
}

/// The caller, if it holds the permission.
pub fn require(store: &Store, actor: UserIdx, permission: Permission) -> Result<&User, RcError> {
    let user = store.user(actor).ok_or(RcError::Forbidden)?;
    if store.permissions.allows(user, permission) {
        Ok(user)
    } else {
        Err(RcError::Forbidden)
    }
}

/// A user named by `userId` or `username` (Rocket.Chat's `getUserFromParams`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRef {
    pub user_id: Option<String>,
    pub username: Option<String>,
}

impl UserRef {
    pub fn is_given(&self) -> bool {
        self.user_id.as_deref().is_some_and(|s| !s.is_empty())
            || self.username.as_deref().is_some_and(|s| !s.is_empty())
    }

    pub fn resolve(&self, store: &Store) -> Result<UserIdx, RcError> {
        let found = match (&self.user_id, &self.username) {
            (Some(id), _) if !id.is_empty() => store.user_idx(id),
            (_, Some(name)) if !name.is_empty() => store.user_idx_by_username(name),
            _ => {
                return Err(RcError::meteor(
                    "error-user-param-not-provided",
                    "The required \"userId\" or \"username\" param was not provided",
                    None,
                ))
            }
        };
        found.ok_or_else(RcError::invalid_user)
    }
}

/// Rocket.Chat's default `UTF8_User_Names_Validation` and `UTF8_Channel_Names_Validation`:
/// letters, digits, `-`, `_` and `.`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A small, permissive e-mail check: something, `@`, something with a dot.
pub fn is_valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// `{"_id": ..., "username": ...}`, as rooms and teams name their creator.
pub fn user_stub(store: &Store, idx: Option<UserIdx>) -> Option<Value> {
    let user = store.user(idx?)?;
    Some(json!({"_id": user.id, "username": user.username}))
}

/// `permissions.update` (admins): grants each listed permission to exactly its roles. Roles must
/// be ones Rocket.Chat knows; permission ids are kept even when the reference server does not
/// check them.
pub fn update_permissions(
    store: &mut Store,
    actor: UserIdx,
    changes: &[(String, Vec<String>)],
) -> Result<(), RcError> {
    if !store.user(actor).is_some_and(User::is_admin) {
        return Err(RcError::Forbidden);
    }
    if changes.is_empty() {
        return Err(RcError::required("permissions"));
    }
    for (id, roles) in changes {
        if id.is_empty() {
            return Err(RcError::required("_id"));
        }
        if let Some(role) = roles
            .iter()
            .find(|r| !crate::permissions::KNOWN_ROLES.contains(&r.as_str()))
        {
            return Err(RcError::meteor(
                "error-invalid-role",
                format!("Invalid role {role}"),
                None,
            ));
        }
    }
    for (id, roles) in changes {
        store.permissions.set(id, roles.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rocket_chat_default_validation() {
        assert!(is_valid_name("general"));
        assert!(is_valid_name("a.b-c_d9"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("with space"));
        assert!(!is_valid_name("ünïcode"));
        assert!(!is_valid_name("hash#tag"));
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(is_valid_email("a@example.org"));
        assert!(!is_valid_email("a@localhost"));
        assert!(!is_valid_email("@example.org"));
        assert!(!is_valid_email("a example@x.org"));
        assert!(!is_valid_email("nope"));
    }

    #[test]
    fn meteor_errors_carry_the_code_twice() {
        assert_eq!(
            RcError::meteor("error-x", "Bad thing", None),
            RcError::BadRequest {
                error: "Bad thing [error-x]".into(),
                error_type: Some("error-x".into()),
                details: None
            }
        );
    }
}
