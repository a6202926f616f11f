/*!
User writes: `users.create`, `users.delete`, `users.setActiveStatus`, `users.update`,
`users.setStatus`, and the reads `users.getStatus` and `users.getPresence`.
*/

use std::sync::Arc;

use serde_json::{json, Value};

use super::{is_valid_email, is_valid_name, require, rooms, RcError, UserRef};
use crate::model::{self, Email, Status, User, UserIdx, UserKind};
use crate::permissions::Permission;
use crate::secret;
use crate::store::{Store, StoreError};
use crate::time::{self, Millis};
use crate::version::Line;

/// The body of `users.create`.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
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
    pub join_default_channels: Option<bool>,
}

fn required(value: &Option<String>, field: &str) -> Result<String, RcError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v.clone()),
        _ => Err(RcError::required(field)),
    }
}

fn check_username(username: &str) -> Result<(), RcError> {
    if is_valid_name(username) {
        return Ok(());
    }
    Err(RcError::meteor(
        "error-input-is-not-a-valid-field",
        format!("{username} is not a valid username, use only letters, numbers, dots, hyphens and underscores"),
        Some(json!({"method": "insertOrUpdateUser", "input": username, "field": "Username"})),
    ))
}

fn check_email(email: &str) -> Result<(), RcError> {
    if is_valid_email(email) {
        return Ok(());
    }
    Err(RcError::meteor(
        "error-invalid-email",
        format!("Invalid email {email}"),
        Some(json!({"method": "insertOrUpdateUser", "email": email})),
    ))
}

fn unavailable(value: &str) -> RcError {
    RcError::meteor(
        "error-field-unavailable",
        format!("{value} is already in use :("),
        Some(json!({"method": "insertOrUpdateUser", "field": value})),
    )
}

fn store_error(e: StoreError) -> RcError {
    match e {
        StoreError::DuplicateUsername(v) | StoreError::DuplicateEmail(v) => unavailable(&v),
        other => RcError::failure(other.to_string()),
    }
}

/// Creates a user (admins: `create-user`). New users are offline; with `joinDefaultChannels`
/// (the default) they join the default channels.
pub fn create(
    store: &mut Store,
    actor: UserIdx,
    new: NewUser,
    now: Millis,
) -> Result<UserIdx, RcError> {
    require(store, actor, Permission::CreateUser)?;
    let email = required(&new.email, "email")?;
    let name = required(&new.name, "name")?;
    let password = required(&new.password, "password")?;
    let username = required(&new.username, "username")?;
    check_username(&username)?;
    check_email(&email)?;
    if store.user_idx_by_username(&username).is_some() {
        return Err(unavailable(&username));
    }
    if store.user_idx_by_email(&email).is_some() {
        return Err(unavailable(&email));
    }
    let user = User {
        id: secret::new_id().into(),
        username: Some(username.into()),
        name: Some(name.into()),
        status: Status::Offline,
        utc_offset: None,
        status_text: new.status_text.map(Into::into),
        status_source: None,
        status_expires_at: None,
        avatar_etag: None,
        created_at: now,
        updated_at: now,
        emails: vec![Email {
            address: email,
            verified: new.verified.unwrap_or(false),
        }],
        bio: new.bio.map(Into::into),
        nickname: new.nickname.map(Into::into),
        active: new.active.unwrap_or(true),
        roles: new.roles.map_or_else(model::default_roles, Arc::from),
        kind: UserKind::User,
        federation: None,
        password: Some(secret::hash_password(&password)),
        tokens: vec![],
    };
    let idx = store.insert_user(user).map_err(store_error)?;
    if new.join_default_channels.unwrap_or(true) {
        let defaults: Vec<_> = store
            .rooms()
            .filter(|(_, r)| r.default == Some(true))
            .map(|(i, _)| i)
            .collect();
        for room in defaults {
            store.add_member(room, idx);
        }
    }
    Ok(idx)
}

