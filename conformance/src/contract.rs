/*!
The facts of the contract that several parts of the suite read: the two endpoints' paths, the
10-minute window of `users.presence`, the projections of both endpoints, the default search
fields. The catalog, the oracle and the context all import them from here, so none of them has to
import another for a constant.
*/

/// The path of `users.presence`.
pub const PRESENCE: &str = "/api/v1/users.presence";
/// The path of `directory`.
pub const DIRECTORY: &str = "/api/v1/directory";
/// A `from` this old or older gives the full list.
pub const TEN_MINUTES_MS: i64 = 600_000;
/// `Accounts_SearchFields`'s default: the user fields a directory search looks in.
pub const DEFAULT_SEARCH_FIELDS: &str = "username, name, bio, nickname";

/// The projection of Rocket.Chat 8.6+ (docs/contract/users.presence.md#presence.user.projection);
/// older versions return a subset.
pub const PROJECTED_KEYS: [&str; 9] = [
    "_id",
    "username",
    "name",
    "status",
    "utcOffset",
    "statusText",
    "avatarETag",
    "statusSource",
    "statusExpiresAt",
];

/// The keys a presence user object may carry on a version line: before 8.6 without
/// `statusSource` and `statusExpiresAt`.
pub fn projected_keys(line: crate::versions::Line) -> &'static [&'static str] {
    if line >= crate::versions::Line::V8_6 {
        &PROJECTED_KEYS
    } else {
        &PROJECTED_KEYS[..7]
    }
}

/// Keys a user item may carry (docs/contract/directory.md#directory.users.projection).
pub const USER_KEYS: [&str; 9] = [
    "_id",
    "username",
    "name",
    "nickname",
    "bio",
    "createdAt",
    "emails",
    "federation",
    "avatarETag",
];

use crate::vocabulary::Level;

/// Where the contract documents live, from the repository's root.
pub const CONTRACT_DIR: &str = "docs/contract";

/// One rule of the contract documents (`docs/contract/*.md`), as a check cites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The rule's stable anchor, e.g. `presence.cutoff`.
    pub anchor: &'static str,
    /// The document that states it, e.g. `users.presence.md`.
    pub document: &'static str,
    pub title: &'static str,
    pub level: Level,
    /// The first public source the rule rests on: Rocket.Chat's documentation page, or its
    /// source at a commit.
    pub upstream: Option<&'static str>,
    /// Why no check enforces it, when none does.
    pub unchecked: Option<&'static str>,
}

impl Rule {
    /// `docs/contract/users.presence.md#presence.cutoff`.
    pub fn link(&self) -> String {
        format!("{CONTRACT_DIR}/{}#{}", self.document, self.anchor)
    }

    /// The link and, where known, the upstream source.
    pub fn citation(&self) -> String {
        match self.upstream {
            Some(up) => format!("{} ({})", self.link(), up),
            None => self.link(),
        }
    }
}

/// Every rule of the contract documents, generated from them by `tests/contract.rs` (which
/// fails while this copy is stale).
pub const RULES: &[Rule] = include!("contract_rules.rs");

/// The rule with this anchor.
pub fn rule(anchor: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.anchor == anchor)
}
