/*!
`GET /api/info`: the server's version, without credentials, as Rocket.Chat answers it.
*/

use poem_openapi::{payload::Json, Object, OpenApi};

use super::ApiTags;

/// The Rocket.Chat version whose behaviour the reference server implements.
pub const EMULATED_VERSION: &str = "8.6.0";

#[derive(Debug, Clone, Object)]
pub struct Info {
    /// The Rocket.Chat version this server behaves as.
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
    async fn info(&self) -> Json<Info> {
        Json(Info {
            version: EMULATED_VERSION.to_owned(),
            success: true,
        })
    }
}
