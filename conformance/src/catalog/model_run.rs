/*!
Model-based checks (`presence/managed/model-based-run`, `directory/managed/model-based-run`):
proptest-state-machine draws random sequences of operations (create users, set statuses, edit
profiles, deactivate and reactivate, create channels, private groups and teams, invite, mark a
`from` instant, move the target's clock, and queries), applies each to the target and to the
suite's own model ([`crate::oracle`]), and after every query compares the target's answer with
the model's. A failing sequence shrinks to a minimal one, is re-checked, and is reported as a
numbered list of REST calls with a curl script that replays it.

Each sequence works under its own prefix (`<run prefix>p<n>-` in the presence run, `d<n>-` in
the directory run), so directory texts, which always start with it, only ever find that
sequence's data, and every comparison is over that sequence's users and rooms alone. That makes
the sequences independent: they run side by side in lanes ([`Drive`]), and a sequence's data is
removed while the next one runs.

Time (the presence run; directory answers do not depend on it, so the directory run leaves the
clock alone): with test control each sequence starts two hours in the past (so nothing the run
writes lies in the future of the target's own clock) and only the sequence moves its time, to
the millisecond. Where test control gives each request a clock of its own, the sequence sends
its instant on every request (`X-Test-Clock`) and the target's clock is never touched; else the
target's clock is stopped there and moved, and the run takes one lane. Either way a `from` is
the sequence's instant plus 1 ms, then its time moves 2 ms, and time moves cross the 10-minute
boundary exactly (599 999 ms old: a delta; 600 000 ms: the full list). Without test control `from` comes from [`Ctx::from_between_writes`], which waits out
the clock estimate's uncertainty, and the run never nears the boundary. Nothing is retried:
Rocket.Chat answers a REST write after writing the document, so the next query must see it.

Version note: Rocket.Chat 8.6+ shows a human user's REST-set `away`/`busy` as `offline` without a
live connection (docs/contract/auth-and-errors.md#companion.users.setstatus); the model follows the statuses as set (≤ 8.5 and the reference
server), so against 8.6+ the presence run fails on such a step: list it with `--expect-fail`.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use serde_json::json;

use super::properties::property_seed;
use crate::companion::MadeUser;
use crate::context::{Auth, Ctx, DirQuery, PRESENCE};
use crate::http::Req;
use crate::oracle::{
    compare_directory, compare_presence, expect_directory, expect_presence, Caller,
    DirectoryAnswer, DirectoryQuery, DirectorySettings, Ids, Kind, ModelRoom, ModelTeam, ModelUser,
    PresenceQuery, SortField, Text, UserStatus, World,
};
use crate::timefmt::FromForm;
use crate::versions::Line;
use crate::vocabulary::{Exchange, Failure, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    Presence,
    Directory,
}

// ----- operations and their generation -------------------------------------------------------

/// Display names users start with (duplicates make ties in the name order).
const NAMES: [&str; 5] = ["Ana", "ana", "Zoë Ames", "Bo", "Ana"];
/// Status messages.
const MESSAGES: [&str; 2] = ["lunch", "in a meeting"];
/// Values a profile edit writes, after the field's name (`bio-a`, `nickname-B`, …).
const WORDS: [&str; 3] = ["a", "B", "a.b"];
/// How far a clock move goes, in ms: right after a mark, 599 998 leaves `from` 599 999 ms old
/// (a delta) and 599 999 makes it 600 000 ms old (the full list).
const CLOCK_MOVES: [i64; 5] = [1_000, 60_000, 300_000, 599_998, 599_999];
/// The run stops moving the clock after this much (it starts two hours in the past).
const CLOCK_BUDGET_MS: i64 = 90 * 60_000;
const MAX_USERS: usize = 10;
const MAX_ROOMS: usize = 6;
const MAX_TEAMS: usize = 3;
/// Parts of directory texts after the sequence's prefix.
const USER_TEXTS: [&str; 10] = [
    "",
    "u",
    "U",
    "u.",
    "u.1",
    "u_1",
    "u1",
    "bio-",
    "nickname-a",
    "name-",
];
const ROOM_TEXTS: [&str; 6] = ["", "r", "g", "r1", "g2", "t"];
const TEAM_TEXTS: [&str; 3] = ["", "t", "t1"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileField {
    Name,
    Bio,
    Nickname,
}

impl ProfileField {
    fn as_str(self) -> &'static str {
        match self {
            ProfileField::Name => "name",
            ProfileField::Bio => "bio",
            ProfileField::Nickname => "nickname",
        }
    }
}

/// One step of a sequence. Entities are named by their index in the model's world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `users.create` (username `u<n>`, `u.<n>` or `u_<n>`) and a login as the new user.
    CreateUser { style: usize, name: usize },
    /// `users.setStatus` as the user itself.
    SetStatus {
        user: usize,
        status: UserStatus,
        message: Option<usize>,
    },
    /// `users.update` as the admin: the field becomes `<prefix><field>-<word>`.
    EditProfile {
        user: usize,
        field: ProfileField,
        word: usize,
    },
    /// `users.setActiveStatus` false (which revokes the user's tokens).
    Deactivate { user: usize },
    /// `users.setActiveStatus` true, then a login.
    Reactivate { user: usize },
    /// `channels.create` or `groups.create` as the admin, in a team or not, with members.
    CreateRoom {
        private: bool,
        team: Option<usize>,
        members: Vec<usize>,
    },
    /// `channels.invite` as the admin.
    Invite { room: usize, user: usize },
    /// `teams.create` as the admin with members.
    CreateTeam { private: bool, members: Vec<usize> },
    /// Takes a `from` instant between two writes.
    Mark,
    /// Moves the target's clock (test control only).
    AdvanceClock { ms: i64 },
    /// In an operation `Since { marker }` counts back from the newest marker (0: the newest),
    /// so that shrinking away an earlier mark leaves the query on the same instant.
    Presence {
        caller: Caller,
        query: PresenceQuery,
        /// `ids=a&ids=b` rather than `ids=a,b`; `from` with a +05:30 offset rather than `Z`.
        alternate_form: bool,
    },
    Directory {
        caller: Caller,
        query: DirectoryQuery,
    },
}

impl Op {
    fn is_query(&self) -> bool {
        matches!(self, Op::Presence { .. } | Op::Directory { .. })
    }
}

/// The reference state machine: `DIRECTORY` picks which queries are drawn, `MANUAL` whether
/// the clock is the target's manual one.
pub struct Machine<const DIRECTORY: bool, const MANUAL: bool>;

fn some_of(n: usize, max: usize) -> BoxedStrategy<Vec<usize>> {
    if n == 0 {
        return Just(Vec::new()).boxed();
    }
    proptest::collection::btree_set(0..n, 0..=max.min(n))
        .prop_map(|s| s.into_iter().collect())
        .boxed()
}

fn caller(world: &World) -> BoxedStrategy<Caller> {
    let n = world.users.len();
    if n == 0 {
        return Just(Caller::Admin).boxed();
    }
    prop_oneof![1 => Just(Caller::Admin), 3 => (0..n).prop_map(Caller::User)].boxed()
}

fn directory_query(world: &World) -> BoxedStrategy<DirectoryQuery> {
    let kind = prop_oneof![
        4 => Just(Kind::Users),
        3 => Just(Kind::Channels),
        2 => Just(Kind::Teams)
    ];
    let count = prop_oneof![
        Just(None),
        Just(Some(1)),
        Just(Some(2)),
        Just(Some(3)),
        Just(Some(0)),
        Just(Some(-1)),
        Just(Some(500))
    ];
    let offset = prop_oneof![
        3 => Just(None),
        1 => Just(Some(0)),
        2 => Just(Some(1)),
        1 => Just(Some(2)),
        1 => Just(Some(-1))
    ];
    let sort = (
        prop_oneof![
            3 => Just(None),
            1 => Just(Some(SortField::Name)),
            1 => Just(Some(SortField::Username)),
            1 => Just(Some(SortField::Email)),
            1 => Just(Some(SortField::Bio)),
            1 => Just(Some(SortField::UsersCount))
        ],
        any::<bool>(),
    );
    let _ = world;
    (
        kind,
        0..10usize,
        any::<bool>(),
        any::<bool>(),
        count,
        offset,
        sort,
    )
        .prop_map(|(kind, text, upper, all, count, offset, (field, asc))| {
            let texts: &[&str] = match kind {
                Kind::Users => &USER_TEXTS,
                Kind::Channels => &ROOM_TEXTS,
                Kind::Teams => &TEAM_TEXTS,
            };
            let sort = field.filter(|f| f.allowed_for(kind)).map(|f| (f, asc));
            DirectoryQuery {
                kind,
                text: texts[text % texts.len()].to_owned(),
                upper,
                workspace_all: all && kind == Kind::Users,
                count,
                offset,
                sort,
            }
        })
        .boxed()
}

fn presence_query(world: &World) -> BoxedStrategy<PresenceQuery> {
    let n = world.users.len();
    let mut options: Vec<(u32, BoxedStrategy<PresenceQuery>)> =
        vec![(2, Just(PresenceQuery::Full).boxed())];
    if !world.markers.is_empty() {
        let m = world.markers.len();
        // The newest marker (0 back) most often: its delta is small and telling.
        options.push((
            5,
            prop_oneof![2 => Just(0), 1 => 0..m]
                .prop_map(|marker| PresenceQuery::Since { marker })
                .boxed(),
        ));
    }
    if n > 0 {
        options.push((
            2,
            (some_of(n, 4), any::<bool>())
                .prop_filter("ids needs at least one id", |(u, unknown)| {
                    !u.is_empty() || *unknown
                })
                .prop_map(|(users, unknown)| PresenceQuery::Ids { users, unknown })
                .boxed(),
        ));
    }
    Union::new_weighted(options).boxed()
}

/// The weighted operations of a sequence, by kind (writes to users, writes to rooms and teams,
/// marks, clock moves and queries): what [`ReferenceStateMachine::transitions`] draws from.
impl<const DIRECTORY: bool, const MANUAL: bool> Machine<DIRECTORY, MANUAL> {
    fn user_writes(world: &World, options: &mut Vec<(u32, BoxedStrategy<Op>)>) {
        let n = world.users.len();
        if n < MAX_USERS {
            let weight = if n < 3 { 12 } else { 3 };
            options.push((
                weight,
                (0..3usize, 0..NAMES.len())
                    .prop_map(|(style, name)| Op::CreateUser { style, name })
                    .boxed(),
            ));
        }
        if n > 0 {
            let status = prop_oneof![
                Just(UserStatus::Online),
                Just(UserStatus::Away),
                Just(UserStatus::Busy),
                Just(UserStatus::Offline)
            ];
            let message = prop_oneof![2 => Just(None), 1 => (0..MESSAGES.len()).prop_map(Some)];
            options.push((
                6,
                (0..n, status, message)
                    .prop_map(|(user, status, message)| Op::SetStatus {
                        user,
                        status,
                        message,
                    })
                    .boxed(),
            ));
            let field = prop_oneof![
                Just(ProfileField::Name),
                Just(ProfileField::Bio),
                Just(ProfileField::Nickname)
            ];
            options.push((
                if DIRECTORY { 3 } else { 1 },
                (0..n, field, 0..WORDS.len())
                    .prop_map(|(user, field, word)| Op::EditProfile { user, field, word })
                    .boxed(),
            ));
            options.push((1, (0..n).prop_map(|user| Op::Deactivate { user }).boxed()));
            if world.users.iter().any(|u| !u.active) {
                options.push((1, (0..n).prop_map(|user| Op::Reactivate { user }).boxed()));
            }
        }
    }

    fn room_writes(world: &World, options: &mut Vec<(u32, BoxedStrategy<Op>)>) {
        let n = world.users.len();
        if world.rooms.len() < MAX_ROOMS {
            let teams = world.teams.len();
            let team = if teams == 0 {
                Just(None).boxed()
            } else {
                prop_oneof![2 => Just(None), 1 => (0..teams).prop_map(Some)].boxed()
            };
            options.push((
                if DIRECTORY { 3 } else { 1 },
                (any::<bool>(), team, some_of(n, 3))
                    .prop_map(|(private, team, members)| Op::CreateRoom {
                        private,
                        team,
                        members,
                    })
                    .boxed(),
            ));
        }
        if !world.rooms.is_empty() && n > 0 {
            options.push((
                if DIRECTORY { 2 } else { 1 },
                (0..world.rooms.len(), 0..n)
                    .prop_map(|(room, user)| Op::Invite { room, user })
                    .boxed(),
            ));
        }
        if world.teams.len() < MAX_TEAMS {
            options.push((
                if DIRECTORY { 2 } else { 1 },
                (any::<bool>(), some_of(n, 3))
                    .prop_map(|(private, members)| Op::CreateTeam { private, members })
                    .boxed(),
            ));
        }
    }

    fn marks_and_queries(world: &World, options: &mut Vec<(u32, BoxedStrategy<Op>)>) {
        let n = world.users.len();
        if !DIRECTORY && n > 0 {
            options.push((4, Just(Op::Mark).boxed()));
            if MANUAL && !world.markers.is_empty() {
                options.push((
                    3,
                    proptest::sample::select(CLOCK_MOVES.to_vec())
                        .prop_map(|ms| Op::AdvanceClock { ms })
                        .boxed(),
                ));
            }
        }
        if DIRECTORY {
            options.push((
                10,
                (caller(world), directory_query(world))
                    .prop_map(|(caller, query)| Op::Directory { caller, query })
                    .boxed(),
            ));
        } else {
            options.push((
                8,
                (caller(world), presence_query(world), any::<bool>())
                    .prop_map(|(caller, query, alternate_form)| Op::Presence {
                        caller,
                        query,
                        alternate_form,
                    })
                    .boxed(),
            ));
        }
    }
}

impl<const DIRECTORY: bool, const MANUAL: bool> ReferenceStateMachine
    for Machine<DIRECTORY, MANUAL>
{
    type State = World;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<World> {
        Just(World {
            manual_clock: MANUAL,
            ..World::default()
        })
        .boxed()
    }

    fn transitions(world: &World) -> BoxedStrategy<Op> {
        let mut options: Vec<(u32, BoxedStrategy<Op>)> = Vec::new();
        Self::user_writes(world, &mut options);
        Self::room_writes(world, &mut options);
        Self::marks_and_queries(world, &mut options);
        Union::new_weighted(options).boxed()
    }

    fn preconditions(world: &World, op: &Op) -> bool {
        let n = world.users.len();
        let user_ok = |u: usize| u < n;
        let caller_ok = |c: &Caller| match c {
            Caller::Admin => true,
            Caller::User(u) => *u < n && world.users[*u].can_call(),
        };
        match op {
            Op::CreateUser { .. } => n < MAX_USERS,
            Op::SetStatus { user, .. } => user_ok(*user) && world.users[*user].can_call(),
            Op::EditProfile { user, .. } => user_ok(*user),
            Op::Deactivate { user } => user_ok(*user) && world.users[*user].active,
            Op::Reactivate { user } => user_ok(*user) && !world.users[*user].active,
            Op::CreateRoom { team, members, .. } => {
                world.rooms.len() < MAX_ROOMS
                    && team.is_none_or(|t| t < world.teams.len())
                    && members.iter().all(|m| user_ok(*m))
            }
            Op::Invite { room, user } => {
                *room < world.rooms.len()
                    && !world.rooms[*room].private
                    && user_ok(*user)
                    && !world.rooms[*room].members.contains(user)
            }
            Op::CreateTeam { members, .. } => {
                world.teams.len() < MAX_TEAMS && members.iter().all(|m| user_ok(*m))
            }
            Op::Mark => !DIRECTORY,
            Op::AdvanceClock { .. } => MANUAL && !DIRECTORY && world.clock_ms < CLOCK_BUDGET_MS,
            Op::Presence { caller, query, .. } => {
                !DIRECTORY
                    && caller_ok(caller)
                    && match query {
                        PresenceQuery::Full => true,
                        PresenceQuery::Since { marker } => *marker < world.markers.len(),
                        PresenceQuery::Ids { users, unknown } => {
                            users.iter().all(|u| user_ok(*u)) && (!users.is_empty() || *unknown)
                        }
                    }
            }
            Op::Directory { caller, .. } => DIRECTORY && caller_ok(caller),
        }
    }

    fn apply(mut world: World, op: &Op) -> World {
        apply_to_model(&mut world, op);
        world
    }
}

/// The model's side of an operation.
pub fn apply_to_model(world: &mut World, op: &Op) {
    match op {
        Op::CreateUser { style, name } => create_model_user(world, *style, *name),
        Op::SetStatus {
            user,
            status,
            message,
        } => {
            let u = &mut world.users[*user];
            u.status = *status;
            u.status_certain = true;
            if let Some(m) = message {
                u.status_text = Some(MESSAGES[*m % MESSAGES.len()].to_owned());
            }
            world.touch([*user]);
        }
        Op::EditProfile { user, field, word } => {
            let value =
                Text::Prefixed(format!("{}-{}", field.as_str(), WORDS[*word % WORDS.len()]));
            let u = &mut world.users[*user];
            match field {
                ProfileField::Name => u.name = value,
                ProfileField::Bio => u.bio = Some(value),
                ProfileField::Nickname => u.nickname = Some(value),
            }
            world.touch([*user]);
        }
        Op::Deactivate { user } => {
            let u = &mut world.users[*user];
            u.active = false;
            u.status_certain = false;
            world.touch([*user]);
        }
        Op::Reactivate { user } => {
            world.users[*user].active = true;
            world.touch([*user]);
        }
        Op::CreateRoom {
            private,
            team,
            members,
        } => {
            let n = world.rooms.len() + 1;
            world.rooms.push(ModelRoom {
                local: format!("{}{n}", if *private { "g" } else { "r" }),
                private: *private,
                team: *team,
                members: members.iter().copied().collect(),
            });
            world.touch(members.iter().copied());
        }
        Op::Invite { room, user } => {
            world.rooms[*room].members.insert(*user);
            world.touch([*user]);
        }
        Op::CreateTeam { private, members } => {
            let n = world.teams.len() + 1;
            world.teams.push(ModelTeam {
                local: format!("t{n}"),
                private: *private,
                members: members.iter().copied().collect::<BTreeSet<_>>(),
            });
            world.touch(members.iter().copied());
        }
        Op::Mark => world.mark(),
        Op::AdvanceClock { ms } => world.clock_ms += ms,
        Op::Presence { .. } | Op::Directory { .. } => {}
    }
}

/// A user the model creates: `u<n>`, `u.<n>` or `u_<n>`, offline, active.
fn create_model_user(world: &mut World, style: usize, name: usize) {
    let n = world.users.len() + 1;
    let local = match style % 3 {
        0 => format!("u{n}"),
        1 => format!("u.{n}"),
        _ => format!("u_{n}"),
    };
    world.users.push(ModelUser {
        local,
        name: Text::Plain(NAMES[name % NAMES.len()].to_owned()),
        bio: None,
        nickname: None,
        status: UserStatus::Offline,
        status_certain: true,
        status_text: None,
        active: true,
        last_write: 0,
    });
    world.touch([n - 1]);
}

// ----- running a sequence against the target -------------------------------------------------

/// What the target gave for the sequence's entities.
struct Made {
    users: Vec<MadeUser>,
    ids: Ids,
    /// Team ids (`teams.create`'s `team._id`), parallel to the world's teams.
    team_ids: Vec<String>,
    /// `from` of each marker, in ms on the target's clock.
    markers: Vec<(i64, Instant)>,
    /// Manual clock: the stopped instant the sequence started at.
    t0: Option<i64>,
}

/// A failure at one step of a sequence.
#[derive(Debug, Clone)]
struct StepFailure {
    step: usize,
    failure: Failure,
}

enum Outcome {
    Passed { queries: usize },
    Failed(StepFailure),
    Error(String),
}

struct Runner<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    settings: DirectorySettings,
    manual: bool,
    /// Starts the sequences' prefixes: `p` for presence and `d` for directory, so that the two
    /// runs, side by side, never make the same name.
    series: &'static str,
    /// The exchanges of each sequence, by its number, its data's removal included.
    record: Record,
    /// The removal of the previous sequence's data, under way.
    removal: Option<std::thread::JoinHandle<()>>,
}

/// The exchanges of a run's sequences by sequence number, shared by the lanes and the removals,
/// so that the report lists them in sequence order however many lanes ran them.
type Record = Arc<Mutex<BTreeMap<usize, Vec<Exchange>>>>;

fn record_exchanges(record: &Record, case: usize, exchanges: Vec<Exchange>) {
    let mut record = record.lock().unwrap_or_else(|e| e.into_inner());
    record
        .entry(case)
        .or_default()
        .extend(exchanges.into_iter().map(|x| Exchange {
            sequence: Some(case),
            ..x
        }));
}

impl Drop for Runner<'_, '_> {
    fn drop(&mut self) {
        self.wait_for_removal();
    }
}

impl<'c, 'a> Runner<'c, 'a> {
    fn new(ctx: &'c mut Ctx<'a>, endpoint: Endpoint, manual: bool, record: Record) -> Self {
        let settings = ctx.settings();
        Self {
            settings: DirectorySettings {
                default_count: settings.default_count(),
                upper_count_limit: settings.upper_count_limit(),
                search_fields: settings.search_fields(),
            },
            ctx,
            manual,
            series: match endpoint {
                Endpoint::Presence => "p",
                Endpoint::Directory => "d",
            },
            record,
            removal: None,
        }
    }

    fn prefix_for(&self, case: usize) -> Result<String, Verdict> {
        Ok(format!(
            "{}{}{case}-",
            self.ctx.managed()?.prefix,
            self.series
        ))
    }

    /// Runs sequence number `case` from an empty world; its data is removed meanwhile the next
    /// one runs.
    fn run_sequence(
        &mut self,
        case: usize,
        ops: &[Op],
        seen: Option<&Arc<AtomicUsize>>,
    ) -> Outcome {
        let outcome = self.run_sequence_inner(case, ops, seen);
        self.ctx.own_clock = None;
        record_exchanges(&self.record, case, std::mem::take(&mut self.ctx.exchanges));
        self.remove_in_background(case);
        outcome
    }

    /// Removes what the sequence made on a client of its own while the next sequence runs: the
    /// next one works under another prefix and judges only its own data. One removal at a time.
    fn remove_in_background(&mut self, case: usize) {
        self.wait_for_removal();
        let (Some(managed), Ok(prefix)) = (self.ctx.session.managed.clone(), self.prefix_for(case))
        else {
            return;
        };
        // Other lanes' sequences of the same check are still running: only this one's names.
        let items = crate::managed::not_removed_under(&managed, &self.ctx.check_id, &prefix);
        let mut http = self.ctx.http.sibling();
        let check_id = self.ctx.check_id.clone();
        let record = self.record.clone();
        self.removal = Some(std::thread::spawn(move || {
            let mut exchanges = Vec::new();
            crate::managed::remove_items(&managed, &items, |req, admin| {
                let req = req
                    .header("X-Auth-Token", &admin.auth_token)
                    .header("X-User-Id", &admin.user_id);
                let (xs, result) = http.send(&req, &check_id);
                exchanges.extend(xs.into_iter().map(|mut x| {
                    x.cleanup = true;
                    x
                }));
                result
                    .map(|r| (r.status, crate::http::snippet(&r.text(), 200)))
                    .map_err(|e| e.message)
            });
            record_exchanges(&record, case, exchanges);
        }));
    }

    /// Waits for the removal under way.
    fn wait_for_removal(&mut self) {
        if let Some(removal) = self.removal.take() {
            if removal.join().is_err() {
                self.ctx.note("removing a sequence's data panicked");
            }
        }
    }

    fn run_sequence_inner(
        &mut self,
        case: usize,
        ops: &[Op],
        seen: Option<&Arc<AtomicUsize>>,
    ) -> Outcome {
        let prefix = match self.prefix_for(case) {
            Ok(p) => p,
            Err(v) => return Outcome::Error(format!("{v:?}")),
        };
        let mut world = World {
            manual_clock: self.manual,
            ..World::default()
        };
        let mut made = Made {
            users: Vec::new(),
            ids: Ids::default(),
            team_ids: Vec::new(),
            markers: Vec::new(),
            t0: None,
        };
        if self.manual {
            let t0 = chrono::Utc::now().timestamp_millis() - 2 * 3_600_000;
            made.t0 = Some(t0);
            if let Err(v) = self.set_clock(&made, &world) {
                return Outcome::Error(format!("{v:?}"));
            }
        }
        let mut queries = 0;
        for (step, op) in ops.iter().enumerate() {
            if let Some(seen) = seen {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            apply_to_model(&mut world, op);
            match self.apply_to_target(&prefix, case, &world, &mut made, op) {
                Ok(()) => {}
                Err(Verdict::Fail(failure)) => {
                    return Outcome::Failed(StepFailure {
                        step: step + 1,
                        failure,
                    })
                }
                Err(Verdict::Error(e)) => return Outcome::Error(format!("step {}: {e}", step + 1)),
                Err(Verdict::Skip(why) | Verdict::NotApplicable(why)) => {
                    return Outcome::Error(format!("step {}: {why}", step + 1))
                }
            }
            if op.is_query() {
                queries += 1;
            }
        }
        Outcome::Passed { queries }
    }

    fn auth(&self, made: &Made, caller: Caller) -> Result<Auth, Verdict> {
        match caller {
            Caller::Admin => self.ctx.admin_auth(),
            Caller::User(u) => Ok(made.users[u].auth()),
        }
    }

    /// Puts the target's now at the sequence's start plus the model's clock: on the sequence's
    /// own requests where the target gives each request a clock of its own, else by stopping
    /// the target's clock there.
    fn set_clock(&mut self, made: &Made, world: &World) -> Result<(), Verdict> {
        let t0 = made
            .t0
            .ok_or_else(|| Verdict::Error("clock move without test control".into()))?;
        if self.ctx.session.request_clock {
            self.ctx.own_clock = Some(t0 + world.clock_ms);
            Ok(())
        } else {
            self.ctx.freeze_clock(t0 + world.clock_ms)
        }
    }

    /// The target's side of an operation; queries compare with the model.
    fn apply_to_target(
        &mut self,
        prefix: &str,
        case: usize,
        world: &World,
        made: &mut Made,
        op: &Op,
    ) -> Result<(), Verdict> {
        let series = self.series;
        let tag = |local: &str| format!("{series}{case}-{local}");
        let admin = self.ctx.admin_auth()?;
        match op {
            Op::CreateUser { .. } => {
                let u = world.users.last().expect("created in the model");
                let user = self
                    .ctx
                    .create_user_named(&tag(&u.local), &u.name.full(prefix))?;
                made.ids.users.push(user.user_id.clone());
                made.users.push(user);
            }
            Op::SetStatus {
                user,
                status,
                message,
            } => {
                let made_user = made.users[*user].clone();
                let m = message.map(|m| MESSAGES[m % MESSAGES.len()]);
                self.ctx.set_status(&made_user, status.as_str(), m)?;
            }
            Op::EditProfile { user, field, .. } => {
                self.edit_profile(prefix, world, made, *user, *field, &admin)?
            }
            Op::Deactivate { user } => {
                let made_user = made.users[*user].clone();
                self.ctx.set_active(&made_user, false)?;
            }
            Op::Reactivate { user } => {
                let made_user = made.users[*user].clone();
                self.ctx.set_active(&made_user, true)?;
                let token = self
                    .ctx
                    .login_made(&made_user.username, &tag(&world.users[*user].local))?;
                made.users[*user].auth_token = token;
            }
            Op::CreateRoom {
                private,
                team,
                members,
            } => self.create_room(case, world, made, *private, *team, members)?,
            Op::Invite { room, user } => {
                self.ctx.companion(
                    Req::method("POST", "/api/v1/channels.invite").json(json!({
                        "roomId": made.ids.rooms[*room],
                        "userId": made.users[*user].user_id,
                    })),
                    &admin,
                )?;
            }
            Op::CreateTeam { private, members } => {
                self.create_team(case, world, made, *private, members)?
            }
            Op::Mark => self.mark(world, made)?,
            Op::AdvanceClock { .. } => self.set_clock(made, world)?,
            Op::Presence {
                caller,
                query,
                alternate_form,
            } => self.query_presence(prefix, world, made, *caller, query, *alternate_form)?,
            Op::Directory { caller, query } => {
                self.query_directory(prefix, world, made, *caller, query)?
            }
        }
        Ok(())
    }

    /// A `from` instant between two writes, as the model's newest marker.
    fn mark(&mut self, world: &World, made: &mut Made) -> Result<(), Verdict> {
        let from = if made.t0.is_some() {
            let at = world.markers.last().expect("marked in the model").at_ms;
            self.set_clock(made, world)?;
            made.t0.unwrap_or_default() + at
        } else {
            self.ctx.from_between_writes()?
        };
        made.markers.push((from, Instant::now()));
        Ok(())
    }

    /// `teams.create` of the model's newest team.
    fn create_team(
        &mut self,
        case: usize,
        world: &World,
        made: &mut Made,
        private: bool,
        members: &[usize],
    ) -> Result<(), Verdict> {
        let series = self.series;
        let tag = |local: &str| format!("{series}{case}-{local}");
        let t = world.teams.last().expect("created in the model");
        let ids: Vec<&str> = members
            .iter()
            .map(|m| made.users[*m].user_id.as_str())
            .collect();
        let team = self.ctx.create_team_with(&tag(&t.local), private, &ids)?;
        made.ids.team_rooms.push(team.room_id);
        made.team_ids.push(team.team_id);
        Ok(())
    }

    /// `users.update` of one profile field, as the admin.
    fn edit_profile(
        &mut self,
        prefix: &str,
        world: &World,
        made: &Made,
        user: usize,
        field: ProfileField,
        admin: &Auth,
    ) -> Result<(), Verdict> {
        let u = &world.users[user];
        let value = match field {
            ProfileField::Name => u.name.full(prefix),
            ProfileField::Bio => u.bio.as_ref().map(|t| t.full(prefix)).unwrap_or_default(),
            ProfileField::Nickname => u
                .nickname
                .as_ref()
                .map(|t| t.full(prefix))
                .unwrap_or_default(),
        };
        self.ctx.companion(
            Req::method("POST", "/api/v1/users.update").json(json!({
                "userId": made.users[user].user_id,
                "data": { field.as_str(): value },
            })),
            admin,
        )?;
        Ok(())
    }

    /// `channels.create` or `groups.create` of the model's newest room.
    fn create_room(
        &mut self,
        case: usize,
        world: &World,
        made: &mut Made,
        private: bool,
        team: Option<usize>,
        members: &[usize],
    ) -> Result<(), Verdict> {
        let series = self.series;
        let tag = |local: &str| format!("{series}{case}-{local}");
        let r = world.rooms.last().expect("created in the model");
        let names: Vec<String> = members
            .iter()
            .map(|m| made.users[*m].username.clone())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let team_id = team.map(|t| made_team_id(made, t));
        let team_id = team_id.transpose()?;
        let (id, _) = self
            .ctx
            .create_room(&tag(&r.local), private, team_id.as_deref(), &names)?;
        made.ids.rooms.push(id);
        Ok(())
    }

    /// A `users.presence` query, compared with the model's answer.
    fn query_presence(
        &mut self,
        prefix: &str,
        world: &World,
        made: &Made,
        caller: Caller,
        query: &PresenceQuery,
        alternate_form: bool,
    ) -> Result<(), Verdict> {
        let query = &absolute(query, world);
        let mut req = Req::get(PRESENCE);
        match query {
            PresenceQuery::Full => {}
            PresenceQuery::Since { marker } => {
                let (ms, taken) = made.markers[*marker];
                if made.t0.is_none() && taken.elapsed().as_secs() > 9 * 60 {
                    return Err(Verdict::Error(
                        "the run took over 9 minutes: a from taken at its start nears the 10-minute boundary on the real clock".into(),
                    ));
                }
                let form = if alternate_form {
                    FromForm::OffsetMillis(5 * 3600 + 30 * 60)
                } else {
                    FromForm::ZuluMillis
                };
                req = req.q("from", &form.render(ms));
            }
            PresenceQuery::Ids { users, unknown } => {
                let mut ids: Vec<String> =
                    users.iter().map(|u| made.ids.users[*u].clone()).collect();
                if *unknown {
                    ids.push(UNKNOWN_ID.into());
                }
                if repeated_ids(alternate_form, self.ctx.line()) {
                    for id in &ids {
                        req = req.q("ids", id);
                    }
                } else {
                    req = req.q("ids", &ids.join(","));
                }
            }
        }
        let auth = self.auth(made, caller)?;
        let answer = self.ctx.presence_req_as(req, &auth)?;
        let expected = expect_presence(world, caller, query, self.ctx.line());
        compare_presence(
            world,
            prefix,
            &made.ids.users,
            &expected,
            answer.full,
            &answer.users,
        )?;
        Ok(())
    }

    /// A `directory` query, compared with the model's answer.
    fn query_directory(
        &mut self,
        prefix: &str,
        world: &World,
        made: &Made,
        caller: Caller,
        query: &DirectoryQuery,
    ) -> Result<(), Verdict> {
        let mut q = DirQuery::of(query.kind.as_str()).text(&query.full_text(prefix));
        if query.workspace_all {
            q = q.workspace("all");
        }
        let mut extra: Vec<(&str, String)> = Vec::new();
        if let Some(c) = query.count {
            extra.push(("count", c.to_string()));
        }
        if let Some(o) = query.offset {
            extra.push(("offset", o.to_string()));
        }
        if let Some((field, asc)) = query.sort {
            extra.push((
                "sort",
                json!({ field.as_str(): if asc { 1 } else { -1 } }).to_string(),
            ));
        }
        let extra: Vec<(&str, &str)> = extra.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let req = self.ctx.dir_req(&q, &extra);
        let auth = self.auth(made, caller)?;
        let answer = self.ctx.directory_req(req, &auth)?;
        let expected = expect_directory(world, prefix, &self.settings, caller, query);
        compare_directory(
            world,
            prefix,
            &made.ids,
            caller,
            query,
            &expected,
            &DirectoryAnswer {
                result: &answer.result,
                count: answer.count,
                offset: answer.offset,
                total: answer.total,
            },
        )?;
        Ok(())
    }
}

/// An id that names no user.
const UNKNOWN_ID: &str = "conformanceNoSuchUser";

/// An operation's presence query with its marker counted from the first one, as the model
/// numbers them.
/// Whether `ids` goes as repeated parameters rather than one comma list: in the alternate
/// form, and always on 8.4, whose comma lists match nobody (a regression the catalog's own
/// check reports; the model run judges the rest).
fn repeated_ids(alternate_form: bool, line: Line) -> bool {
    alternate_form || line == Line::V8_4
}

fn absolute(query: &PresenceQuery, world: &World) -> PresenceQuery {
    match query {
        PresenceQuery::Since { marker } => PresenceQuery::Since {
            marker: world.markers.len().saturating_sub(1 + marker),
        },
        other => other.clone(),
    }
}

fn made_team_id(made: &Made, team: usize) -> Result<String, Verdict> {
    made.team_ids
        .get(team)
        .cloned()
        .ok_or_else(|| Verdict::Error(format!("team {team} was not made")))
}

// ----- the check: generation, shrinking, re-checking, reporting ------------------------------

pub(super) fn run(ctx: &mut Ctx, endpoint: Endpoint) -> Result<(), Verdict> {
    ctx.managed()?;
    // Directory answers do not depend on the time: only the presence run takes the clock.
    let manual = ctx.session.test_control && endpoint == Endpoint::Presence;
    let steps = 1..=(ctx.config.model_steps.max(1) as usize);
    let mut drive = Drive {
        config: proptest_config(ctx),
        test_runner: TestRunner::new_with_rng(
            proptest_config(ctx),
            TestRng::from_seed(
                RngAlgorithm::ChaCha,
                &property_seed(ctx.session.seed, &ctx.check_id),
            ),
        ),
        endpoint,
        manual,
    };
    match endpoint {
        Endpoint::Presence if manual => {
            drive.run(ctx, &Machine::<false, true>::sequential_strategy(steps))
        }
        Endpoint::Presence => drive.run(ctx, &Machine::<false, false>::sequential_strategy(steps)),
        Endpoint::Directory => drive.run(ctx, &Machine::<true, false>::sequential_strategy(steps)),
    }
}

/// Which clock a run used, for its summary.
fn clock_used(manual: bool, endpoint: Endpoint, request_clock: bool) -> &'static str {
    match (endpoint, manual, request_clock) {
        (Endpoint::Presence, true, true) => {
            "a clock of its own on each request (test control), moved across the 10-minute boundary"
        }
        (Endpoint::Presence, true, false) => {
            "the target's manual clock (test control), moved across the 10-minute boundary"
        }
        (Endpoint::Presence, false, _) => "the real clock (no test control)",
        (Endpoint::Directory, _, _) => {
            "the clock left alone (directory answers do not depend on it)"
        }
    }
}

/// The proptest budget of a model-based run, from the command line.
fn proptest_config(ctx: &Ctx) -> PtConfig {
    budget(ctx.config.model_sequences, ctx.config.model_shrink_ms)
}

/// `sequences` sequences, shrunk for at most `shrink_ms`.
fn budget(sequences: u32, shrink_ms: u32) -> PtConfig {
    PtConfig {
        cases: sequences.max(1),
        failure_persistence: None,
        max_shrink_iters: 1_024,
        max_shrink_time: shrink_ms,
        max_local_rejects: 100_000,
        max_global_rejects: 100_000,
        ..PtConfig::default()
    }
}

/// A sequence's drawn value: the model's world, the operations, the counter of operations run.
type Drawn = (World, Vec<Op>, Option<Arc<AtomicUsize>>);

/// What the first pass over the drawn sequences found.
struct FirstPass<T> {
    sequences: usize,
    operations: usize,
    queries: usize,
    /// The first sequence (in drawing order) that failed or could not be judged.
    problem: Option<(usize, Problem<T>)>,
    interrupted: bool,
}

enum Problem<T> {
    /// The sequence's value tree (to shrink) and its operations.
    Failed(T, Vec<Op>),
    Error(String),
}

impl<T> FirstPass<T> {
    /// Counts sequence `i`'s outcome; keeps it when it is the first problem so far.
    fn settle(&mut self, i: usize, outcome: Outcome, tree: T, ops: Vec<Op>) {
        self.sequences += 1;
        self.operations += ops.len();
        let problem = match outcome {
            Outcome::Passed { queries } => {
                self.queries += queries;
                return;
            }
            Outcome::Failed(_) => Problem::Failed(tree, ops),
            Outcome::Error(e) => Problem::Error(e),
        };
        if self.problem.as_ref().is_none_or(|(first, _)| i < *first) {
            self.problem = Some((i, problem));
        }
    }

    /// Whether no further sequence should start: an Error or an interrupt.
    fn stopped(&self) -> bool {
        self.interrupted || matches!(self.problem, Some((_, Problem::Error(_))))
    }
}

/// A model-based run: draws the sequences from the seed one after the other, as proptest's
/// runner does, runs them side by side in lanes (as many as `--jobs`, each on a client of its
/// own), then shrinks the first failing one alone. The sequences are independent (each works
/// under its own prefix and, in the presence run, on a clock of its own or the target's stopped
/// one), so the verdict and the report, whose exchanges are listed by sequence, are the same
/// with any number of lanes. Every sequence runs even after one fails, for the same reason.
struct Drive {
    config: PtConfig,
    test_runner: TestRunner,
    endpoint: Endpoint,
    manual: bool,
}

impl Drive {
    fn run<S>(&mut self, ctx: &mut Ctx, strategy: &S) -> Result<(), Verdict>
    where
        S: Strategy<Value = Drawn>,
    {
        let cases = self.config.cases as usize;
        // Lanes share the target's clock only where the target gives each request its own.
        let lanes = if self.manual && !ctx.session.request_clock {
            1
        } else {
            ctx.config.jobs.clamp(1, cases.max(1))
        };
        let record = Record::default();
        let first = self.first_pass(ctx, strategy, lanes, &record)?;
        let summary = format!(
            "{} sequence(s) of 1 to {} operations ({} operations, {} queries compared with the model), seed {}, {}",
            first.sequences,
            ctx.config.model_steps.max(1),
            first.operations,
            first.queries,
            ctx.session.seed,
            clock_used(self.manual, self.endpoint, ctx.session.request_clock),
        );
        let verdict = match first.problem {
            _ if first.interrupted => Err(Verdict::Error(format!(
                "the model-based run stopped: interrupted ({summary})"
            ))),
            None => {
                ctx.note(summary);
                Ok(())
            }
            Some((_, Problem::Error(e))) => Err(Verdict::Error(format!(
                "the model-based run stopped: {e} ({summary})"
            ))),
            Some((_, Problem::Failed(mut tree, ops))) => {
                let mut runner = Runner::new(ctx, self.endpoint, self.manual, record.clone());
                match self.shrink(&mut runner, &mut tree, ops, cases) {
                    Ok((ops, next_case)) => conclude(runner, ops, next_case, summary),
                    Err(e) => Err(Verdict::Error(format!(
                        "the model-based run stopped while shrinking: {e} ({summary})"
                    ))),
                }
            }
        };
        let record = std::mem::take(&mut *record.lock().unwrap_or_else(|e| e.into_inner()));
        ctx.exchanges.extend(record.into_values().flatten());
        verdict
    }

    /// The next sequence, from a fresh generator drawn from the last one, as proptest's own
    /// runner draws its cases: the same seed gives the same sequences as proptest would.
    fn draw<S: Strategy<Value = Drawn>>(&mut self, strategy: &S) -> Result<S::Tree, Verdict> {
        let rng = self.test_runner.new_rng();
        *self.test_runner.rng() = rng;
        strategy.new_tree(&mut self.test_runner).map_err(|why| {
            Verdict::Error(format!(
                "the model-based run could not draw a sequence: {why}"
            ))
        })
    }

    /// Runs every sequence once, over `lanes` lanes. Sequences are drawn here, in order, and
    /// handed to the lanes; a value tree is kept only while its sequence runs, or when it is the
    /// first to fail.
    fn first_pass<S: Strategy<Value = Drawn>>(
        &mut self,
        ctx: &mut Ctx,
        strategy: &S,
        lanes: usize,
        record: &Record,
    ) -> Result<FirstPass<S::Tree>, Verdict> {
        let cases = self.config.cases as usize;
        let mut pass = FirstPass {
            sequences: 0,
            operations: 0,
            queries: 0,
            problem: None,
            interrupted: false,
        };
        if lanes == 1 {
            let mut runner = Runner::new(ctx, self.endpoint, self.manual, record.clone());
            for i in 0..cases {
                pass.interrupted |= crate::interrupt::requested();
                if pass.stopped() {
                    break;
                }
                let tree = self.draw(strategy)?;
                let (_, ops, seen) = tree.current();
                let outcome = runner.run_sequence(i + 1, &ops, seen.as_ref());
                pass.settle(i, outcome, tree, ops);
            }
            return Ok(pass);
        }
        self.side_by_side(ctx, strategy, lanes, record, pass)
    }

    /// [`Drive::first_pass`] over several lanes, each a thread with a client of its own.
    fn side_by_side<S: Strategy<Value = Drawn>>(
        &mut self,
        ctx: &mut Ctx,
        strategy: &S,
        lanes: usize,
        record: &Record,
        mut pass: FirstPass<S::Tree>,
    ) -> Result<FirstPass<S::Tree>, Verdict> {
        let cases = self.config.cases as usize;
        let lane = Lane {
            session: ctx.session,
            config: ctx.config,
            check_id: &ctx.check_id,
            sharing: ctx.sharing,
            endpoint: self.endpoint,
            manual: self.manual,
            record,
        };
        let (to_lanes, work) = mpsc::sync_channel::<(usize, Drawn)>(lanes);
        let work = Mutex::new(work);
        let (done, finished) = mpsc::channel::<(usize, Outcome)>();
        let http = &*ctx.http;
        let lane_notes = std::thread::scope(|scope| -> Result<_, Verdict> {
            let handles: Vec<_> = (0..lanes)
                .map(|_| {
                    let (lane, work, done) = (&lane, &work, done.clone());
                    scope.spawn(move || lane.run(http.sibling(), work, done))
                })
                .collect();
            drop(done);
            let mut running: BTreeMap<usize, (S::Tree, Vec<Op>)> = BTreeMap::new();
            let mut drawing = Ok(());
            for i in 0..cases {
                for (j, outcome) in finished.try_iter() {
                    if let Some((tree, ops)) = running.remove(&j) {
                        pass.settle(j, outcome, tree, ops);
                    }
                }
                pass.interrupted |= crate::interrupt::requested();
                if pass.stopped() {
                    break;
                }
                let tree = match self.draw(strategy) {
                    Ok(tree) => tree,
                    Err(e) => {
                        drawing = Err(e);
                        break;
                    }
                };
                let drawn = tree.current();
                running.insert(i, (tree, drawn.1.clone()));
                if to_lanes.send((i, drawn)).is_err() {
                    break;
                }
            }
            drop(to_lanes);
            for (j, outcome) in finished.iter() {
                if let Some((tree, ops)) = running.remove(&j) {
                    pass.settle(j, outcome, tree, ops);
                }
            }
            let notes: Vec<_> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            drawing.map(|()| notes)
        })?;
        for (notes, line_consulted) in lane_notes {
            ctx.notes.extend(notes);
            if line_consulted {
                ctx.line_consulted.set(true);
            }
        }
        Ok(pass)
    }

    /// Shrinks a failing sequence; returns the smallest failing sequence and the next free
    /// sequence number.
    fn shrink<T: ValueTree<Value = Drawn>>(
        &self,
        runner: &mut Runner,
        tree: &mut T,
        smallest: Vec<Op>,
        cases: usize,
    ) -> Result<(Vec<Op>, usize), String> {
        let mut case = cases;
        let smallest = self.shrink_loop(tree, smallest, &mut |ops| {
            case += 1;
            match runner.run_sequence(case, ops, None) {
                Outcome::Failed(_) => Ok(true),
                Outcome::Passed { .. } => Ok(false),
                Outcome::Error(e) => Err(e),
            }
        })?;
        Ok((smallest, case + 1))
    }

    /// Shrinks as proptest does (simplify while `holds`, complicate while not, within the shrink
    /// budget): the smallest sequence `holds` was true of, `smallest` if none.
    fn shrink_loop<T: ValueTree<Value = Drawn>>(
        &self,
        tree: &mut T,
        mut smallest: Vec<Op>,
        holds: &mut dyn FnMut(&[Op]) -> Result<bool, String>,
    ) -> Result<Vec<Op>, String> {
        let started = Instant::now();
        let mut iterations = 0;
        if !tree.simplify() {
            return Ok(smallest);
        }
        loop {
            let out_of_time = self.config.max_shrink_time > 0
                && started.elapsed().as_millis() >= u128::from(self.config.max_shrink_time);
            if iterations >= self.config.max_shrink_iters || out_of_time {
                break;
            }
            if crate::interrupt::requested() {
                return Err("interrupted".into());
            }
            iterations += 1;
            let (_, ops, _) = tree.current();
            if holds(&ops)? {
                smallest = ops;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
        Ok(smallest)
    }
}

/// What a lane of a model-based run shares with the check: it runs the sequences handed to it
/// on a client of its own, each recorded under its number.
struct Lane<'l> {
    session: &'l crate::context::Session,
    config: &'l crate::config::Config,
    check_id: &'l str,
    sharing: crate::schedule::Sharing,
    endpoint: Endpoint,
    manual: bool,
    record: &'l Record,
}

impl Lane<'_> {
    /// Runs sequences until there are none left; returns the lane's notes and whether it asked
    /// for the version line.
    fn run(
        &self,
        mut http: crate::http::Http,
        work: &Mutex<mpsc::Receiver<(usize, Drawn)>>,
        done: mpsc::Sender<(usize, Outcome)>,
    ) -> (Vec<String>, bool) {
        let mut ctx = Ctx::new(&mut http, self.session, self.config, self.check_id);
        ctx.sharing = self.sharing;
        let mut runner = Runner::new(&mut ctx, self.endpoint, self.manual, self.record.clone());
        loop {
            let next = work.lock().unwrap_or_else(|e| e.into_inner()).recv();
            let Ok((i, (_, ops, seen))) = next else {
                break;
            };
            let outcome = runner.run_sequence(i + 1, &ops, seen.as_ref());
            if done.send((i, outcome)).is_err() {
                break;
            }
        }
        drop(runner);
        (ctx.notes, ctx.line_consulted.get())
    }
}

// ----- one sequence again, for differential mode ---------------------------------------------

/// The endpoint of a model-based run's check id.
fn endpoint_of_check(check_id: &str) -> Endpoint {
    if check_id.starts_with("directory/") {
        Endpoint::Directory
    } else {
        Endpoint::Presence
    }
}

/// One sequence of a model-based run as a check of its own, under the run's id (so under the
/// same prefixes, as sequence 1): differential mode re-runs a sequence on each server with it.
/// It passes when the target's answers match the model.
pub fn sequence_check(template: &super::Check, ops: Vec<Op>) -> super::Check {
    let endpoint = endpoint_of_check(&template.id);
    super::Check {
        run: Arc::new(move |ctx: &mut Ctx| {
            ctx.managed()?;
            let manual = ctx.session.test_control && endpoint == Endpoint::Presence;
            let record = Record::default();
            let outcome =
                Runner::new(ctx, endpoint, manual, record.clone()).run_sequence(1, &ops, None);
            let record = std::mem::take(&mut *record.lock().unwrap_or_else(|e| e.into_inner()));
            ctx.exchanges.extend(record.into_values().flatten());
            match outcome {
                Outcome::Passed { .. } => Ok(()),
                Outcome::Failed(f) => Err(Verdict::fail(
                    format!("step {}: {}", f.step, f.failure.message),
                    f.failure.expected,
                    f.failure.actual,
                )),
                Outcome::Error(e) => Err(Verdict::Error(e)),
            }
        }),
        ..template.clone()
    }
}

/// What a shrink of a sequence draws from: the run's seed and budget as the run had them.
pub struct SequenceSource<'a> {
    pub check_id: &'a str,
    pub seed: u64,
    pub sequences: u32,
    pub steps: u32,
    pub shrink_ms: u32,
    /// The presence run with clock moves (the target has test control).
    pub manual: bool,
}

/// Draws sequence `case` (1-based) of the model-based run `source` describes, exactly as the
/// run drew it, and shrinks it as proptest does while `holds` is true of it: the smallest
/// sequence for which it still holds. `holds` is first asked of the whole sequence.
pub fn shrink_sequence(
    source: &SequenceSource,
    case: usize,
    holds: &mut dyn FnMut(&[Op]) -> Result<bool, String>,
) -> Result<Vec<Op>, String> {
    let config = budget(source.sequences, source.shrink_ms);
    let endpoint = endpoint_of_check(source.check_id);
    let mut drive = Drive {
        config: config.clone(),
        test_runner: TestRunner::new_with_rng(
            config,
            TestRng::from_seed(
                RngAlgorithm::ChaCha,
                &property_seed(source.seed, source.check_id),
            ),
        ),
        endpoint,
        manual: source.manual && endpoint == Endpoint::Presence,
    };
    let steps = 1..=(source.steps.max(1) as usize);
    match (endpoint, drive.manual) {
        (Endpoint::Presence, true) => drive.shrink_while(
            &Machine::<false, true>::sequential_strategy(steps),
            case,
            holds,
        ),
        (Endpoint::Presence, false) => drive.shrink_while(
            &Machine::<false, false>::sequential_strategy(steps),
            case,
            holds,
        ),
        (Endpoint::Directory, _) => drive.shrink_while(
            &Machine::<true, false>::sequential_strategy(steps),
            case,
            holds,
        ),
    }
}

impl Drive {
    fn shrink_while<S: Strategy<Value = Drawn>>(
        &mut self,
        strategy: &S,
        case: usize,
        holds: &mut dyn FnMut(&[Op]) -> Result<bool, String>,
    ) -> Result<Vec<Op>, String> {
        let mut tree = None;
        for _ in 0..case.max(1) {
            tree = Some(self.draw(strategy).map_err(|v| format!("{v:?}"))?);
        }
        let mut tree = tree.expect("drawn at least once");
        let (_, smallest, seen) = tree.current();
        if !holds(&smallest)? {
            return Err("it does not show again when the sequence is run once more".into());
        }
        // Every operation ran: the shrink keeps them all to begin with.
        if let Some(seen) = &seen {
            seen.store(smallest.len(), Ordering::SeqCst);
        }
        self.shrink_loop(&mut tree, smallest, holds)
    }
}

/// A sequence of the model-based run `check_id` as numbered REST calls (names as sequence 1 of
/// a run has them, the run's prefix left out) and as a replay script.
pub fn describe_sequence(check_id: &str, ops: &[Op], manual: bool, line: Line) -> (String, String) {
    let names = match endpoint_of_check(check_id) {
        Endpoint::Presence => "p1-",
        Endpoint::Directory => "d1-",
    };
    (
        numbered_steps(ops, names, manual),
        replay_script(ops, manual, line),
    )
}

/// The verdict of a failing model-based run: the minimal failing sequence, re-checked as
/// sequence `case`, with its numbered steps and a replay script; an Error if it then passes.
fn conclude(mut runner: Runner, ops: Vec<Op>, case: usize, summary: String) -> Result<(), Verdict> {
    let seed = runner.ctx.session.seed;
    let check_id = runner.ctx.check_id.clone();
    let manual = runner.manual;
    let prefix = runner.prefix_for(case)?;
    match runner.run_sequence(case, &ops, None) {
        Outcome::Passed { .. } => Err(Verdict::Error(format!(
            "a failing sequence shrank to {} operations, then passed when re-checked: the target answers inconsistently ({summary})",
            ops.len()
        ))),
        Outcome::Error(e) => Err(Verdict::Error(e)),
        Outcome::Failed(f) => {
            let shown = &ops[..f.step.min(ops.len())];
            let steps = numbered_steps(shown, &prefix, manual);
            runner.ctx.note(format!(
                "replay script (bash; needs curl and jq):\n{}",
                replay_script(shown, manual, runner.ctx.line())
            ));
            runner.ctx.note(summary);
            Err(Verdict::fail(
                format!(
                    "after this minimal sequence the answer of step {} differs from the model: {}\n{steps}\nreplay with --seed {seed} --filter {check_id}, or with the curl script in the notes",
                    f.step, f.failure.message
                ),
                f.failure.expected,
                f.failure.actual,
            ))
        }
    }
}

/// The sequence as numbered REST calls, with the names the re-check used.
fn numbered_steps(ops: &[Op], prefix: &str, manual: bool) -> String {
    let mut world = World {
        manual_clock: manual,
        ..World::default()
    };
    let mut out = String::new();
    for (i, op) in ops.iter().enumerate() {
        apply_to_model(&mut world, op);
        out.push_str(&format!("{}. {}\n", i + 1, describe(op, &world, prefix)));
    }
    out.trim_end().to_owned()
}

fn who(world: &World, prefix: &str, caller: Caller) -> String {
    match caller {
        Caller::Admin => "the admin".into(),
        Caller::User(u) => world.users[u].username(prefix),
    }
}

/// One operation as the REST call(s) it makes.
fn describe(op: &Op, world: &World, p: &str) -> String {
    let user = |u: usize| world.users[u].username(p);
    let users = |us: &[usize]| us.iter().map(|u| user(*u)).collect::<Vec<_>>().join(", ");
    match op {
        Op::CreateUser { .. } => {
            let u = world.users.last().expect("created");
            format!(
                "POST /api/v1/users.create {} (name {:?}), then POST /api/v1/login as it",
                u.username(p),
                u.name.full(p)
            )
        }
        Op::SetStatus {
            user: u,
            status,
            message,
        } => format!(
            "POST /api/v1/users.setStatus as {}: status {}{}",
            user(*u),
            status.as_str(),
            message
                .map(|m| format!(", message {:?}", MESSAGES[m % MESSAGES.len()]))
                .unwrap_or_default()
        ),
        Op::EditProfile { user: u, field, .. } => describe_edit(world, p, *u, *field),
        Op::Deactivate { user: u } => {
            format!("POST /api/v1/users.setActiveStatus as the admin: {} inactive", user(*u))
        }
        Op::Reactivate { user: u } => format!(
            "POST /api/v1/users.setActiveStatus as the admin: {} active, then POST /api/v1/login as it",
            user(*u)
        ),
        Op::CreateRoom {
            private,
            team,
            members,
        } => {
            let r = world.rooms.last().expect("created");
            format!(
                "POST /api/v1/{} as the admin: {p}{}{}, members [{}]",
                if *private { "groups.create" } else { "channels.create" },
                r.local,
                team.map(|t| format!(" in team {p}{}", world.teams[t].local))
                    .unwrap_or_default(),
                users(members)
            )
        }
        Op::Invite { room, user: u } => format!(
            "POST /api/v1/channels.invite as the admin: {} into {p}{}",
            user(*u),
            world.rooms[*room].local
        ),
        Op::CreateTeam { private, members } => {
            let t = world.teams.last().expect("created");
            format!(
                "POST /api/v1/teams.create as the admin: {p}{} ({}), members [{}]",
                t.local,
                if *private { "private" } else { "public" },
                users(members)
            )
        }
        Op::Mark => format!(
            "from{} = an instant after every write so far{}",
            world.markers.len(),
            if world.manual_clock {
                " (clock stopped, then moved 2 ms)"
            } else {
                ""
            }
        ),
        Op::AdvanceClock { ms } => format!(
            "POST /test-control/clock/advance {ms} ms (the clock is {} ms past the start)",
            world.clock_ms
        ),
        Op::Presence { caller, query, .. } => describe_presence(world, p, *caller, query),
        Op::Directory { caller, query } => describe_directory(world, p, *caller, query),
    }
}

/// A profile edit in words.
fn describe_edit(world: &World, p: &str, u: usize, field: ProfileField) -> String {
    let m = &world.users[u];
    let value = match field {
        ProfileField::Name => Some(&m.name),
        ProfileField::Bio => m.bio.as_ref(),
        ProfileField::Nickname => m.nickname.as_ref(),
    };
    format!(
        "POST /api/v1/users.update as the admin: {} {} = {:?}",
        world.users[u].username(p),
        field.as_str(),
        value.map(|t| t.full(p)).unwrap_or_default()
    )
}

/// A presence query in words.
fn describe_presence(world: &World, p: &str, caller: Caller, query: &PresenceQuery) -> String {
    let users = |us: &[usize]| {
        us.iter()
            .map(|u| world.users[*u].username(p))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let query = &absolute(query, world);
    let q = match query {
        PresenceQuery::Full => "no parameters".to_owned(),
        PresenceQuery::Since { marker } => format!(
            "from = from{}{}",
            marker + 1,
            if world.manual_clock {
                format!(
                    " ({} ms old)",
                    world.clock_ms - world.markers[*marker].at_ms
                )
            } else {
                String::new()
            }
        ),
        PresenceQuery::Ids { users: us, unknown } => format!(
            "ids = [{}{}]",
            users(us),
            if *unknown { ", an unknown id" } else { "" }
        ),
    };
    format!(
        "GET /api/v1/users.presence as {}: {q}",
        who(world, p, caller)
    )
}

/// A directory query in words.
fn describe_directory(world: &World, p: &str, caller: Caller, query: &DirectoryQuery) -> String {
    format!(
        "GET /api/v1/directory as {}: type {}, text {:?}{}{}{}{}",
        who(world, p, caller),
        query.kind.as_str(),
        query.full_text(p),
        if query.workspace_all {
            ", workspace all"
        } else {
            ""
        },
        query
            .count
            .map(|c| format!(", count {c}"))
            .unwrap_or_default(),
        query
            .offset
            .map(|o| format!(", offset {o}"))
            .unwrap_or_default(),
        query
            .sort
            .map(|(f, asc)| format!(", sort {{\"{}\":{}}}", f.as_str(), if asc { 1 } else { -1 }))
            .unwrap_or_default()
    )
}

/// A bash script (curl and jq) that makes the same calls under a fresh prefix and prints the
/// answer of the last query; it removes what it created on exit.
pub fn replay_script(ops: &[Op], manual: bool, line: Line) -> String {
    let mut world = World {
        manual_clock: manual,
        ..World::default()
    };
    let mut s = String::from(
        r#"#!/usr/bin/env bash
# Replays a sequence found by the conformance suite's model-based run.
# Usage: URL=http://host:port ADMIN_USER_ID=… ADMIN_AUTH_TOKEN=… bash replay.sh
set -euo pipefail
: "${URL:?set URL}" "${ADMIN_USER_ID:?set ADMIN_USER_ID}" "${ADMIN_AUTH_TOKEN:?set ADMIN_AUTH_TOKEN}"
P="replay-$RANDOM-"
PW="replay-password-$RANDOM"
ADMIN=(-H "X-User-Id: $ADMIN_USER_ID" -H "X-Auth-Token: $ADMIN_AUTH_TOKEN")
post() { local path=$1 body=$2; shift 2; curl -sS -X POST "$URL$path" -H 'Content-Type: application/json' "$@" -d "$body"; }
CREATED=()
cleanup() {
  for item in "${CREATED[@]}"; do
    post "${item%% *}" "${item#* }" "${ADMIN[@]}" >/dev/null || true
  done
}
trap cleanup EXIT
"#,
    );
    if manual {
        s.push_str(
            "NOW=$(( $(date +%s) * 1000 - 7200000 ))\ncurl -sS -X PUT \"$URL/test-control/clock\" -H 'Content-Type: application/json' -d \"{\\\"nowMs\\\": $NOW}\" >/dev/null\n",
        );
    }
    for (i, op) in ops.iter().enumerate() {
        apply_to_model(&mut world, op);
        s.push_str(&format!(
            "\n# {}. {}\n",
            i + 1,
            describe(op, &world, "${P}")
        ));
        let uvar = |u: usize| format!("U{}", u + 1);
        match op {
            Op::CreateUser { .. } => {
                let n = world.users.len();
                let u = &world.users[n - 1];
                s.push_str(&format!(
                    "U{n}=$(post /api/v1/users.create \"{{\\\"username\\\":\\\"${{P}}{l}\\\",\\\"email\\\":\\\"${{P}}{l}@example.org\\\",\\\"name\\\":\\\"{name}\\\",\\\"password\\\":\\\"$PW\\\",\\\"joinDefaultChannels\\\":false}}\" \"${{ADMIN[@]}}\" | jq -r .user._id)\nCREATED=(\"/api/v1/users.delete {{\\\"userId\\\":\\\"$U{n}\\\"}}\" \"${{CREATED[@]}}\")\nT{n}=$(post /api/v1/login \"{{\\\"user\\\":\\\"${{P}}{l}\\\",\\\"password\\\":\\\"$PW\\\"}}\" | jq -r .data.authToken)\n",
                    l = u.local,
                    name = u.name.full("$P").replace('"', "\\\\\\\""),
                ));
            }
            Op::SetStatus {
                user,
                status,
                message,
            } => {
                let m = message
                    .map(|m| format!(",\\\"message\\\":\\\"{}\\\"", MESSAGES[m % MESSAGES.len()]))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "post /api/v1/users.setStatus \"{{\\\"status\\\":\\\"{}\\\"{m}}}\" -H \"X-User-Id: ${u}\" -H \"X-Auth-Token: $T{n}\" >/dev/null\n",
                    status.as_str(),
                    u = uvar(*user),
                    n = user + 1
                ));
            }
            Op::EditProfile { user, field, .. } => {
                let m = &world.users[*user];
                let value = match field {
                    ProfileField::Name => Some(&m.name),
                    ProfileField::Bio => m.bio.as_ref(),
                    ProfileField::Nickname => m.nickname.as_ref(),
                }
                .map(|t| t.full("${P}"))
                .unwrap_or_default();
                s.push_str(&format!(
                    "post /api/v1/users.update \"{{\\\"userId\\\":\\\"${}\\\",\\\"data\\\":{{\\\"{}\\\":\\\"{value}\\\"}}}}\" \"${{ADMIN[@]}}\" >/dev/null\n",
                    uvar(*user),
                    field.as_str()
                ));
            }
            Op::Deactivate { user } | Op::Reactivate { user } => {
                let active = matches!(op, Op::Reactivate { .. });
                s.push_str(&format!(
                    "post /api/v1/users.setActiveStatus \"{{\\\"userId\\\":\\\"${}\\\",\\\"activeStatus\\\":{active}}}\" \"${{ADMIN[@]}}\" >/dev/null\n",
                    uvar(*user)
                ));
                if active {
                    s.push_str(&format!(
                        "T{n}=$(post /api/v1/login \"{{\\\"user\\\":\\\"${{P}}{l}\\\",\\\"password\\\":\\\"$PW\\\"}}\" | jq -r .data.authToken)\n",
                        n = user + 1,
                        l = world.users[*user].local
                    ));
                }
            }
            Op::CreateRoom {
                private,
                team,
                members,
            } => {
                let n = world.rooms.len();
                let r = &world.rooms[n - 1];
                let names = members
                    .iter()
                    .map(|m| format!("\\\"${{P}}{}\\\"", world.users[*m].local))
                    .collect::<Vec<_>>()
                    .join(",");
                let team = team
                    .map(|t| format!(",\\\"extraData\\\":{{\\\"teamId\\\":\\\"$TEAM{}\\\"}}", t + 1))
                    .unwrap_or_default();
                let (path, key, del) = if *private {
                    ("groups.create", "group", "groups.delete")
                } else {
                    ("channels.create", "channel", "channels.delete")
                };
                s.push_str(&format!(
                    "R{n}=$(post /api/v1/{path} \"{{\\\"name\\\":\\\"${{P}}{l}\\\",\\\"members\\\":[{names}]{team}}}\" \"${{ADMIN[@]}}\" | jq -r .{key}._id)\nCREATED=(\"/api/v1/{del} {{\\\"roomId\\\":\\\"$R{n}\\\"}}\" \"${{CREATED[@]}}\")\n",
                    l = r.local
                ));
            }
            Op::Invite { room, user } => s.push_str(&format!(
                "post /api/v1/channels.invite \"{{\\\"roomId\\\":\\\"$R{}\\\",\\\"userId\\\":\\\"${}\\\"}}\" \"${{ADMIN[@]}}\" >/dev/null\n",
                room + 1,
                uvar(*user)
            )),
            Op::CreateTeam { private, members } => {
                let n = world.teams.len();
                let ids = members
                    .iter()
                    .map(|m| format!("\\\"${}\\\"", uvar(*m)))
                    .collect::<Vec<_>>()
                    .join(",");
                s.push_str(&format!(
                    "TEAM{n}=$(post /api/v1/teams.create \"{{\\\"name\\\":\\\"${{P}}{l}\\\",\\\"type\\\":{t},\\\"members\\\":[{ids}]}}\" \"${{ADMIN[@]}}\" | jq -r .team._id)\nCREATED=(\"/api/v1/teams.delete {{\\\"teamId\\\":\\\"$TEAM{n}\\\"}}\" \"${{CREATED[@]}}\")\n",
                    l = world.teams[n - 1].local,
                    t = if *private { 1 } else { 0 }
                ));
            }
            Op::Mark => {
                let n = world.markers.len();
                if manual {
                    s.push_str(&format!(
                        "FROM{n}=$(date -u -d \"@$(( (NOW + {at}) / 1000 )).$(printf %03d $(( (NOW + {at}) % 1000 )))\" +%Y-%m-%dT%H:%M:%S.%3NZ)\ncurl -sS -X PUT \"$URL/test-control/clock\" -H 'Content-Type: application/json' -d \"{{\\\"nowMs\\\": $(( NOW + {now} ))}}\" >/dev/null\n",
                        at = world.markers[n - 1].at_ms,
                        now = world.clock_ms
                    ));
                } else {
                    s.push_str(&format!(
                        "sleep 1; FROM{n}=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ); sleep 1  # assumes this machine's clock agrees with the server's\n"
                    ));
                }
            }
            Op::AdvanceClock { .. } => s.push_str(&format!(
                "curl -sS -X PUT \"$URL/test-control/clock\" -H 'Content-Type: application/json' -d \"{{\\\"nowMs\\\": $(( NOW + {} ))}}\" >/dev/null\n",
                world.clock_ms
            )),
            Op::Presence {
                caller,
                query,
                alternate_form,
            } => {
                let query = &absolute(query, &world);
                let params = match query {
                    PresenceQuery::Full => String::new(),
                    PresenceQuery::Since { marker } => {
                        format!(" --data-urlencode \"from=$FROM{}\"", marker + 1)
                    }
                    PresenceQuery::Ids { users, unknown } => {
                        let mut ids: Vec<String> =
                            users.iter().map(|u| format!("${}", uvar(*u))).collect();
                        if *unknown {
                            ids.push(UNKNOWN_ID.into());
                        }
                        if repeated_ids(*alternate_form, line) {
                            ids.iter()
                                .map(|id| format!(" --data-urlencode \"ids={id}\""))
                                .collect()
                        } else {
                            format!(" --data-urlencode \"ids={}\"", ids.join(","))
                        }
                    }
                };
                s.push_str(&format!(
                    "curl -sS -G \"$URL/api/v1/users.presence\"{params} {}\necho\n",
                    caller_headers(*caller)
                ));
            }
            Op::Directory { caller, query } => {
                let mut params = vec![
                    format!("type={}", query.kind.as_str()),
                    format!("text={}", query.full_text("${P}")),
                ];
                if query.workspace_all {
                    params.push("workspace=all".into());
                }
                if let Some(c) = query.count {
                    params.push(format!("count={c}"));
                }
                if let Some(o) = query.offset {
                    params.push(format!("offset={o}"));
                }
                if let Some((f, asc)) = query.sort {
                    params.push(format!(
                        "sort={{\\\"{}\\\":{}}}",
                        f.as_str(),
                        if asc { 1 } else { -1 }
                    ));
                }
                let params: String = params
                    .iter()
                    .map(|p| format!(" --data-urlencode \"{p}\""))
                    .collect();
                s.push_str(&format!(
                    "curl -sS -G \"$URL/api/v1/directory\"{params} {}\necho\n",
                    caller_headers(*caller)
                ));
            }
        }
    }
    if manual {
        s.push_str("\ncurl -sS -X DELETE \"$URL/test-control/clock\" >/dev/null\n");
    }
    s
}

fn caller_headers(caller: Caller) -> String {
    match caller {
        Caller::Admin => "\"${ADMIN[@]}\"".into(),
        Caller::User(u) => format!(
            "-H \"X-User-Id: $U{n}\" -H \"X-Auth-Token: $T{n}\"",
            n = u + 1
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;

    #[test]
    fn generated_sequences_respect_their_preconditions() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..20 {
            let tree = Machine::<false, true>::sequential_strategy(1..40)
                .new_tree(&mut runner)
                .expect("a sequence");
            let (mut world, ops, _) = tree.current();
            for op in &ops {
                assert!(Machine::<false, true>::preconditions(&world, op), "{op:?}");
                world = Machine::<false, true>::apply(world, op);
            }
        }
    }

    #[test]
    fn presence_machine_moves_the_clock_only_with_a_manual_clock() {
        let mut runner = TestRunner::deterministic();
        let mut saw_clock = false;
        for _ in 0..30 {
            let real = Machine::<false, false>::sequential_strategy(1..40)
                .new_tree(&mut runner)
                .expect("a sequence")
                .current();
            assert!(!real
                .1
                .iter()
                .any(|op| matches!(op, Op::AdvanceClock { .. })));
            let manual = Machine::<false, true>::sequential_strategy(1..40)
                .new_tree(&mut runner)
                .expect("a sequence")
                .current();
            saw_clock |= manual
                .1
                .iter()
                .any(|op| matches!(op, Op::AdvanceClock { .. }));
        }
        assert!(saw_clock);
    }

    #[test]
    fn the_replay_script_names_every_call_and_cleans_up() {
        let ops = vec![
            Op::CreateUser { style: 1, name: 0 },
            Op::CreateUser { style: 0, name: 2 },
            Op::SetStatus {
                user: 0,
                status: UserStatus::Busy,
                message: Some(0),
            },
            Op::Mark,
            Op::CreateTeam {
                private: true,
                members: vec![1],
            },
            Op::CreateRoom {
                private: false,
                team: Some(0),
                members: vec![0],
            },
            Op::AdvanceClock { ms: 599_999 },
            Op::Presence {
                caller: Caller::User(1),
                query: PresenceQuery::Since { marker: 0 },
                alternate_form: false,
            },
        ];
        let script = replay_script(&ops, true, Line::NEWEST);
        for needle in [
            "U1=$(post /api/v1/users.create",
            "T2=$(post /api/v1/login",
            "/api/v1/users.setStatus",
            "TEAM1=$(post /api/v1/teams.create",
            "\\\"extraData\\\":{\\\"teamId\\\":\\\"$TEAM1\\\"}",
            "FROM1=",
            "users.presence\" --data-urlencode \"from=$FROM1\"",
            "trap cleanup EXIT",
            "# 7. POST /test-control/clock/advance 599999 ms",
        ] {
            assert!(script.contains(needle), "{needle} missing in\n{script}");
        }
        let steps = numbered_steps(&ops, "p-", true);
        assert!(
            steps.starts_with("1. POST /api/v1/users.create p-u.1"),
            "{steps}"
        );
        assert!(
            steps.contains("8. GET /api/v1/users.presence as p-u2: from = from1 (600000 ms old)"),
            "{steps}"
        );
    }
}
