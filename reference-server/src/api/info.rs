/*!
`GET /api/info`: the server's version, without credentials, as Rocket.Chat answers it.
*/

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::{payload::Json, Object, OpenApi};

use super::ApiTags;
use crate::state::AppState;

#[derive(Debug, Clone, Object)]
pub struct Info {
    /// The Rocket.Chat version this server behaves as (`--rocketchat-version`, default 8.6.0).
    pub version: String,
    pub success: bool,
}

pub struct InfoApi;

#[OpenApi]
impl InfoApi {
    /// Server version
    ///
    /// Needs no credentials.
    #[oai(
        path = "/api/info",
        method = "get",
        operation_id = "get-api-info",
        tag = "ApiTags::Miscellaneous"
    )]
    async fn info(&self, state: Data<&Arc<AppState>>) -> Json<Info> {
        Json(Info {
            version: state.emulated.read().version.clone(),
            success: true,
        })
    }
}
