/*!
A small search engine over one collection: substring search through n-gram postings, and pages
in sort order through ordered indexes, so that a directory request never scans or sorts the whole
collection when an index can answer it.

Why it exists: at 1M users a scan costs 43–390 ms and a sort ~860 ms per request, far above
the 5 ms target. Here:

- **Substring search.** Every searchable value is folded ([`super::fold`]) and cut into
  trigrams of characters, padded at the end with a sentinel, so that every substring of one or two
  characters is the prefix of some trigram. A text of 3+ characters intersects the postings of its
  trigrams (smallest first) and verifies the few survivors with a substring test when it is longer
  than 3; a text of 1–2 characters unites the postings of the trigrams it prefixes (exact, no
  verification). Postings are sorted document positions.
- **Order.** One sorted vector of document positions per sort key (and per group: channels put
  featured rooms first whatever the direction), ordered by `(key, _id)`; a descending page walks
  it backwards. Writes append to a pending list that the next read merges (a bulk load sorts
  once; a single write is one binary-search insertion), so reads stay `&self`. Many writes are
  sorted by 8-byte chunks of their keys held beside the positions, most significant first, so
  that a document is read again only where its first bytes tie with another's.
- **Pages.** With no text, a page is a walk from the start of the ordered vector (the total is
  known or counted without rendering anything). With text, the matches are either selected and
  sorted directly by their ranks in the ordered vector (few matches; the ranks are made once per
  order and dropped when documents join it) or found by walking the ordered vector against a
  bitmap of the matches (many), whichever is estimated cheaper.

Documents are identified by their position in the store (`UserIdx`/`RoomIdx`); what a document
exposes to the engine is the [`Doc`] trait. Everything here is checked against a brute-force scan
by the property tests of [`super::index`].
*/

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A sort key's value, in MongoDB's order for one field: missing (or `null`) before numbers
/// before strings; strings in byte order (no collation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key<'a> {
    Missing,
    Num(i64),
    Str(&'a str),
}

impl<'a> Key<'a> {
    pub fn opt_str(s: &'a Option<Box<str>>) -> Self {
        s.as_deref().map_or(Key::Missing, Key::Str)
    }
}

/// What the engine needs to know about a document.
pub trait Doc {
    fn id(&self) -> &str;
    /// Whether the document is searchable at all (e.g. an active user with a username).
    fn indexed(&self) -> bool;
    /// Documents of a lower group come first in every order (e.g. featured channels).
    fn group(&self) -> u8;
    /// The folded values of a text field (several for multi-valued fields such as e-mails).
    fn texts(&self, field: usize) -> impl Iterator<Item = &str> + Clone;
    /// The sort key of an order: a primary and a secondary value; ties go to `_id`.
    fn key(&self, order: usize) -> (Key<'_>, Key<'_>);
}

const SENTINEL: u32 = 0x1F_FFFF;

