/*!
`POST /api/v1/login` and `POST /api/v1/logout`: Rocket.Chat's REST login, over [`crate::accounts`].
*/

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::{payload::Json, types::Example, ApiResponse, Object, OpenApi};
use serde_json::{json, Value};

use super::common::{Caller, ErrorBody, UnauthorizedBody};
use super::ApiTags;
use crate::accounts::{self, LoginBody};
use crate::model::User;
use crate::state::AppState;
use crate::time;

/// A login. Name the user with `user` (a username, or an e-mail address when it contains `@`;
/// or an object `{"username": ...}` / `{"email": ...}`), `username` or `email`; or send
/// `resume` with an existing token instead.
#[derive(Debug, Clone, Object)]
#[oai(example)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginRequestBody {
    pub user: Option<Value>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub resume: Option<String>,
}

impl Example for LoginRequestBody {
    fn example() -> Self {
        LoginRequestBody {
            user: Some(json!("rocketchat.internal.admin.test")),
            username: None,
            email: None,
            password: Some("rocketchat.internal.admin.test".into()),
            resume: None,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct LoginData {
    /// Send as `X-User-Id`.
    pub user_id: String,
    /// Send as `X-Auth-Token`.
    pub auth_token: String,
    /// The logged-in user.
    pub me: Value,
}

#[derive(Debug, Clone, Object)]
pub struct LoginSuccess {
    /// `success`.
    pub status: String,
    pub data: LoginData,
}

/// A failed login: `{"status":"error","error":"Unauthorized","message":"Unauthorized","success":false}`.
#[derive(Debug, Clone, Object)]
pub struct LoginFailure {
    pub success: bool,
    pub status: String,
    pub error: String,
    pub message: String,
}

#[derive(ApiResponse)]
pub enum LoginResponse {
    /// Logged in.
    #[oai(status = 200)]
    Ok(Json<LoginSuccess>),
    /// The body is not JSON or names no user or password.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Wrong credentials, an unknown user, or a deactivated one.
    #[oai(status = 401)]
    Unauthorized(Json<LoginFailure>),
}

#[derive(Debug, Clone, Object)]
pub struct LogoutData {
    pub message: String,
}

#[derive(Debug, Clone, Object)]
pub struct LogoutSuccess {
    /// `success`.
    pub status: String,
    pub data: LogoutData,
}

#[derive(ApiResponse)]
pub enum LogoutResponse {
    /// The token used for this request is revoked.
    #[oai(status = 200)]
    Ok(Json<LogoutSuccess>),
    #[oai(status = 401)]
    Unauthorized(Json<UnauthorizedBody>),
}

/// The user as Rocket.Chat's `getUserInfo()` shows it to itself: the `me` of a login answer and
/// the answer of `GET /api/v1/me` (`settings` with `profile` and `preferences`, `email` the
/// first verified address, `isOAuthUser`).
pub fn me_json(user: &User) -> Value {
    let mut me = json!({
        "_id": user.id,
        "status": user.status.as_str(),
        "statusConnection": "offline",
        "active": user.active,
        "roles": &*user.roles,
        "emails": user.emails,
        "settings": {"profile": {}, "preferences": {}},
        "isOAuthUser": false,
        "createdAt": time::to_iso(user.created_at),
        "_updatedAt": time::to_iso(user.updated_at),
    });
    let fields = [
        ("username", user.username.as_deref().map(Value::from)),
        ("name", user.name.as_deref().map(Value::from)),
        ("utcOffset", user.utc_offset.clone().map(Value::Number)),
        ("statusText", user.status_text.as_deref().map(Value::from)),
        ("avatarETag", user.avatar_etag.as_deref().map(Value::from)),
        ("bio", user.bio.as_deref().map(Value::from)),
        ("nickname", user.nickname.as_deref().map(Value::from)),
        (
            "avatarUrl",
            user.username
                .as_ref()
                .map(|u| Value::from(format!("/avatar/{u}"))),
        ),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            me[key] = value;
        }
    }
    if let Some(verified) = user.emails.iter().find(|e| e.verified) {
        me["email"] = Value::from(verified.address.clone());
    }
    me
}

pub struct AuthApi;

#[OpenApi]
impl AuthApi {
    /// Logs in
    ///
    /// Answers the `userId` and `authToken` to send as `X-User-Id` and `X-Auth-Token` on every
    /// other call. Each login issues a new token.
    #[oai(
        path = "/api/v1/login",
        method = "post",
        operation_id = "post-api-v1-login",
        tag = "ApiTags::Authentication"
    )]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<LoginRequestBody>,
    ) -> LoginResponse {
        let body = LoginBody {
            user: body.0.user,
            username: body.0.username,
            email: body.0.email,
            password: body.0.password,
            resume: body.0.resume,
        };
        let Some(request) = body.request() else {
            return LoginResponse::BadRequest(Json(ErrorBody::typed(
                "Match error: a login needs a user (or username or email) and a password, or resume",
                "error-invalid-params",
            )));
        };
        let now = state.clock.now();
        let mut store = state.store.write();
        match accounts::login(&mut store, &request, now) {
            Some(session) => {
                let user = store.user(session.user).expect("logged-in user exists");
                LoginResponse::Ok(Json(LoginSuccess {
                    status: "success".into(),
                    data: LoginData {
                        user_id: user.id.to_string(),
                        auth_token: session.token,
                        me: me_json(user),
                    },
                }))
            }
            None => LoginResponse::Unauthorized(Json(LoginFailure {
                success: false,
                status: "error".into(),
                error: "Unauthorized".into(),
                message: "Unauthorized".into(),
            })),
        }
    }

    /// Logs out
    ///
    /// Revokes the token this request was made with.
    #[oai(
        path = "/api/v1/logout",
        method = "post",
        operation_id = "post-api-v1-logout",
        tag = "ApiTags::Authentication"
    )]
    async fn logout(&self, state: Data<&Arc<AppState>>, caller: Caller) -> LogoutResponse {
        log_out(&state, &caller)
    }

    /// Logs out (deprecated `GET` form)
    ///
    /// As `POST /api/v1/logout`: Rocket.Chat still answers this deprecated alias, and clients
    /// such as `@rocket.chat/sdk` send it.
    #[oai(
        path = "/api/v1/logout",
        method = "get",
        operation_id = "get-api-v1-logout",
        tag = "ApiTags::Authentication",
        deprecated
    )]
    async fn logout_get(&self, state: Data<&Arc<AppState>>, caller: Caller) -> LogoutResponse {
        log_out(&state, &caller)
    }
}

/// Revokes the token the request was made with.
fn log_out(state: &AppState, caller: &Caller) -> LogoutResponse {
    let now = state.clock.now();
    accounts::logout(
        &mut state.store.write(),
        caller.idx,
        &caller.token_hash,
        now,
    );
    LogoutResponse::Ok(Json(LogoutSuccess {
        status: "success".into(),
        data: LogoutData {
            message: "You've been logged out!".into(),
        },
    }))
}
