/*!
The JSON of the users a directory page lists, written straight to bytes, and kept.

Why it exists: writing 50 users field by field (escape checks, ISO dates, a dozen short copies
each) was most of what a directory answer cost over HTTP. Each user's item is written once and
kept until the user changes: [`super::DirectoryIndex`] forgets it on every write to that user, and
writes need the store's write lock, so no page can copy an item older than its user. Later pages
copy the kept bytes, and skip `emails` (shown to admins only) for other callers.

At most a budget of bytes is kept ([`KEPT_BYTES_LIMIT`]); past it items are written every time,
so paging through a million users cannot grow the memory by more than that.
*/

use bytes::Bytes;
use parking_lot::RwLock;

use crate::model::{User, UserIdx};
use crate::time;

/// How many bytes of items are kept at most (about 200,000 users).
pub const KEPT_BYTES_LIMIT: usize = 32 << 20;

/// One user's item, keys in alphabetical order as the map-built answer has them;
/// `bytes[emails.0..emails.1]` is its `emails` key and value (when it has e-mails).
struct KeptItem {
    emails: (u32, u32),
    bytes: Box<[u8]>,
}

impl KeptItem {
    fn of(user: &User) -> Self {
        let mut out = Vec::with_capacity(192);
        out.extend_from_slice(b"{\"_id\":");
        put_json_str(&mut out, &user.id);
        put_json_field(&mut out, b",\"avatarETag\":", user.avatar_etag.as_deref());
        put_json_field(&mut out, b",\"bio\":", user.bio.as_deref());
        out.extend_from_slice(b",\"createdAt\":\"");
        time::write_iso(&mut out, user.created_at);
        out.push(b'"');
        let offset = |out: &Vec<u8>| u32::try_from(out.len()).expect("an item is far below 4 GiB");
        let emails_start = offset(&out);
        if !user.emails.is_empty() {
            out.extend_from_slice(b",\"emails\":[");
            for (i, email) in user.emails.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"address\":");
                put_json_str(&mut out, &email.address);
                out.extend_from_slice(if email.verified {
                    b",\"verified\":true}"
                } else {
                    b",\"verified\":false}"
                });
            }
            out.push(b']');
        }
        let emails = (emails_start, offset(&out));
        if let Some(federation) = &user.federation {
            out.extend_from_slice(b",\"federation\":");
            serde_json::to_writer(&mut out, federation).expect("a map serialises");
        }
        put_json_field(&mut out, b",\"name\":", user.name.as_deref());
        put_json_field(&mut out, b",\"nickname\":", user.nickname.as_deref());
        put_json_field(&mut out, b",\"username\":", user.username.as_deref());
        out.push(b'}');
        KeptItem {
            emails,
            bytes: out.into_boxed_slice(),
        }
    }

    /// Appends the item to `out`, with its `emails` or without.
    fn write(&self, out: &mut Vec<u8>, with_emails: bool) {
        if with_emails {
            out.extend_from_slice(&self.bytes);
        } else {
            let (start, end) = (self.emails.0 as usize, self.emails.1 as usize);
            out.extend_from_slice(&self.bytes[..start]);
            out.extend_from_slice(&self.bytes[end..]);
        }
    }
}

#[derive(Default)]
struct Kept {
    /// By user position; `None` when not written yet or forgotten.
    items: Vec<Option<KeptItem>>,
    bytes: usize,
}

/// The kept items of the directory's users (see the module's documentation).
pub struct UserItems {
    kept: RwLock<Kept>,
    limit: usize,
}

impl Default for UserItems {
    fn default() -> Self {
        Self::with_limit(KEPT_BYTES_LIMIT)
    }
}

impl std::fmt::Debug for UserItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.kept.read();
        f.debug_struct("UserItems")
            .field("kept", &kept.items.iter().flatten().count())
            .field("bytes", &kept.bytes)
            .field("limit", &self.limit)
            .finish()
    }
}

impl UserItems {
    pub fn with_limit(limit: usize) -> Self {
        Self {
            kept: RwLock::default(),
            limit,
        }
    }

    /// Drops the kept item of a user that changed or went away.
    pub fn forget(&mut self, idx: UserIdx) {
        let kept = self.kept.get_mut();
        if let Some(item) = kept.items.get_mut(idx as usize).and_then(Option::take) {
            kept.bytes -= item.bytes.len();
        }
    }

