/*!
Randomness the suite needs outside proptest: a run's seed, the managed-mode prefix, the
password of the users it creates and the "never issued" token of the auth checks. Each is
drawn fresh, never derived from anything a report shows or from a secret it was given.
*/

use std::hash::{BuildHasher, Hasher};

/// A random number from the standard library's randomly keyed hasher and the time.
pub fn u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// `len` characters drawn from `alphabet` (ASCII).
pub fn string(len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    let mut bits = u64();
    let mut left = 8;
    for _ in 0..len {
        if left == 0 {
            bits = u64();
            left = 8;
        }
        out.push(alphabet[(bits % alphabet.len() as u64) as usize] as char);
        bits /= alphabet.len() as u64;
        left -= 1;
    }
    out
}

/// Letters, digits, `-` and `_`: the characters of Rocket.Chat's tokens.
pub const TOKEN_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_have_the_length_and_alphabet_asked_for() {
        let s = string(43, TOKEN_ALPHABET);
        assert_eq!(s.len(), 43);
        assert!(s.bytes().all(|b| TOKEN_ALPHABET.contains(&b)));
        assert_ne!(
            string(43, TOKEN_ALPHABET),
            s,
            "two draws gave the same token"
        );
    }
}
