/*!
`GET /api/v1/directory`, apart from HTTP: parameters ([`params`]), the rules of who sees what and
the answer's JSON ([`search`], with users' items written once and kept by [`items`]), and the index that makes a search over a million users cost
milliseconds ([`index`] over the generic [`engine`], with text folded by [`fold`]).

Handlers call [`answer`] only; the store keeps the index current on every write
([`crate::store::Store`] calls [`index::DirectoryIndex`]'s `upsert_*`/`remove_*`), and nothing
outside this module sees postings or orders.
*/

pub mod engine;
pub mod fold;
pub mod index;
pub mod items;
pub mod params;
pub mod search;

pub use index::DirectoryIndex;
pub use params::{DirectoryError, DirectoryRequest, PARAMS};
pub use search::answer;
