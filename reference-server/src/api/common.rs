/*!
Pieces every endpoint shares: Rocket.Chat's auth as an OpenAPI security requirement, its error
envelopes, a payload for bodies already rendered to bytes, and query parameters that exist only
to document the API.
*/

use std::{marker::PhantomData, sync::Arc};

use bytes::Bytes;
use poem::{
    http::{HeaderName, StatusCode},
    IntoResponse, Request, RequestBody, Response,
};
use poem_openapi::{
    payload::{Json, Payload},
    registry::{MetaParamIn, MetaSchemaRef, MetaSecurityScheme, Registry},
    types::{ToJSON, Type},
    ApiExtractor, ApiExtractorType, ExtractParamOptions, Object,
};
use serde_json::Value;

use crate::model::UserIdx;
use crate::query_string::InvalidParams;
use crate::secret;
use crate::state::AppState;
use crate::version::Line;

/// Rocket.Chat's message for a request without valid credentials.
pub const NOT_LOGGED_IN: &str = "You must be logged in to do this.";

/// Names of the two security schemes; the document requires them together.
pub const AUTH_TOKEN_SCHEME: &str = "AuthToken";
pub const USER_ID_SCHEME: &str = "UserId";

/// The 400 envelope: `{"success": false, "error": ..., "errorType"?: ..., "details"?: ...}`.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// What went wrong, in Rocket.Chat's words.
    pub error: String,
    /// A machine-readable code such as `error-invalid-params`.
    #[oai(skip_serializing_if_is_none)]
    pub error_type: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<Value>,
}

impl ErrorBody {
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            success: false,
            error: error.into(),
            error_type: None,
            details: None,
        }
    }

    pub fn typed(error: impl Into<String>, error_type: &str) -> Self {
        Self {
            error_type: Some(error_type.to_owned()),
            ..Self::new(error)
        }
    }

    /// A query-string validation failure, as Rocket.Chat's typed routes answer it.
    pub fn invalid_params(e: InvalidParams) -> Self {
        if e.0 == "Invalid query parameters" {
            return Self::new(e.0);
        }
        Self::typed(e.0, "error-invalid-params")
    }

    /// This envelope as the release of `line` words it: up to 8.3 a validation failure of a
    /// route's schema reads `<message> [invalid-params]` with `errorType: invalid-params`.
    pub fn for_line(self, line: Line) -> Self {
        match self.error_type.as_deref() {
            Some("error-invalid-params") if line.legacy_validation_errors() => Self {
                error: format!("{} [invalid-params]", self.error),
                error_type: Some("invalid-params".to_owned()),
                ..self
            },
            _ => self,
        }
    }
}

/// The 401 envelope of Rocket.Chat 7.x and 8.x. (6.x and before send only `status` and
/// `message`.)
#[derive(Debug, Clone, Object)]
pub struct UnauthorizedBody {
    /// Always `false`.
    pub success: bool,
    /// `You must be logged in to do this.`
    pub error: String,
    /// Always `error`.
    pub status: String,
    /// `You must be logged in to do this.`
    pub message: String,
}

impl UnauthorizedBody {
    pub fn not_logged_in() -> Self {
        Self {
            success: false,
            error: NOT_LOGGED_IN.to_owned(),
            status: "error".to_owned(),
            message: NOT_LOGGED_IN.to_owned(),
        }
    }
}

/// A JSON response with the given status and body.
pub fn json_response(status: StatusCode, body: &impl ToJSON) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_json_string())
}

/// The user a request is made for, proven by `X-Auth-Token` and `X-User-Id` together.
///
/// As an OpenAPI security requirement it names two API-key schemes, one per header; the
/// document is rewritten so that both sit in one requirement object (both needed), see
/// [`crate::api::document`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub idx: UserIdx,
    /// SHA-256 of the token the request carried.
    pub token_hash: [u8; 32],
}

/// The credentials' headers, named ahead of time rather than parsed on every request.
const AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
const USER_ID: HeaderName = HeaderName::from_static("x-user-id");

impl Caller {
    fn from_headers(req: &Request) -> Option<Self> {
        let state = req.data::<Arc<AppState>>()?;
        let token = req.headers().get(AUTH_TOKEN)?.to_str().ok()?;
        let user_id = req.headers().get(USER_ID)?.to_str().ok()?;
        let store = state.store.read();
        let idx = store.user_idx(user_id)?;
        let user = store.user(idx)?;
        let token_hash = secret::hash_token(token);
        (user.active && secret::token_matches(&user.tokens, &token_hash))
            .then_some(Caller { idx, token_hash })
    }
}

/// The error that ends a request without valid credentials: 401 with the body of the release
/// of `line`.
pub fn unauthorized(line: Line) -> poem::Error {
    let response = if line.legacy_unauthorized_body() {
        json_response(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"status": "error", "message": NOT_LOGGED_IN}),
        )
    } else {
        json_response(StatusCode::UNAUTHORIZED, &UnauthorizedBody::not_logged_in())
    };
    poem::Error::from_response(response)
}

impl<'a> ApiExtractor<'a> for Caller {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            AUTH_TOKEN_SCHEME,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "The `authToken` from `POST /api/v1/login` (or a personal access token). \
                     Needed together with `X-User-Id`.",
                ),
                name: Some("X-Auth-Token"),
                key_in: Some("header"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            USER_ID_SCHEME,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "The `userId` the token was issued to. Needed together with `X-Auth-Token`.",
                ),
                name: Some("X-User-Id"),
                key_in: Some("header"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![AUTH_TOKEN_SCHEME, USER_ID_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Caller::from_headers(req).ok_or_else(|| {
            let line = req
                .data::<Arc<AppState>>()
                .map_or(Line::V8_6, |state| state.line());
            unauthorized(line)
        })
    }
}

/// A query parameter that only describes the API in the document.
///
/// Handlers read the raw query string with Rocket.Chat's validation rules
/// ([`crate::query_string`]); this extractor never fails and holds nothing.
pub struct Documented<T>(PhantomData<fn() -> T>);

impl<'a, T: Type + ToJSON> ApiExtractor<'a> for Documented<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = false;

    type ParamType = T;
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Query)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(T::schema_ref())
    }

    async fn from_request(
        _req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self(PhantomData))
    }
}

/// A JSON body rendered to bytes ahead of time, documented with the schema of `T`.
///
/// poem-openapi's `Json<T>` builds a `serde_json::Value` tree for every answer; large lists
/// are written straight from bytes instead.
pub struct JsonBytes<T>(Bytes, PhantomData<fn() -> T>);

impl<T> JsonBytes<T> {
    pub fn new(body: Bytes) -> Self {
        Self(body, PhantomData)
    }
}

impl<T: Type> Payload for JsonBytes<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T> IntoResponse for JsonBytes<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type("application/json")
            .body(self.0)
    }
}

/// Shorthand for a `Json` error body.
pub fn error_json(body: ErrorBody) -> Json<ErrorBody> {
    Json(body)
}
