/*!
Logging in and out, as Rocket.Chat's `POST /api/v1/login` and `/logout` do it, apart from HTTP.

A login names the user by username or e-mail (`{"user": ...}` decides by the `@`; `{"username"}`,
`{"email"}` and `{"user": {"username"|"email"}}` also work) or presents an existing token
(`{"resume": token}`). Each login issues a new token and, as every write to a user in
Rocket.Chat, moves the user's `_updatedAt` to now.
*/

use serde_json::Value;

use crate::model::{StoredToken, UserIdx};
use crate::secret;
use crate::store::Store;
use crate::time::Millis;

/// Who is logging in, read from the login body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Username(String),
    Email(String),
}

/// What a login body asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRequest {
    Password { name: LoginName, password: String },
    Resume { token: String },
}

/// The fields of a login body, as sent.
#[derive(Debug, Clone, Default)]
pub struct LoginBody {
    pub user: Option<Value>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub resume: Option<String>,
}

impl LoginBody {
    /// Reads the body's forms; `None` when it names no user or no password.
    pub fn request(&self) -> Option<LoginRequest> {
        if let Some(token) = &self.resume {
            return Some(LoginRequest::Resume {
                token: token.clone(),
            });
        }
        let name = match (&self.user, &self.username, &self.email) {
            (Some(Value::String(u)), _, _) if u.contains('@') => LoginName::Email(u.clone()),
            (Some(Value::String(u)), _, _) => LoginName::Username(u.clone()),
            (Some(Value::Object(o)), _, _) => match (o.get("username"), o.get("email")) {
                (Some(Value::String(u)), _) => LoginName::Username(u.clone()),
                (_, Some(Value::String(e))) => LoginName::Email(e.clone()),
                _ => return None,
            },
            (None, Some(u), _) => LoginName::Username(u.clone()),
            (None, None, Some(e)) => LoginName::Email(e.clone()),
            _ => return None,
        };
        let password = self.password.clone()?;
        Some(LoginRequest::Password { name, password })
    }
}

/// A successful login: the user and the new token (shown once, stored hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserIdx,
    pub token: String,
}

/// Checks the credentials and issues a token. `None` for any failure, which the API answers
/// with the same 401 whatever the reason, so it does not tell which usernames exist.
pub fn login(store: &mut Store, request: &LoginRequest, now: Millis) -> Option<Session> {
    let idx = match request {
        LoginRequest::Password { name, password } => {
            let idx = match name {
                LoginName::Username(u) => store.user_idx_by_username(u),
                LoginName::Email(e) => store.user_idx_by_email(e),
            }?;
            let stored = store.user(idx)?.password.as_ref()?;
            secret::password_matches(stored, password).then_some(idx)?
        }
        LoginRequest::Resume { token } => {
            let presented = secret::hash_token(token);
            store
                .users()
                .find(|(_, u)| secret::token_matches(&u.tokens, &presented))
                .map(|(idx, _)| idx)?
        }
    };
    if !store.user(idx)?.active {
        return None;
    }
    let token = secret::new_token();
    let stored = StoredToken {
        hashed: secret::hash_token(&token),
        personal_name: None,
        created_at: now,
    };
    store
        .modify_user(idx, now, |u| u.tokens.push(stored))
        .ok()?;
    Some(Session { user: idx, token })
}