fn pack(a: u32, b: u32, c: u32) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// The padded trigrams of a document's values, sorted and deduplicated.
fn doc_grams<'a>(values: impl Iterator<Item = &'a str>) -> Vec<u64> {
    let mut out = Vec::new();
    for v in values {
        let cs: Vec<u32> = v.chars().map(u32::from).collect();
        let at = |j: usize| cs.get(j).copied().unwrap_or(SENTINEL);
        for (i, &c) in cs.iter().enumerate() {
            out.push(pack(c, at(i + 1), at(i + 2)));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Hashes trigram keys (already well spread integers) with SplitMix64's finaliser: several
/// times faster than SipHash, and the keys are not chosen by an attacker worth resisting here.
#[derive(Debug, Default, Clone, Copy)]
struct GramHasher(u64);

impl std::hash::Hasher for GramHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type GramMap = HashMap<u64, u32, std::hash::BuildHasherDefault<GramHasher>>;

/// The postings of one text field.
#[derive(Debug, Default)]
struct GramIndex {
    ids: GramMap,
    keys: BTreeSet<u64>,
    lists: Vec<Vec<u32>>,
}

impl GramIndex {
    fn add(&mut self, gram: u64, doc: u32) {
        let id = *self.ids.entry(gram).or_insert_with(|| {
            self.keys.insert(gram);
            self.lists.push(Vec::new());
            (self.lists.len() - 1) as u32
        });
        let list = &mut self.lists[id as usize];
        match list.last() {
            None => list.push(doc),
            Some(&last) if last < doc => list.push(doc),
            _ => {
                if let Err(at) = list.binary_search(&doc) {
                    list.insert(at, doc);
                }
            }
        }
    }

    fn remove(&mut self, gram: u64, doc: u32) {
        if let Some(&id) = self.ids.get(&gram) {
            let list = &mut self.lists[id as usize];
            if let Ok(at) = list.binary_search(&doc) {
                list.remove(at);
            }
        }
    }

    fn list(&self, gram: u64) -> &[u32] {
        self.ids
            .get(&gram)
            .map_or(&[][..], |&id| &self.lists[id as usize])
    }

    /// Documents whose field contains `q` (folded, not empty), possibly with false positives
    /// when `q` is longer than 3 characters (`needs_check` is then true). `grams` are the
    /// trigrams of `q` ([`query_grams`]), sorted and without repeats.
    fn candidates(&self, q: &[u32], grams: &[u64], universe: usize) -> (Vec<u32>, bool) {
        if q.len() >= 3 {
            let mut lists: Vec<&[u32]> = Vec::with_capacity(grams.len());
            for &g in grams {
                let list = self.list(g);
                if list.is_empty() {
                    return (Vec::new(), false);
                }
                lists.push(list);
            }
            lists.sort_by_key(|l| l.len());
            let verified = q.len() > 3;
            let mut out = match lists[..] {
                [only] => return (only.to_vec(), verified),
                [first, ..] if verified && first.len() <= 8 => return (first.to_vec(), true),
                [first, second, ..] => intersect(first, second),
                [] => unreachable!("a text of 3+ characters has a trigram"),
            };
            for list in &lists[2..] {
                if out.is_empty() || (verified && out.len() <= 8) {
                    break; // few enough to verify directly
                }
                out = intersect(&out, list);
            }
            (out, verified)
        } else {
            let (lo, hi) = match q {
                [a] => (pack(*a, 0, 0), pack(*a, SENTINEL, SENTINEL)),
                [a, b] => (pack(*a, *b, 0), pack(*a, *b, SENTINEL)),
                _ => unreachable!("empty text is not searched"),
            };
            let lists: Vec<&[u32]> = self.keys.range(lo..=hi).map(|&g| self.list(g)).collect();
            (union(&lists, universe), false)
        }
    }
}

/// The trigrams of a text of 3+ characters, sorted and without repeats; none for a shorter one.
fn query_grams(q: &[u32]) -> Vec<u64> {
    let mut grams: Vec<u64> = q.windows(3).map(|w| pack(w[0], w[1], w[2])).collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// Whether `needle` occurs in `hay`: a first-byte filter, then a byte loop. Texts and needles
/// are short (a name, a few letters), where `str::contains` spends more on preparing its
/// searcher than on searching.
fn has_substring(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    hay.windows(needle.len())
        .any(|w| w[0] == first && w.iter().zip(needle).all(|(a, b)| a == b))
}

/// The intersection of two sorted lists: binary searches when `small` is much shorter, a merge
/// otherwise.
fn intersect(small: &[u32], large: &[u32]) -> Vec<u32> {
    let log = usize::BITS - large.len().leading_zeros();
    if small.len() * (log as usize) < large.len() {
        return small
            .iter()
            .copied()
            .filter(|d| large.binary_search(d).is_ok())
            .collect();
    }
    merge_intersect(small, large)
}

/// The intersection of two sorted lists of alike lengths, by blocks of [`BLOCK`].
///
/// Each step compares every element of a block of `a` with every element of a block of `b`
/// (no branch, which the compiler turns into vector compares) and moves past the block with the
/// smaller last element, or both. An element of both lists is found when the two blocks that
/// hold it are current together, which they are: a block is only passed when its last element
/// is below the other block's last element, so neither holder can be passed before the other
/// arrives. It is found once, since the blocks that follow hold only greater elements. An
/// element-by-element merge spends its time waiting on the comparison that decides the next
/// step; here one such wait covers a whole block.
fn merge_intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    const BLOCK: usize = 8;
    let mut out = vec![0; a.len().min(b.len()) + BLOCK];
    let (mut i, mut j, mut found) = (0, 0, 0);
    while let (Some(xs), Some(ys)) = (a.get(i..i + BLOCK), b.get(j..j + BLOCK)) {
        let xs: &[u32; BLOCK] = xs.try_into().expect("a block");
        let ys: &[u32; BLOCK] = ys.try_into().expect("a block");
        let slots: &mut [u32; BLOCK] = (&mut out[found..found + BLOCK])
            .try_into()
            .expect("room for a block");
        let mut hits = 0;
        for &x in xs {
            let hit = ys.iter().fold(false, |hit, &y| hit | (x == y));
            slots[hits % BLOCK] = x;
            hits += usize::from(hit);
        }
        found += hits;
        i += BLOCK * usize::from(xs[BLOCK - 1] <= ys[BLOCK - 1]);
        j += BLOCK * usize::from(ys[BLOCK - 1] <= xs[BLOCK - 1]);
    }
    // The tails, one element at a time, without a branch on the comparison.
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        out[found] = x;
        found += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.truncate(found);
    out
}

/// The sorted union of sorted lists.
fn union(lists: &[&[u32]], universe: usize) -> Vec<u32> {
    let total: usize = lists.iter().map(|l| l.len()).sum();
    match lists {
        [] => Vec::new(),
        [one] => one.to_vec(),
        _ if total > universe / 16 => {
            let mut bits = Bitmap::new(universe);
            for &d in lists.iter().flat_map(|l| l.iter()) {
                bits.set(d);
            }
            bits.ones()
        }
        _ => {
            let mut all: Vec<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            all
        }
    }
}

struct Bitmap(Vec<u64>);

impl Bitmap {
    fn new(universe: usize) -> Self {
        Bitmap(vec![0; universe.div_ceil(64) + 1])
    }
    fn set(&mut self, d: u32) {
        let d = d as usize;
        if d / 64 >= self.0.len() {
            self.0.resize(d / 64 + 1, 0);
        }
        self.0[d / 64] |= 1 << (d % 64);
    }
    fn get(&self, d: u32) -> bool {
        let d = d as usize;
        self.0.get(d / 64).is_some_and(|w| w & (1 << (d % 64)) != 0)
    }
    fn ones(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, &w) in self.0.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                let b = w.trailing_zeros();
                out.push((i * 64) as u32 + b);
                w &= w - 1;
            }
        }
        out
    }
}