/// Deletes a user (admins: `delete-user`). The only owner of rooms is refused with
/// `user-last-owner` and the rooms' names, unless `confirm_relinquish`: then those rooms pass to
/// another member or, without one, are removed
/// (docs/contract/auth-and-errors.md#companion.users.delete). Answers the `_id`s of the rooms
/// removed.
pub fn delete(
    store: &mut Store,
    actor: UserIdx,
    target: &UserRef,
    confirm_relinquish: bool,
    now: Millis,
) -> Result<Vec<String>, RcError> {
    require(store, actor, Permission::DeleteUser)?;
    let idx = target.resolve(store)?;
    let owned = rooms::single_owned(store, idx);
    let mut removed = Vec::new();
    if !owned.is_empty() {
        if !confirm_relinquish {
            return Err(RcError::meteor(
                "user-last-owner",
                "",
                Some(owned.details()),
            ));
        }
        removed = owned.remove.iter().map(|(id, _)| id.clone()).collect();
        rooms::relinquish(store, idx, owned, now);
    }
    store.remove_user(idx);
    Ok(removed)
}

/// Activates or deactivates a user (admins: `edit-other-user-active-status`). Deactivation
/// revokes the user's tokens; the last active admin cannot be deactivated.
pub fn set_active(
    store: &mut Store,
    actor: UserIdx,
    user_id: &str,
    active: bool,
    now: Millis,
) -> Result<UserIdx, RcError> {
    require(store, actor, Permission::EditOtherUserActiveStatus)?;
    let idx = store.user_idx(user_id).ok_or_else(RcError::invalid_user)?;
    let target = store.user(idx).expect("resolved");
    if !active && target.is_admin() {
        let other_active_admins = store
            .users()
            .filter(|&(i, u)| i != idx && u.active && u.is_admin())
            .count();
        if other_active_admins == 0 {
            return Err(RcError::meteor(
                "error-action-not-allowed",
                "Leaving the app without admins is not allowed",
                Some(json!({"method": "setUserActiveStatus", "action": "Remove_last_admin"})),
            ));
        }
    }
    store
        .modify_user(idx, now, |u| {
            u.active = active;
            if !active {
                u.tokens.clear();
            }
        })
        .map_err(store_error)?;
    Ok(idx)
}

/// The `data` of `users.update`.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
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

/// Changes a user's profile. Admins (`edit-other-user-info`) may change anyone and anything;
/// others only themselves, and not their roles or activity.
pub fn update(
    store: &mut Store,
    actor: UserIdx,
    user_id: &str,
    changes: UserChanges,
    now: Millis,
) -> Result<UserIdx, RcError> {
    if user_id.is_empty() {
        return Err(RcError::required("userId"));
    }
    let idx = store.user_idx(user_id).ok_or_else(RcError::invalid_user)?;
    let is_admin = require(store, actor, Permission::EditOtherUserInfo).is_ok();
    if !is_admin && (idx != actor || changes.roles.is_some() || changes.active.is_some()) {
        return Err(RcError::Forbidden);
    }
    if let Some(username) = &changes.username {
        check_username(username)?;
    }
    if let Some(email) = &changes.email {
        check_email(email)?;
    }
    if let Some(name) = &changes.name {
        if name.trim().is_empty() {
            return Err(RcError::invalid_params(
                "must NOT have fewer than 1 characters",
            ));
        }
    }
    store
        .modify_user(idx, now, |u| {
            if let Some(v) = changes.name {
                u.name = Some(v.into());
            }
            if let Some(v) = changes.username {
                u.username = Some(v.into());
            }
            if let Some(v) = changes.email {
                u.emails = vec![Email {
                    address: v,
                    verified: changes.verified.unwrap_or(false),
                }];
            }
            if let Some(v) = changes.password {
                u.password = Some(secret::hash_password(&v));
            }
            if let Some(v) = changes.bio {
                u.bio = Some(v.into());
            }
            if let Some(v) = changes.nickname {
                u.nickname = Some(v.into());
            }
            if let Some(v) = changes.status_text {
                u.status_text = Some(v.into());
            }
            if let Some(v) = changes.active {
                u.active = v;
                if !v {
                    u.tokens.clear();
                }
            }
            if let Some(v) = changes.roles {
                u.roles = v.into();
            }
        })
        .map_err(store_error)?;
    Ok(idx)
}