    /// How many bytes of items are kept.
    pub fn kept_bytes(&self) -> usize {
        self.kept.read().bytes
    }

    /// A whole users answer without a projection: the envelope's keys in the order the
    /// map-built answer has them (`count`, `offset`, `result`, `success`, `total`). `user`
    /// finds the users whose items are not kept yet; those are written, then kept while the
    /// budget lasts. Positions without a user are left out.
    pub fn page<'a>(
        &self,
        idxs: &[UserIdx],
        user: impl Fn(UserIdx) -> Option<&'a User>,
        with_emails: bool,
        offset: f64,
        total: usize,
    ) -> Bytes {
        let kept = self.kept.read();
        let kept_item = |idx: UserIdx| kept.items.get(idx as usize).and_then(Option::as_ref);
        let count = idxs
            .iter()
            .filter(|&&idx| kept_item(idx).is_some() || user(idx).is_some())
            .count();
        let mut numbers = itoa::Buffer::new();
        let mut out = Vec::with_capacity(96 + 256 * count);
        out.extend_from_slice(b"{\"count\":");
        out.extend_from_slice(numbers.format(count).as_bytes());
        out.extend_from_slice(b",\"offset\":");
        out.extend_from_slice(
            super::params::js_integer_json(offset)
                .to_string()
                .as_bytes(),
        );
        out.extend_from_slice(b",\"result\":[");
        let mut written = Vec::new();
        let mut first = true;
        for &idx in idxs {
            let item = match kept_item(idx) {
                Some(item) => item,
                None => match user(idx) {
                    Some(u) => {
                        written.push((idx, KeptItem::of(u)));
                        &written.last().expect("just pushed").1
                    }
                    None => continue,
                },
            };
            if !first {
                out.push(b',');
            }
            first = false;
            item.write(&mut out, with_emails);
        }
        drop(kept);
        if !written.is_empty() {
            self.keep(written);
        }
        out.extend_from_slice(b"],\"success\":true,\"total\":");
        out.extend_from_slice(numbers.format(total).as_bytes());
        out.push(b'}');
        Bytes::from(out)
    }

    fn keep(&self, written: Vec<(UserIdx, KeptItem)>) {
        let mut kept = self.kept.write();
        for (idx, item) in written {
            let size = item.bytes.len();
            if kept.bytes + size > self.limit {
                break;
            }
            let at = idx as usize;
            if kept.items.len() <= at {
                kept.items.resize_with(at + 1, || None);
            }
            if kept.items[at].is_none() {
                kept.items[at] = Some(item);
                kept.bytes += size;
            }
        }
    }
}