/// One ordered index (of one group): sorted positions plus writes not merged yet.
#[derive(Debug, Default)]
struct Sorted {
    sorted: Vec<u32>,
    pending: Vec<u32>,
    /// `rank[d]`: where document `d` stands in `sorted`, so that a page of matches sorts by
    /// numbers. Made by the first page that needs it ([`Engine::ranked`]) and emptied whenever
    /// documents join `sorted` (a removal leaves the others' ranks in order).
    rank: Vec<u32>,
}

impl Sorted {
    fn rank_all(&mut self, docs: usize) {
        self.rank.clear();
        self.rank.resize(docs, u32::MAX);
        for (at, &d) in (0..).zip(&self.sorted) {
            self.rank[d as usize] = at;
        }
    }
}

/// A page of results and the number of matches regardless of paging.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub items: Vec<u32>,
    pub total: usize,
}

/// What to page through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSpec {
    pub order: usize,
    pub descending: bool,
    pub offset: usize,
    pub count: usize,
}

pub struct Engine<D> {
    docs: Vec<Option<D>>,
    fields: Vec<GramIndex>,
    /// `orders[order][group]`.
    orders: Vec<Vec<RwLock<Sorted>>>,
    indexed: usize,
    /// During a bulk load: new documents whose postings [`Engine::build_deferred`] makes, one
    /// field per thread.
    deferred: Option<Vec<u32>>,
}

impl<D> std::fmt::Debug for Engine<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("docs", &self.docs.len())
            .field("indexed", &self.indexed)
            .field("fields", &self.fields.len())
            .field("orders", &self.orders.len())
            .finish()
    }
}

fn compare<D: Doc>(docs: &[Option<D>], order: usize, a: u32, b: u32) -> Ordering {
    let da = docs[a as usize].as_ref().expect("ordered doc exists");
    let db = docs[b as usize].as_ref().expect("ordered doc exists");
    da.key(order)
        .cmp(&db.key(order))
        .then_with(|| da.id().cmp(db.id()))
}

/// Eight bytes of a key from `offset` on, in an order that never contradicts the keys' order:
/// the type rank, the bytes (a number made order-preserving), and how many bytes were left,
/// capped at 9. Two chunks that are equal with more than 8 bytes left say nothing yet: the next
/// eight decide. Equal otherwise means equal keys (a shorter string is a prefix of a longer one
/// whose chunk is equal, so it sorts first, as it should).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Chunk {
    tag: u8,
    bytes: u64,
    left: u8,
}

impl Chunk {
    fn of(key: Key<'_>, offset: usize) -> Self {
        match key {
            Key::Missing => Chunk {
                tag: 0,
                bytes: 0,
                left: 0,
            },
            Key::Num(n) => Chunk {
                tag: 1,
                bytes: (n as u64) ^ (1 << 63),
                left: 0,
            },
            Key::Str(s) => {
                let rest = s.as_bytes().get(offset..).unwrap_or_default();
                let n = rest.len().min(8);
                let mut bytes = [0u8; 8];
                bytes[..n].copy_from_slice(&rest[..n]);
                Chunk {
                    tag: 2,
                    bytes: u64::from_be_bytes(bytes),
                    left: rest.len().min(9) as u8,
                }
            }
        }
    }

    fn undecided(self) -> bool {
        self.left > 8
    }
}

/// An item of a bulk sort (16 bytes): the chunk of its key being compared, the item's rank
/// among equal keys, and whether a secondary key may still tell it apart from an equal primary.
#[derive(Debug, Clone, Copy)]
struct Entry {
    bytes: u64,
    tie: u32,
    tag: u8,
    left: u8,
    secondary: bool,
}

