/*!
The reference server: Rocket.Chat's `users.presence` and `directory` REST endpoints as the
project's executable definition of "correct".

Layout, from the bottom up (see ARCHITECTURE.md):
- [`time`], [`query_string`], [`secret`]: parsing and hashing with Rocket.Chat's semantics;
- [`model`], [`store`], [`fixtures`]: the data and its indexes;
- [`presence`], [`directory`], [`accounts`], [`settings`], [`version`]: the rules, plain Rust,
  tested without a socket;
- [`api`]: the thin HTTP layer (poem-openapi), the OpenAPI document and Swagger UI.
*/

pub mod accounts;
pub mod api;
pub mod companion;
pub mod directory;
pub mod fixtures;
pub mod model;
pub mod permissions;
pub mod presence;
pub mod query_string;
pub mod secret;
pub mod settings;
pub mod state;
pub mod store;
pub mod time;
pub mod version;

pub use api::{app, document};
pub use settings::Settings;
pub use state::{AppState, FixtureSource, ServerOptions};