/// Revokes the token with this digest. Returns `false` when the user had no such token.
pub fn logout(store: &mut Store, user: UserIdx, token_hash: &[u8; 32], now: Millis) -> bool {
    let had = store
        .user(user)
        .is_some_and(|u| u.tokens.iter().any(|t| &t.hashed == token_hash));
    if had {
        let _ = store.modify_user(user, now, |u| u.tokens.retain(|t| &t.hashed != token_hash));
    }
    had
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Email, Status};
    use crate::store::tests::user;
    use serde_json::json;

    fn store() -> Store {
        let mut s = Store::new();
        let mut alice = user("a", "alice", Status::Offline, 0);
        alice.password = Some(secret::hash_password("pw"));
        alice.emails = vec![Email {
            address: "alice@example.org".into(),
            verified: true,
        }];
        s.insert_user(alice).unwrap();
        let mut gone = user("g", "gone", Status::Offline, 0);
        gone.password = Some(secret::hash_password("pw"));
        gone.active = false;
        s.insert_user(gone).unwrap();
        s
    }

    fn body(v: Value) -> LoginBody {
        LoginBody {
            user: v.get("user").cloned(),
            username: v.get("username").and_then(Value::as_str).map(str::to_owned),
            email: v.get("email").and_then(Value::as_str).map(str::to_owned),
            password: v.get("password").and_then(Value::as_str).map(str::to_owned),
            resume: v.get("resume").and_then(Value::as_str).map(str::to_owned),
        }
    }

    #[test]
    fn login_forms_all_name_the_same_user() {
        for form in [
            json!({"user": "alice", "password": "pw"}),
            json!({"user": "ALICE", "password": "pw"}),
            json!({"user": "alice@example.org", "password": "pw"}),
            json!({"username": "alice", "password": "pw"}),
            json!({"email": "alice@example.org", "password": "pw"}),
            json!({"user": {"username": "alice"}, "password": "pw"}),
            json!({"user": {"email": "alice@example.org"}, "password": "pw"}),
        ] {
            let mut s = store();
            let req = body(form.clone()).request().expect("a login request");
            let session = login(&mut s, &req, 5).unwrap_or_else(|| panic!("{form} logs in"));
            assert_eq!(session.user, 0);
        }
    }

    #[test]
    fn login_issues_a_token_and_touches_updated_at() {
        let mut s = store();
        let req = body(json!({"user": "alice", "password": "pw"}))
            .request()
            .unwrap();
        let session = login(&mut s, &req, 42).unwrap();
        let alice = s.user(0).unwrap();
        assert_eq!(alice.updated_at, 42);
        assert!(secret::token_matches(
            &alice.tokens,
            &secret::hash_token(&session.token)
        ));
        let resumed = login(
            &mut s,
            &LoginRequest::Resume {
                token: session.token.clone(),
            },
            43,
        )
        .unwrap();
        assert_eq!(resumed.user, 0);
        assert_ne!(resumed.token, session.token);
    }

    #[test]
    fn wrong_password_unknown_user_and_deactivated_user_fail() {
        let mut s = store();
        for form in [
            json!({"user": "alice", "password": "nope"}),
            json!({"user": "nobody", "password": "pw"}),
            json!({"user": "gone", "password": "pw"}),
        ] {
            let req = body(form.clone()).request().unwrap();
            assert_eq!(login(&mut s, &req, 1), None, "{form}");
        }
        assert_eq!(
            s.user(0).unwrap().updated_at,
            0,
            "a failed login writes nothing"
        );
    }

    #[test]
    fn bodies_without_user_or_password_are_not_requests() {
        assert_eq!(body(json!({"user": "alice"})).request(), None);
        assert_eq!(body(json!({"password": "pw"})).request(), None);
        assert_eq!(body(json!({"user": 5, "password": "pw"})).request(), None);
    }

    #[test]
    fn logout_revokes_only_the_presented_token() {
        let mut s = store();
        let req = body(json!({"user": "alice", "password": "pw"}))
            .request()
            .unwrap();
        let first = login(&mut s, &req, 1).unwrap();
        let second = login(&mut s, &req, 2).unwrap();
        assert!(logout(&mut s, 0, &secret::hash_token(&first.token), 3));
        let alice = s.user(0).unwrap();
        assert!(!secret::token_matches(
            &alice.tokens,
            &secret::hash_token(&first.token)
        ));
        assert!(secret::token_matches(
            &alice.tokens,
            &secret::hash_token(&second.token)
        ));
        assert!(!logout(&mut s, 0, &secret::hash_token(&first.token), 4));
    }
}