impl Entry {
    fn new(chunk: Chunk, tie: u32, secondary: bool) -> Self {
        let mut e = Entry {
            bytes: 0,
            tie,
            tag: 0,
            left: 0,
            secondary,
        };
        e.set_chunk(chunk);
        e
    }

    fn chunk(&self) -> Chunk {
        Chunk {
            tag: self.tag,
            bytes: self.bytes,
            left: self.left,
        }
    }

    fn set_chunk(&mut self, chunk: Chunk) {
        (self.tag, self.bytes, self.left) = (chunk.tag, chunk.bytes, chunk.left);
    }
}

/// Sorts by chunks of a key, 8 bytes at a time, then by `tie`: a comparison touches no
/// document, and only items whose first bytes are equal read their next ones (a radix sort from
/// the most significant end, with `sort_unstable` at each level). `next(entry, offset)` gives an
/// entry's chunk at `offset`; `on_equal` orders each run of equal primary keys with more than
/// one item in it (already ordered by `tie`).
fn sort_by_chunks(
    entries: &mut [Entry],
    next: impl Fn(&Entry, usize) -> Chunk,
    mut on_equal: impl FnMut(&mut [Entry]),
) {
    let mut runs = vec![(0, entries.len(), 0)];
    while let Some((start, end, offset)) = runs.pop() {
        let run = &mut entries[start..end];
        if offset > 0 {
            for e in run.iter_mut() {
                e.set_chunk(next(e, offset));
            }
        }
        run.sort_unstable_by_key(|e| (e.chunk(), e.tie));
        let mut i = 0;
        while i < run.len() {
            let chunk = run[i].chunk();
            let j = i + run[i..].iter().take_while(|e| e.chunk() == chunk).count();
            if j - i > 1 {
                if chunk.undecided() {
                    runs.push((start + i, start + j, offset + 8));
                } else {
                    on_equal(&mut run[i..j]);
                }
            }
            i = j;
        }
    }
}

/// Documents in `_id` order and each one's place in it: the tie-break of a bulk sort, made once
/// for all the orders a settle sorts.
struct IdRanks {
    by_id: Vec<u32>,
    /// By document position; only the positions in `by_id` are meaningful.
    rank: Vec<u32>,
}

impl IdRanks {
    fn of<D: Doc>(docs: &[Option<D>], items: impl Iterator<Item = u32>) -> Self {
        let id = |d: u32| docs[d as usize].as_ref().expect("ranked doc exists").id();
        let mut entries: Vec<Entry> = items
            .map(|d| Entry::new(Chunk::of(Key::Str(id(d)), 0), d, false))
            .collect();
        // `_id`s are unique: no run of equal ids is left for `on_equal`.
        sort_by_chunks(
            &mut entries,
            |e, offset| Chunk::of(Key::Str(id(e.tie)), offset),
            |_| {},
        );
        let by_id: Vec<u32> = entries.into_iter().map(|e| e.tie).collect();
        let mut rank = vec![0; docs.len()];
        for (r, &d) in (0..).zip(&by_id) {
            rank[d as usize] = r;
        }
        IdRanks { by_id, rank }
    }
}

/// Sorts `items` (document positions) by `(key(order), _id)`, chunk by chunk.
fn sort_bulk<D: Doc>(items: &[u32], docs: &[Option<D>], order: usize, ids: &IdRanks) -> Vec<u32> {
    let doc = |d: u32| docs[d as usize].as_ref().expect("ordered doc exists");
    let mut entries: Vec<Entry> = items
        .iter()
        .map(|&d| {
            let (primary, secondary) = doc(d).key(order);
            Entry::new(
                Chunk::of(primary, 0),
                ids.rank[d as usize],
                secondary != Key::Missing,
            )
        })
        .collect();
    let doc_at = |e: &Entry| ids.by_id[e.tie as usize];
    sort_by_chunks(
        &mut entries,
        |e, offset| Chunk::of(doc(doc_at(e)).key(order).0, offset),
        |equal| {
            if equal.iter().any(|e| e.secondary) {
                equal.sort_by(|a, b| compare(docs, order, doc_at(a), doc_at(b)));
            }
        },
    );
    entries.iter().map(doc_at).collect()
}