/// Sets a status and/or a status message, for the caller or (with `edit-other-user-info`) for
/// another user. The status stays until changed, as the line shows it (`shown_status`: from
/// 8.6 a human's `away` or `busy` shows as `offline`, as nobody has a live connection here).
pub fn set_status(
    store: &mut Store,
    actor: UserIdx,
    target: &UserRef,
    status: Option<&str>,
    message: Option<&str>,
    now: Millis,
    line: Line,
) -> Result<(), RcError> {
    if status.is_none() && message.is_none() {
        return Err(RcError::invalid_params(
            "must have required property 'status' or 'message'",
        ));
    }
    let idx = if target.is_given() {
        target.resolve(store)?
    } else {
        actor
    };
    if idx != actor {
        require(store, actor, Permission::EditOtherUserInfo)?;
    }
    let status = match status {
        None => None,
        Some(s) => Some(parse_status(s).ok_or_else(|| {
            RcError::meteor(
                "error-invalid-status",
                "Valid status types include online, away, offline, and busy.",
                Some(json!({"method": "users.setStatus"})),
            )
        })?),
    };
    store
        .modify_user(idx, now, |u| {
            if let Some(s) = status {
                u.status = shown_status(u, s, line);
            }
            if let Some(m) = message {
                u.status_text = Some(m.into());
            }
        })
        .map_err(store_error)
}

/// The status a user shows after choosing `chosen` over REST. From 8.6 a presence engine derives
/// it: without a live connection (there are none here) a human's `away` or `busy` shows as
/// `offline`; bots and apps keep what they declare
/// (docs/contract/auth-and-errors.md#companion.users.setstatus).
fn shown_status(user: &User, chosen: Status, line: Line) -> Status {
    let human = user.kind == UserKind::User && !user.roles.iter().any(|r| r == "bot");
    match chosen {
        Status::Away | Status::Busy if line.has_presence_engine() && human => Status::Offline,
        other => other,
    }
}

fn parse_status(s: &str) -> Option<Status> {
    match s {
        "online" => Some(Status::Online),
        "away" => Some(Status::Away),
        "busy" => Some(Status::Busy),
        "offline" => Some(Status::Offline),
        _ => None,
    }
}

/// `users.getStatus`: `{_id, status, message?, connectionStatus, statusSource?, statusExpiresAt?}`;
/// `message` (the status text) only for the caller's own status, as Rocket.Chat answers.
pub fn status_of(store: &Store, actor: UserIdx, target: &UserRef) -> Result<Value, RcError> {
    let idx = if target.is_given() {
        target.resolve(store)?
    } else {
        actor
    };
    let user = store.user(idx).ok_or_else(RcError::invalid_user)?;
    let mut out =
        json!({"_id": user.id, "status": user.status.as_str(), "connectionStatus": "offline"});
    if let (true, Some(text)) = (idx == actor, &user.status_text) {
        out["message"] = json!(text);
    }
    if let Some(source) = &user.status_source {
        out["statusSource"] = json!(source);
    }
    if let Some(at) = user.status_expires_at {
        out["statusExpiresAt"] = json!(time::to_iso(at));
    }
    Ok(out)
}

/// `users.getPresence`: `{presence, connectionStatus?}`.
pub fn presence_of(store: &Store, actor: UserIdx, target: &UserRef) -> Result<Value, RcError> {
    let idx = if target.is_given() {
        target.resolve(store)?
    } else {
        actor
    };
    let user = store.user(idx).ok_or_else(RcError::invalid_user)?;
    let mut out = json!({"presence": user.status.as_str()});
    if idx == actor {
        out["connectionStatus"] = json!("offline");
    }
    Ok(out)
}

