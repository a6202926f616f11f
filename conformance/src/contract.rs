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

/// The projection of Rocket.Chat 8.6+ (§1.7); older versions return a subset.
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

/// Keys a user item may carry (§2.8 projection).
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
