/*!
Secrets at rest: auth tokens and passwords are kept only as SHA-256 digests and compared in
constant time.

Tokens are hashed as Rocket.Chat hashes its `loginTokens` (SHA-256 of the token). Passwords are
salted SHA-256: enough for a local stand-in that loads test credentials from a fixture file, and
much cheaper than bcrypt for test suites that create hundreds of users. Do not reuse real passwords.
*/

use rand::{distributions::Alphanumeric, Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::model::{SecretHash, StoredToken};

/// SHA-256 of an auth token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// `true` when one of `tokens` was issued for the token whose [`hash_token`] is `presented`;
/// every stored token is compared, each in constant time, so the answer's timing does not depend
/// on where or whether the token matches. Callers hash once, however many users they look at.
pub fn token_matches(tokens: &[StoredToken], presented: &[u8; 32]) -> bool {
    tokens
        .iter()
        .fold(subtle::Choice::from(0), |found, stored| {
            found | stored.hashed.ct_eq(presented)
        })
        .into()
}

/// A new random token in Rocket.Chat's style (43 URL-safe characters).
pub fn new_token() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(43)
        .map(char::from)
        .collect()
}

/// A new random id in Rocket.Chat's style (17 characters, Meteor's `Random.id()`).
pub fn new_id() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..17)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Boxed, as [`crate::model::User`] keeps it.
pub fn hash_password(password: &str) -> Box<SecretHash> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    Box::new(SecretHash {
        salt,
        digest: salted_digest(&salt, password),
    })
}

pub fn password_matches(stored: &SecretHash, password: &str) -> bool {
    salted_digest(&stored.salt, password)
        .ct_eq(&stored.digest)
        .into()
}

fn salted_digest(salt: &[u8; 16], password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(token: &str) -> StoredToken {
        StoredToken {
            hashed: hash_token(token),
            personal_name: None,
            created_at: 0,
        }
    }

    #[test]
    fn a_token_matches_only_its_own_hash() {
        let tokens = vec![stored("first"), stored("second")];
        assert!(token_matches(&tokens, &hash_token("first")));
        assert!(token_matches(&tokens, &hash_token("second")));
        assert!(!token_matches(&tokens, &hash_token("third")));
        assert!(!token_matches(&[], &hash_token("first")));
    }

    #[test]
    fn tokens_are_stored_as_digests_not_plaintext() {
        let t = stored("9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq");
        assert_ne!(
            &t.hashed[..],
            b"9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq".as_slice()
        );
    }

    #[test]
    fn passwords_verify_and_salts_differ() {
        let a = hash_password("rocket.chat");
        let b = hash_password("rocket.chat");
        assert_ne!(a.salt, b.salt);
        assert!(password_matches(&a, "rocket.chat"));
        assert!(!password_matches(&a, "rocket.chaT"));
    }

    #[test]
    fn new_tokens_and_ids_have_rocket_chat_shapes() {
        let token = new_token();
        assert_eq!(token.len(), 43);
        assert_ne!(token, new_token());
        assert_eq!(new_id().len(), 17);
    }
}