/// Writes `s` as a JSON string: copied as it is when nothing in it needs escaping (the usual
/// case), through serde_json otherwise.
fn put_json_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        serde_json::to_writer(&mut *out, s).expect("a string serialises");
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether JSON needs an escape for any byte of `bytes`: a control character, `"` or `\`.
/// Eight bytes at a time ("SWAR": a byte below `n` shows as a high bit of one subtraction, exact
/// for `n` up to 128), the last word overlapping the one before; short strings byte by byte.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_byte_below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let has_byte = |word: u64, b: u8| has_byte_below(word ^ (ONES * u64::from(b)), 1);
    let flagged = |word: &[u8]| {
        let word = u64::from_ne_bytes(word.try_into().expect("8 bytes"));
        has_byte_below(word, 0x20) | has_byte(word, b'"') | has_byte(word, b'\\') != 0
    };
    match bytes.len() {
        0..8 => bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\'),
        n => bytes.chunks_exact(8).any(flagged) || flagged(&bytes[n - 8..]),
    }
}

fn put_json_field(out: &mut Vec<u8>, key: &[u8], value: Option<&str>) {
    if let Some(v) = value {
        out.extend_from_slice(key);
        put_json_str(out, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::search::user_item;
    use crate::model::{Email, Status};
    use serde_json::{json, Value};

    fn sample_users() -> Vec<User> {
        let plain = crate::store::tests::user("a1", "ana", Status::Online, 5);
        let mut full = crate::store::tests::user("b2", "Bö \"quoted\"", Status::Away, 7);
        full.name = Some("Bö\nName".into());
        full.bio = Some("bio".into());
        full.nickname = Some("ni\\ck\u{1}\u{7f}".into());
        full.avatar_etag = Some("etag".into());
        full.emails = vec![
            Email {
                address: "b@example.org".into(),
                verified: true,
            },
            Email {
                address: "second@example.org".into(),
                verified: false,
            },
        ];
        full.federation = Some(
            serde_json::from_str(r#"{"origin":"matrix.example.org","avatarUrl":"x"}"#).unwrap(),
        );
        let mut nameless = crate::store::tests::user("c3", "c", Status::Offline, 9);
        nameless.username = None;
        nameless.name = None;
        vec![plain, full, nameless]
    }

    fn map_built(users: &[User], with_emails: bool) -> String {
        let items: Vec<Value> = users
            .iter()
            .map(|u| Value::Object(user_item(u, with_emails)))
            .collect();
        let built = json!({
            "result": items,
            "count": users.len(),
            "offset": -3,
            "total": 17,
            "success": true,
        });
        serde_json::to_string(&built).unwrap()
    }

    fn page_of(items: &UserItems, users: &[User], with_emails: bool) -> String {
        let idxs: Vec<UserIdx> = (0..users.len() as UserIdx).collect();
        let page = items.page(&idxs, |i| users.get(i as usize), with_emails, -3.0, 17);
        String::from_utf8(page.to_vec()).unwrap()
    }

    #[test]
    fn written_and_kept_items_are_the_map_built_ones() {
        let users = sample_users();
        // Written first without e-mails, then kept: the kept ones take e-mails in their place.
        let items = UserItems::default();
        for with_emails in [false, true, false, true] {
            assert_eq!(
                page_of(&items, &users, with_emails),
                map_built(&users, with_emails)
            );
        }
        // Written first with e-mails.
        let items = UserItems::default();
        for with_emails in [true, false] {
            assert_eq!(
                page_of(&items, &users, with_emails),
                map_built(&users, with_emails)
            );
        }
        let empty = items.page(&[], |_| None, false, 0.0, 0);
        assert_eq!(
            &empty[..],
            br#"{"count":0,"offset":0,"result":[],"success":true,"total":0}"#
        );
        // A position without a user (none is ever listed) is left out, and counted out.
        let some = items.page(&[7, 1], |i| users.get(i as usize), false, -3.0, 17);
        let only = map_built(&users[1..2], false);
        assert_eq!(String::from_utf8(some.to_vec()).unwrap(), only);
    }

    #[test]
    fn a_kept_item_is_copied_until_forgotten() {
        let mut users = sample_users();
        let mut items = UserItems::default();
        page_of(&items, &users, false);
        let kept = items.kept_bytes();
        assert!(kept > 0);
        // The kept bytes are what a page copies: an unannounced change does not show...
        users[0].avatar_etag = Some("new-etag".into());
        assert!(!page_of(&items, &users, false).contains("new-etag"));
        // ...and a forgotten item is written anew, and kept again.
        items.forget(0);
        assert!(items.kept_bytes() < kept);
        assert!(page_of(&items, &users, false).contains("new-etag"));
        assert!(items.kept_bytes() > kept);
        items.forget(99);
    }

    #[test]
    fn past_the_budget_items_are_written_but_not_kept() {
        let users = sample_users();
        let one = KeptItem::of(&users[0]).bytes.len();
        let items = UserItems::with_limit(one);
        assert_eq!(
            page_of(&items, &users, true),
            map_built(&users, true),
            "what is not kept is still written"
        );
        assert_eq!(items.kept_bytes(), one);
        assert_eq!(page_of(&items, &users, true), map_built(&users, true));
        assert_eq!(items.kept_bytes(), one);
    }

    proptest::proptest! {
        #[test]
        fn escapes_are_found_as_a_byte_scan_finds_them(
            s in proptest::collection::vec(proptest::prop_oneof![
                4 => 0x20u8..=0x7e,
                1 => 0u8..0x20,
                1 => 0x7fu8..=0xff,
                1 => proptest::sample::select(vec![b'"', b'\\']),
            ], 0..40)
        ) {
            let scan = s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
            proptest::prop_assert_eq!(needs_escape(&s), scan);
        }
    }
}