/// Merges an order's pending writes. `ids` ranks (at least) the pending documents by `_id`;
/// without it a large merge ranks them itself.
fn merge_pending<D: Doc>(s: &mut Sorted, docs: &[Option<D>], order: usize, ids: Option<&IdRanks>) {
    if s.pending.is_empty() {
        return;
    }
    let pending = std::mem::take(&mut s.pending);
    s.rank.clear();
    if pending.len() <= 64 {
        for p in pending {
            let at = s
                .sorted
                .binary_search_by(|&e| compare(docs, order, e, p))
                .unwrap_or_else(|at| at);
            s.sorted.insert(at, p);
        }
        return;
    }
    let local;
    let ids = match ids {
        Some(ids) => ids,
        None => {
            local = IdRanks::of(docs, pending.iter().copied());
            &local
        }
    };
    let pending = sort_bulk(&pending, docs, order, ids);
    let old = std::mem::take(&mut s.sorted);
    if old.is_empty() {
        s.sorted = pending;
        return;
    }
    let mut merged = Vec::with_capacity(old.len() + pending.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < pending.len() {
        if compare(docs, order, old[i], pending[j]) == Ordering::Less {
            merged.push(old[i]);
            i += 1;
        } else {
            merged.push(pending[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&old[i..]);
    merged.extend_from_slice(&pending[j..]);
    s.sorted = merged;
}

impl<D: Doc + Sync> Engine<D> {
    pub fn new(fields: usize, orders: usize, groups: usize) -> Self {
        Self {
            docs: Vec::new(),
            fields: (0..fields).map(|_| GramIndex::default()).collect(),
            orders: (0..orders)
                .map(|_| (0..groups).map(|_| RwLock::default()).collect())
                .collect(),
            indexed: 0,
            deferred: None,
        }
    }

    /// Starts a bulk load: the postings of new documents are made later, all at once.
    pub fn defer_postings(&mut self) {
        self.deferred.get_or_insert_with(Vec::new);
    }

    /// Makes the postings deferred since [`Engine::defer_postings`], each field on its own
    /// thread, and ends the bulk load.
    pub fn build_deferred(&mut self) {
        let Some(deferred) = self.deferred.take() else {
            return;
        };
        let Engine { docs, fields, .. } = self;
        let (docs, deferred) = (&*docs, &deferred);
        std::thread::scope(|scope| {
            for (f, index) in fields.iter_mut().enumerate() {
                scope.spawn(move || {
                    for &d in deferred {
                        if let Some(doc) = docs[d as usize].as_ref().filter(|doc| doc.indexed()) {
                            for g in doc_grams(doc.texts(f)) {
                                index.add(g, d);
                            }
                        }
                    }
                });
            }
        });
    }

    /// How many positions hold a document.
    pub fn doc_count(&self) -> usize {
        self.docs.iter().filter(|d| d.is_some()).count()
    }

    pub fn doc(&self, idx: u32) -> Option<&D> {
        self.docs.get(idx as usize).and_then(Option::as_ref)
    }

    /// Puts `new` at position `idx` (or removes what is there with `None`), updating only the
    /// postings and orders whose inputs changed.
    pub fn upsert(&mut self, idx: u32, new: Option<D>) {
        let i = idx as usize;
        if self.docs.len() <= i {
            self.docs.resize_with(i + 1, || None);
        }
        if self.deferred.is_some() && self.docs[i].is_some() {
            // A change to a document during a bulk load: its postings must exist first.
            self.build_deferred();
            self.defer_postings();
        }
        let old = self.docs[i].as_ref().filter(|d| d.indexed());
        let fresh = new.as_ref().filter(|d| d.indexed());
        let deferring = match (&mut self.deferred, old) {
            (Some(deferred), None) => {
                if fresh.is_some() {
                    deferred.push(idx);
                }
                true
            }
            _ => false,
        };
        for (f, index) in self.fields.iter_mut().enumerate() {
            if deferring {
                break;
            }
            let before = old.map(|d| d.texts(f));
            let after = fresh.map(|d| d.texts(f));
            let unchanged = match (&before, &after) {
                (None, None) => true,
                (Some(b), Some(a)) => b.clone().eq(a.clone()),
                _ => false,
            };
            if unchanged {
                continue;
            }
            let before = before.map(doc_grams).unwrap_or_default();
            let after = after.map(doc_grams).unwrap_or_default();
            for g in before.iter().filter(|g| after.binary_search(g).is_err()) {
                index.remove(*g, idx);
            }
            for g in after.iter().filter(|g| before.binary_search(g).is_err()) {
                index.add(*g, idx);
            }
        }
        let mut changed = vec![false; self.orders.len()];
        for (order, groups) in self.orders.iter_mut().enumerate() {
            changed[order] = match (old, fresh) {
                (None, None) => false,
                (Some(o), Some(n)) => {
                    o.group() != n.group() || o.key(order) != n.key(order) || o.id() != n.id()
                }
                _ => true,
            };
            if let (true, Some(o)) = (changed[order], old) {
                let s = groups[o.group() as usize].get_mut();
                merge_pending(s, &self.docs, order, None);
                if let Ok(at) = s
                    .sorted
                    .binary_search_by(|&e| compare(&self.docs, order, e, idx))
                {
                    s.sorted.remove(at);
                }
            }
        }
        self.indexed = self.indexed - usize::from(old.is_some()) + usize::from(fresh.is_some());
        let group = fresh.map(|d| d.group() as usize);
        self.docs[i] = new;
        if let Some(group) = group {
            for (order, groups) in self.orders.iter_mut().enumerate() {
                if changed[order] {
                    groups[group].get_mut().pending.push(idx);
                }
            }
        }
    }

    /// Gives back the spare capacity of the documents (growing one at a time leaves up to half).
    pub fn shrink_docs(&mut self) {
        self.docs.shrink_to_fit();
    }

    /// Gives back the spare capacity that growing the postings one document at a time left
    /// (a bulk load leaves about a third of them unused).
    pub fn shrink_to_fit(&mut self) {
        for field in &mut self.fields {
            field.ids.shrink_to_fit();
            field.lists.shrink_to_fit();
            for list in &mut field.lists {
                list.shrink_to_fit();
            }
        }
    }

    /// Merges every pending order now, so that the first search after a bulk load does not pay
    /// for it.
    pub fn settle(&self) {
        // Each order sorts on its own, so the cores share them, with one ranking by `_id`.
        let jobs: Vec<(usize, usize)> = (0..self.orders.len())
            .flat_map(|order| (0..self.orders[order].len()).map(move |group| (order, group)))
            .collect();
        let large = jobs
            .iter()
            .any(|&(order, group)| self.orders[order][group].read().pending.len() > 64);
        let ids = large.then(|| {
            let present = (0..).zip(&self.docs).filter(|(_, d)| d.is_some());
            IdRanks::of(&self.docs, present.map(|(i, _)| i))
        });
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, jobs.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    while let Some(&(order, group)) =
                        jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        drop(self.sorted_with(order, group, ids.as_ref()));
                    }
                });
            }
        });
    }

    fn sorted(&self, order: usize, group: usize) -> RwLockReadGuard<'_, Sorted> {
        self.sorted_with(order, group, None)
    }

    /// Every group of `order`, merged and ranked, read-locked in group order.
    fn ranked(&self, order: usize) -> Vec<RwLockReadGuard<'_, Sorted>> {
        for lock in &self.orders[order] {
            let unranked = {
                let read = lock.read();
                !read.pending.is_empty() || (read.rank.is_empty() && !read.sorted.is_empty())
            };
            if unranked {
                let mut write = lock.write();
                merge_pending(&mut write, &self.docs, order, None);
                if write.rank.is_empty() {
                    write.rank_all(self.docs.len());
                }
            }
        }
        // Nothing can unrank them now: a write needs `&mut self`. No write lock is held while
        // waiting for another lock, and read locks are taken in one order, so no deadlock.
        self.orders[order].iter().map(|lock| lock.read()).collect()
    }

    fn sorted_with(
        &self,
        order: usize,
        group: usize,
        ids: Option<&IdRanks>,
    ) -> RwLockReadGuard<'_, Sorted> {
        let lock = &self.orders[order][group];
        {
            let read = lock.read();
            if read.pending.is_empty() {
                return read;
            }
        }
        let mut write = lock.write();
        merge_pending(&mut write, &self.docs, order, ids);
        RwLockWriteGuard::downgrade(write)
    }

    /// Searchable documents whose field among `fields` contains the folded text `q`, sorted by
    /// position. `q` must not be empty.
    pub fn matching(&self, fields: &[usize], q: &str) -> Vec<u32> {
        debug_assert!(self.deferred.is_none(), "a search during a bulk load");
        let chars: Vec<u32> = q.chars().map(u32::from).collect();
        let grams = query_grams(&chars);
        let universe = self.docs.len();
        let mut per_field: Vec<Vec<u32>> = Vec::with_capacity(fields.len());
        for &f in fields {
            let (mut found, check) = self.fields[f].candidates(&chars, &grams, universe);
            if check {
                found.retain(|&d| {
                    self.doc(d)
                        .is_some_and(|doc| doc.texts(f).any(|v| has_substring(v, q)))
                });
            }
            if !found.is_empty() {
                per_field.push(found);
            }
        }
        if per_field.len() <= 1 {
            return per_field.pop().unwrap_or_default();
        }
        let lists: Vec<&[u32]> = per_field.iter().map(Vec::as_slice).collect();
        union(&lists, universe)
    }

    /// The page `spec` of the searchable documents that are in `matches` (all of them when
    /// `None`) and pass `visible`. `known_total` spares counting when `matches` is `None` and
    /// the caller knows how many documents are visible.
    pub fn page(
        &self,
        spec: PageSpec,
        matches: Option<&[u32]>,
        visible: &dyn Fn(u32, &D) -> bool,
        known_total: Option<usize>,
    ) -> Page {
        let groups = self.orders[spec.order].len();
        let Some(matches) = matches else {
            return self.walk(spec, groups, &|d, doc| visible(d, doc), known_total);
        };
        let hits: Vec<u32> = matches
            .iter()
            .copied()
            .filter(|&d| {
                self.doc(d)
                    .is_some_and(|doc| doc.indexed() && visible(d, doc))
            })
            .collect();
        let total = hits.len();
        let want = spec.offset.saturating_add(spec.count).min(total);
        if spec.offset >= total || spec.count == 0 {
            return Page {
                items: Vec::new(),
                total,
            };
        }
        let walk_cost = want as f64 * (self.indexed.max(1) as f64 / total as f64);
        let select_cost = total as f64 * 8.0;
        if total <= 4096 || select_cost <= walk_cost {
            // Group first, then the position in the group's order: unique, so the page is too.
            let ranked = self.ranked(spec.order);
            let mut keyed: Vec<(u64, u32)> = hits
                .iter()
                .map(|&d| {
                    let group = self.doc(d).expect("hit").group();
                    let rank = ranked[group as usize].rank[d as usize];
                    let rank = if spec.descending { !rank } else { rank };
                    ((u64::from(group) << 32) | u64::from(rank), d)
                })
                .collect();
            drop(ranked);
            if want < total {
                keyed.select_nth_unstable(want - 1);
                keyed.truncate(want);
            }
            keyed.sort_unstable();
            return Page {
                items: keyed[spec.offset..].iter().map(|&(_, d)| d).collect(),
                total,
            };
        }
        let mut bits = Bitmap::new(self.docs.len());
        for &d in &hits {
            bits.set(d);
        }
        self.walk(spec, groups, &|d, _| bits.get(d), Some(total))
    }

    fn walk(
        &self,
        spec: PageSpec,
        groups: usize,
        keep: &dyn Fn(u32, &D) -> bool,
        known_total: Option<usize>,
    ) -> Page {
        let mut items = Vec::with_capacity(spec.count.min(1024));
        let mut seen = 0usize;
        'groups: for group in 0..groups {
            let s = self.sorted(spec.order, group);
            let iter: Box<dyn Iterator<Item = &u32>> = if spec.descending {
                Box::new(s.sorted.iter().rev())
            } else {
                Box::new(s.sorted.iter())
            };
            for &d in iter {
                let doc = self.doc(d).expect("ordered doc exists");
                if !keep(d, doc) {
                    continue;
                }
                if seen >= spec.offset && items.len() < spec.count {
                    items.push(d);
                }
                seen += 1;
                if known_total.is_some() && items.len() >= spec.count {
                    break 'groups;
                }
            }
        }
        Page {
            items,
            total: known_total.unwrap_or(seen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn sorted(set: &BTreeSet<u32>) -> Vec<u32> {
        set.iter().copied().collect()
    }

    #[test]
    fn debug_output_gives_sizes_not_documents() {
        let engine = Engine::<crate::directory::index::UserDoc>::new(2, 3, 1);
        assert_eq!(
            format!("{engine:?}"),
            "Engine { docs: 0, indexed: 0, fields: 2, orders: 3 }"
        );
    }

    #[test]
    fn intersect_takes_both_paths() {
        // Far apart in size: binary searches. Alike: a linear merge that ends on either side.
        let large: Vec<u32> = (0..10_000).collect();
        assert_eq!(intersect(&[3, 9_999, 20_000], &large), [3, 9_999]);
        assert_eq!(intersect(&[1, 5], &[1, 2, 3, 5, 7]), [1, 5]);
        assert_eq!(intersect(&[1, 2, 3, 5, 7], &[1, 5]), [1, 5]);
        assert_eq!(intersect(&[8, 9], &[1, 2, 8]), [8]);
        assert!(intersect(&[], &large).is_empty());
    }

    /// A document with any primary key, an optional secondary one, and an id.
    #[derive(Debug, Clone)]
    struct KeyDoc {
        id: String,
        primary: Option<Result<i64, String>>,
        secondary: Option<String>,
    }

    impl Doc for KeyDoc {
        fn id(&self) -> &str {
            &self.id
        }
        fn indexed(&self) -> bool {
            true
        }
        fn group(&self) -> u8 {
            0
        }
        fn texts(&self, _: usize) -> impl Iterator<Item = &str> + Clone {
            std::iter::empty()
        }
        fn key(&self, _: usize) -> (Key<'_>, Key<'_>) {
            let primary = match &self.primary {
                None => Key::Missing,
                Some(Ok(n)) => Key::Num(*n),
                Some(Err(s)) => Key::Str(s),
            };
            (
                primary,
                self.secondary.as_deref().map_or(Key::Missing, Key::Str),
            )
        }
    }

    fn key_doc() -> impl Strategy<Value = (Option<Result<i64, String>>, Option<String>)> {
        // Few letters (NUL among them) and long strings: many keys share 8, 16, 24 bytes.
        let text = "[ab\\x00é]{0,26}";
        let primary = prop_oneof![
            Just(None),
            prop_oneof![
                Just(i64::MIN),
                Just(-1i64),
                Just(0),
                Just(1),
                Just(i64::MAX),
                -3i64..3
            ]
            .prop_map(|n| Some(Ok(n))),
            text.prop_map(|s| Some(Err(s))),
            Just(Some(Err("abababababababababab".to_owned()))),
        ];
        (primary, proptest::option::weighted(0.3, "[ab]{0,10}"))
    }

    #[test]
    fn a_settle_leaves_no_merge_for_the_first_read() {
        let mut engine = Engine::<KeyDoc>::new(0, 1, 1);
        for n in 0..100u32 {
            let doc = KeyDoc {
                id: format!("id{n:03}"),
                primary: Some(Ok(i64::from(n % 7))),
                secondary: None,
            };
            engine.upsert(n, Some(doc));
        }
        engine.settle();
        let order = engine.orders[0][0].read();
        assert!(order.pending.is_empty());
        let mut expected: Vec<u32> = (0..100).collect();
        expected.sort_by(|&a, &b| compare(&engine.docs, 0, a, b));
        assert_eq!(order.sorted, expected);
    }

    proptest! {
        #[test]
        fn a_bulk_sort_orders_as_the_comparison_does(
            keys in proptest::collection::vec(key_doc(), 130..400),
            ids in Just((0..400u32).collect::<Vec<_>>()).prop_shuffle(),
        ) {
            let docs: Vec<Option<KeyDoc>> = keys
                .into_iter()
                .zip(ids)
                // Ids that share their first 16 bytes and differ in length.
                .map(|((primary, secondary), n)| {
                    let id = format!("{}{n:b}", "i".repeat(16));
                    Some(KeyDoc { id, primary, secondary })
                })
                .collect();
            let items: Vec<u32> = (0..docs.len() as u32).rev().collect();
            let mut expected = items.clone();
            expected.sort_by(|&a, &b| compare(&docs, 0, a, b));
            let ids = IdRanks::of(&docs, items.iter().copied());
            prop_assert_eq!(sort_bulk(&items, &docs, 0, &ids), expected.clone());
            // Ranks made over more documents than are sorted, as a settle makes them.
            let all = IdRanks::of(&docs, 0..docs.len() as u32);
            let (odd, even): (Vec<u32>, Vec<u32>) = items.iter().partition(|&&d| d % 2 == 1);
            let mut expected_odd = odd.clone();
            expected_odd.sort_by(|&a, &b| compare(&docs, 0, a, b));
            prop_assert_eq!(sort_bulk(&odd, &docs, 0, &all), expected_odd.clone());
            // Through an order's pending writes: into an empty order, and into a filled one.
            let mut s = Sorted { pending: items.clone(), ..Sorted::default() };
            merge_pending(&mut s, &docs, 0, None);
            prop_assert_eq!(&s.sorted, &expected);
            let mut s = Sorted { sorted: expected_odd, pending: even, ..Sorted::default() };
            merge_pending(&mut s, &docs, 0, Some(&all));
            prop_assert_eq!(&s.sorted, &expected);
        }
    }

    proptest! {
        #[test]
        fn substrings_are_found_as_str_contains_finds_them(hay in "[ab€]{0,12}", needle in "[ab€]{0,4}") {
            prop_assert_eq!(has_substring(&hay, &needle), hay.contains(needle.as_str()));
        }
    }

    proptest! {
        #[test]
        fn intersect_and_union_agree_with_sets(
            a in proptest::collection::btree_set(0u32..3000, 0..400),
            b in proptest::collection::btree_set(0u32..3000, 0..60),
            c in proptest::collection::btree_set(0u32..3000, 0..60),
            universe in prop_oneof![Just(3000usize), Just(100_000usize)],
        ) {
            let (va, vb, vc) = (sorted(&a), sorted(&b), sorted(&c));
            let both: Vec<u32> = a.intersection(&b).copied().collect();
            prop_assert_eq!(intersect(&vb, &va), both.clone());
            prop_assert_eq!(intersect(&va, &vb), both);
            let all: Vec<u32> = a.union(&b).chain(c.iter()).copied().collect::<BTreeSet<_>>().into_iter().collect();
            prop_assert_eq!(union(&[&va, &vb, &vc], universe), all);
            prop_assert_eq!(union(&[&vb], universe), vb.clone());
            prop_assert!(union(&[], universe).is_empty());
        }

        #[test]
        fn a_block_merge_finds_every_common_element_once(
            a in proptest::collection::btree_set(0u32..240, 0..160),
            b in proptest::collection::btree_set(0u32..240, 0..160),
        ) {
            let both: Vec<u32> = a.intersection(&b).copied().collect();
            prop_assert_eq!(merge_intersect(&sorted(&a), &sorted(&b)), both.clone());
            prop_assert_eq!(merge_intersect(&sorted(&b), &sorted(&a)), both);
        }
    }
}