/// The user object of `users.create`, `users.update` and `users.info`.
pub fn user_json(user: &User) -> Value {
    let mut out = json!({
        "_id": user.id,
        "type": match user.kind { UserKind::User => "user", UserKind::Bot => "bot", UserKind::App => "app" },
        "status": user.status.as_str(),
        "active": user.active,
        "roles": &*user.roles,
        "emails": user.emails,
        "createdAt": time::to_iso(user.created_at),
        "_updatedAt": time::to_iso(user.updated_at),
    });
    for (key, value) in [
        ("username", user.username.as_ref()),
        ("name", user.name.as_ref()),
        ("bio", user.bio.as_ref()),
        ("nickname", user.nickname.as_ref()),
        ("statusText", user.status_text.as_ref()),
    ] {
        if let Some(v) = value {
            out[key] = json!(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Room, RoomType};
    use crate::store::tests::user;

    const NOW: Millis = 1_000_000;

    fn store() -> (Store, UserIdx, UserIdx) {
        let mut s = Store::new();
        let mut admin = user("admin", "admin", Status::Online, 0);
        admin.roles = Arc::from(["admin".to_owned()]);
        let admin = s.insert_user(admin).unwrap();
        let plain = s
            .insert_user(user("plain", "plain", Status::Offline, 0))
            .unwrap();
        s.insert_room(Room {
            id: "GENERAL".into(),
            t: RoomType::Channel,
            name: "general".into(),
            fname: None,
            description: None,
            topic: None,
            ts: 0,
            archived: None,
            default: Some(true),
            featured: None,
            prid: None,
            team_id: None,
            team_main: false,
            federated: None,
            last_message: None,
            last_message_ts: None,
            members: vec![],
            created_by: None,
        })
        .unwrap();
        (s, admin, plain)
    }

    fn new_user(username: &str) -> NewUser {
        NewUser {
            email: Some(format!("{username}@example.org")),
            name: Some(format!("Name {username}")),
            password: Some("pw".into()),
            username: Some(username.into()),
            ..NewUser::default()
        }
    }

    #[test]
    fn create_makes_an_offline_user_updated_now_in_the_default_channels() {
        let (mut s, admin, _) = store();
        let idx = create(&mut s, admin, new_user("newbie"), NOW).unwrap();
        let u = s.user(idx).unwrap();
        assert_eq!(u.status, Status::Offline);
        assert_eq!((u.created_at, u.updated_at), (NOW, NOW));
        assert_eq!(s.rooms_of(idx).count(), 1, "joined GENERAL");
        let mut opt_out = new_user("loner");
        opt_out.join_default_channels = Some(false);
        let idx = create(&mut s, admin, opt_out, NOW).unwrap();
        assert_eq!(s.rooms_of(idx).count(), 0);
    }

    #[test]
    fn create_needs_the_create_user_permission() {
        let (mut s, _, plain) = store();
        assert_eq!(
            create(&mut s, plain, new_user("x"), NOW),
            Err(RcError::Forbidden)
        );
    }

    #[test]
    fn create_refuses_missing_fields_bad_names_and_duplicates_without_writing() {
        let (mut s, admin, _) = store();
        let mut missing = new_user("x");
        missing.email = None;
        assert_eq!(
            create(&mut s, admin, missing, NOW),
            Err(RcError::required("email"))
        );
        let err = create(&mut s, admin, new_user("bad name"), NOW).unwrap_err();
        assert!(
            matches!(err, RcError::BadRequest { error_type: Some(ref t), .. } if t == "error-input-is-not-a-valid-field")
        );
        let err = create(&mut s, admin, new_user("PLAIN"), NOW).unwrap_err();
        assert!(
            matches!(err, RcError::BadRequest { ref error, .. } if error == "PLAIN is already in use :( [error-field-unavailable]")
        );
        let mut same_mail = new_user("other");
        same_mail.email = Some("admin-x@example.org".into());
        create(&mut s, admin, same_mail.clone(), NOW).unwrap();
        same_mail.username = Some("third".into());
        assert!(create(&mut s, admin, same_mail, NOW).is_err());
        assert_eq!(s.user_count(), 3);
    }

    #[test]
    fn set_status_touches_updated_at_and_needs_permission_for_others() {
        let (mut s, admin, plain) = store();
        set_status(
            &mut s,
            plain,
            &UserRef::default(),
            Some("busy"),
            Some("lunch"),
            NOW,
            Line::V7,
        )
        .unwrap();
        let u = s.user(plain).unwrap();
        assert_eq!(
            (u.status, u.status_text.as_deref(), u.updated_at),
            (Status::Busy, Some("lunch"), NOW)
        );
        let other = UserRef {
            user_id: Some("admin".into()),
            username: None,
        };
        assert_eq!(
            set_status(&mut s, plain, &other, Some("away"), None, NOW, Line::V7),
            Err(RcError::Forbidden)
        );
        let target = UserRef {
            user_id: None,
            username: Some("plain".into()),
        };
        set_status(
            &mut s,
            admin,
            &target,
            Some("away"),
            None,
            NOW + 1,
            Line::V7,
        )
        .unwrap();
        assert_eq!(s.user(plain).unwrap().status, Status::Away);
        set_status(
            &mut s,
            admin,
            &target,
            Some("offline"),
            None,
            NOW + 2,
            Line::V7,
        )
        .unwrap();
        assert_eq!(s.user(plain).unwrap().status, Status::Offline);
        assert!(set_status(
            &mut s,
            plain,
            &UserRef::default(),
            Some("sleepy"),
            None,
            NOW,
            Line::V7
        )
        .is_err());
        assert!(set_status(
            &mut s,
            plain,
            &UserRef::default(),
            None,
            None,
            NOW,
            Line::V7
        )
        .is_err());
    }

    #[test]
    fn from_8_6_a_humans_away_or_busy_shows_offline_and_a_bots_stays() {
        let (mut s, _admin, plain) = store();
        let me = UserRef::default();
        set_status(
            &mut s,
            plain,
            &me,
            Some("busy"),
            Some("focus"),
            NOW,
            Line::V8_6,
        )
        .unwrap();
        let u = s.user(plain).unwrap();
        assert_eq!(
            (u.status, u.status_text.as_deref()),
            (Status::Offline, Some("focus"))
        );
        set_status(
            &mut s,
            plain,
            &me,
            Some("online"),
            None,
            NOW + 1,
            Line::V8_6,
        )
        .unwrap();
        assert_eq!(s.user(plain).unwrap().status, Status::Online);
        set_status(&mut s, plain, &me, Some("away"), None, NOW + 2, Line::V8_5).unwrap();
        assert_eq!(
            s.user(plain).unwrap().status,
            Status::Away,
            "before 8.6 it sticks"
        );
        s.modify_user(plain, NOW + 3, |u| u.kind = UserKind::Bot)
            .unwrap();
        set_status(&mut s, plain, &me, Some("busy"), None, NOW + 4, Line::V8_6).unwrap();
        assert_eq!(
            s.user(plain).unwrap().status,
            Status::Busy,
            "a bot keeps it"
        );
    }

    #[test]
    fn deactivation_revokes_tokens_and_keeps_the_last_admin() {
        let (mut s, admin, plain) = store();
        s.modify_user(plain, 0, |u| {
            u.tokens.push(crate::model::StoredToken {
                hashed: [1; 32],
                personal_name: None,
                created_at: 0,
            })
        })
        .unwrap();
        set_active(&mut s, admin, "plain", false, NOW).unwrap();
        let u = s.user(plain).unwrap();
        assert!(!u.active && u.tokens.is_empty() && u.updated_at == NOW);
        assert!(
            set_active(&mut s, admin, "admin", false, NOW).is_err(),
            "last admin"
        );
        assert_eq!(
            set_active(&mut s, plain, "admin", false, NOW),
            Err(RcError::Forbidden)
        );
        // Activating is never refused for want of other admins.
        assert_eq!(set_active(&mut s, admin, "admin", true, NOW), Ok(admin));
        assert_eq!(set_active(&mut s, admin, "plain", true, NOW + 1), Ok(plain));
        assert!(s.user(plain).unwrap().active);
    }

    #[test]
    fn an_update_that_deactivates_revokes_the_tokens() {
        let (mut s, admin, plain) = store();
        let token = crate::model::StoredToken {
            hashed: [1; 32],
            personal_name: None,
            created_at: 0,
        };
        s.modify_user(plain, 0, |u| u.tokens.push(token)).unwrap();
        let active = |v: bool| UserChanges {
            active: Some(v),
            ..Default::default()
        };
        update(&mut s, admin, "plain", active(true), NOW).unwrap();
        assert_eq!(s.user(plain).unwrap().tokens.len(), 1, "kept while active");
        update(&mut s, admin, "plain", active(false), NOW + 1).unwrap();
        let u = s.user(plain).unwrap();
        assert!(!u.active && u.tokens.is_empty() && u.updated_at == NOW + 1);
    }

    #[test]
    fn blank_fields_are_missing_and_bad_emails_are_refused() {
        let (mut s, admin, plain) = store();
        let mut blank = new_user("blank");
        blank.name = Some(" \t".into());
        assert_eq!(
            create(&mut s, admin, blank, NOW),
            Err(RcError::required("name"))
        );
        let mut bad_mail = new_user("mailer");
        bad_mail.email = Some("nope".into());
        let invalid = RcError::meteor(
            "error-invalid-email",
            "Invalid email nope",
            Some(json!({"method": "insertOrUpdateUser", "email": "nope"})),
        );
        assert_eq!(create(&mut s, admin, bad_mail, NOW), Err(invalid.clone()));
        assert_eq!(s.user_count(), 2);
        let change = UserChanges {
            email: Some("nope".into()),
            ..Default::default()
        };
        assert_eq!(update(&mut s, admin, "plain", change, NOW), Err(invalid));
        assert!(s
            .user(plain)
            .unwrap()
            .emails
            .iter()
            .all(|e| e.address != "nope"));
    }

    #[test]
    fn a_user_ref_falls_back_from_an_empty_id_to_the_username() {
        let (s, _, plain) = store();
        let by = |id: Option<&str>, name: Option<&str>| UserRef {
            user_id: id.map(Into::into),
            username: name.map(Into::into),
        };
        assert_eq!(by(Some(""), Some("plain")).resolve(&s), Ok(plain));
        assert_eq!(by(None, Some("plain")).resolve(&s), Ok(plain));
        assert_eq!(
            by(Some("ghost"), Some("plain")).resolve(&s),
            Err(RcError::invalid_user()),
            "the id wins over the username"
        );
        for nothing in [by(None, None), by(Some(""), Some("")), by(None, Some(""))] {
            assert!(!nothing.is_given());
            assert_eq!(
                nothing.resolve(&s),
                Err(RcError::meteor(
                    "error-user-param-not-provided",
                    "The required \"userId\" or \"username\" param was not provided",
                    None
                )),
                "{nothing:?}"
            );
        }
    }

    #[test]
    fn update_lets_users_edit_themselves_but_not_others_or_their_roles() {
        let (mut s, admin, plain) = store();
        let own = UserChanges {
            bio: Some("hi".into()),
            ..Default::default()
        };
        update(&mut s, plain, "plain", own, NOW).unwrap();
        assert_eq!(s.user(plain).unwrap().bio.as_deref(), Some("hi"));
        let roles = UserChanges {
            roles: Some(vec!["admin".into()]),
            ..Default::default()
        };
        assert_eq!(
            update(&mut s, plain, "plain", roles, NOW),
            Err(RcError::Forbidden)
        );
        assert_eq!(
            update(&mut s, plain, "admin", UserChanges::default(), NOW),
            Err(RcError::Forbidden)
        );
        let rename = UserChanges {
            username: Some("Admin".into()),
            ..Default::default()
        };
        assert!(
            update(&mut s, admin, "plain", rename, NOW).is_err(),
            "username taken ignoring case"
        );
    }

    #[test]
    fn delete_removes_the_user_and_its_memberships() {
        let (mut s, admin, plain) = store();
        s.add_member(0, plain);
        let target = UserRef {
            user_id: Some("plain".into()),
            username: None,
        };
        delete(&mut s, admin, &target, false, NOW).unwrap();
        assert!(s.user_idx("plain").is_none());
        assert!(s.room(0).unwrap().members.is_empty());
        assert_eq!(
            delete(&mut s, admin, &target, false, NOW),
            Err(RcError::invalid_user())
        );
    }
}
