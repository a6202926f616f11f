/*!
Runs checks side by side (`--jobs`) without letting two of them disturb each other. Each check
declares in its [`Sharing`] what of the target's shared state it relies on or changes: the
clock, the population of users and rooms, or everything (settings and clock changes through
test control). The [`Plan`] hands checks to workers in a fixed order and starts one only when
it conflicts with no running check and with no earlier check still waiting, so two conflicting
checks run one after the other, in that order, exactly as they would with one job. Results are
put back in catalog order by the runner.
*/

use std::sync::{Arc, Condvar, Mutex};

/// How a check relies on the target's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Its verdict does not depend on the time.
    Free,
    /// It reads the target's time (a `from` taken from its present, a write after a `from`)
    /// and expects the clock to run on undisturbed.
    Reads,
    /// It reads the target's time with a minute's slack or more (a `from` a minute old, twelve
    /// minutes old, an hour ahead): a stop on the next whole minute does not change its verdict.
    ReadsWithSlack,
    /// It stops the clock on a whole minute (test control) and only reads it after: checks of
    /// this kind share one stop.
    StopsOnMinute,
    /// It sets the clock anywhere (test control): nothing else that uses the clock runs beside
    /// it.
    Moves,
    /// It moves the time its own requests see: on a clock of its own per request where test
    /// control gives one (the target's clock is left alone: as [`Clock::Free`]), else on the
    /// target's clock (as [`Clock::Moves`]); without test control it only reads the time (as
    /// [`Clock::Reads`]). [`Sharing::resolved`] says which.
    MovesOwn,
}

/// How a check relies on the users and rooms of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// Its verdict rests on one answer's own content, or on data no other check changes.
    Free,
    /// It compares answers over data it did not make (pages of every user, a delta of every
    /// change): another check's writes in between would change them.
    Reads,
    /// It creates and changes data of its own (managed mode), judging only that data.
    Writes,
}

/// What a check shares with the checks that may run beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharing {
    pub clock: Clock,
    pub data: Data,
    /// It changes what every check relies on (the target's settings, its clock far away): it
    /// runs with nothing beside it.
    pub alone: bool,
}

impl Sharing {
    /// Runs with nothing else.
    pub const ALONE: Sharing = Sharing {
        clock: Clock::Moves,
        data: Data::Writes,
        alone: true,
    };
    /// Needs nothing shared: validation, envelopes, one answer's own content.
    pub const INDEPENDENT: Sharing = Sharing {
        clock: Clock::Free,
        data: Data::Free,
        alone: false,
    };
    /// Compares answers over data it did not make.
    pub const READS_DATA: Sharing = Sharing {
        data: Data::Reads,
        ..Sharing::INDEPENDENT
    };
    /// Reads the target's time and compares answers over data it did not make.
    pub const READS_TIME: Sharing = Sharing {
        clock: Clock::Reads,
        data: Data::Reads,
        alone: false,
    };
    /// Reads the target's time with a minute's slack; one answer's own content.
    pub const READS_CLOCK_WITH_SLACK: Sharing = Sharing {
        clock: Clock::ReadsWithSlack,
        ..Sharing::INDEPENDENT
    };
    /// Stops the clock on a whole minute, shared with others of its kind.
    pub const STOPS_CLOCK_ON_MINUTE: Sharing = Sharing {
        clock: Clock::StopsOnMinute,
        ..Sharing::INDEPENDENT
    };
    /// Managed mode: makes and judges its own data; the time does not matter.
    pub const WRITES_DATA: Sharing = Sharing {
        data: Data::Writes,
        ..Sharing::INDEPENDENT
    };
    /// Managed mode: makes and judges its own data, reading the time.
    pub const OWN_DATA: Sharing = Sharing {
        clock: Clock::Reads,
        data: Data::Writes,
        alone: false,
    };

    /// The sharing on a target with or without test control, and with or without its clock per
    /// request: [`Clock::MovesOwn`] becomes what it does there.
    pub fn resolved(self, test_control: bool, request_clock: bool) -> Sharing {
        let clock = match (self.clock, test_control, request_clock) {
            (Clock::MovesOwn, true, true) => Clock::Free,
            (Clock::MovesOwn, true, false) => Clock::Moves,
            (Clock::MovesOwn, false, _) => Clock::Reads,
            (clock, _, _) => clock,
        };
        Sharing { clock, ..self }
    }

    /// Whether the two may not run at the same time.
    pub fn conflicts(&self, other: &Sharing) -> bool {
        use Clock::*;
        let clock = !matches!(
            (self.clock, other.clock),
            (Free, _)
                | (_, Free)
                | (Reads | ReadsWithSlack, Reads | ReadsWithSlack)
                | (
                    StopsOnMinute | ReadsWithSlack,
                    StopsOnMinute | ReadsWithSlack
                )
        );
        let data = matches!(
            (self.data, other.data),
            (Data::Reads, Data::Writes) | (Data::Writes, Data::Reads)
        );
        self.alone || other.alone || clock || data
    }
}

/// The order in which waiting checks are handed out, and which are running.
pub struct Plan {
    sharing: Vec<Sharing>,
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    /// Indices into `sharing`, in the order they are to start.
    waiting: Vec<usize>,
    running: Vec<usize>,
    /// No more checks start (the run stops); the waiting ones are given back by
    /// [`Plan::abandoned`].
    closed: bool,
}

impl Plan {
    /// A plan for checks with these sharings, started in `order` (indices into `sharing`).
    pub fn new(sharing: Vec<Sharing>, order: Vec<usize>) -> Self {
        Self {
            sharing,
            state: Mutex::new(State {
                waiting: order,
                running: Vec::new(),
                closed: false,
            }),
            changed: Condvar::new(),
        }
    }

    /// The next check to run, waiting until one may start; `None` when none is left or the
    /// plan is closed.
    pub fn next(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.closed || state.waiting.is_empty() {
                return None;
            }
            if let Some(pos) = self.startable(&state) {
                let index = state.waiting.remove(pos);
                state.running.push(index);
                return Some(index);
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The position in `waiting` of the first check that conflicts neither with a running one
    /// nor with one waiting before it.
    fn startable(&self, state: &State) -> Option<usize> {
        let conflicts = |a: usize, b: usize| self.sharing[a].conflicts(&self.sharing[b]);
        (0..state.waiting.len()).find(|&pos| {
            let candidate = state.waiting[pos];
            !state.running.iter().any(|&r| conflicts(candidate, r))
                && !state.waiting[..pos]
                    .iter()
                    .any(|&earlier| conflicts(candidate, earlier))
        })
    }

    /// The check at `index` has finished.
    pub fn finished(&self, index: usize) {
        let mut state = self.lock();
        state.running.retain(|&r| r != index);
        drop(state);
        self.changed.notify_all();
    }

    /// Starts nothing more.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// The checks that never started, once the workers are done.
    pub fn abandoned(&self) -> Vec<usize> {
        std::mem::take(&mut self.lock().waiting)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The one stop of the clock on a whole minute that the running checks of
/// [`Clock::StopsOnMinute`] share: the first to join makes it, the last to leave undoes it.
#[derive(Debug, Clone, Default)]
pub struct SharedStop(Arc<Mutex<StopState>>);

#[derive(Debug, Default)]
struct StopState {
    minute: Option<i64>,
    holders: usize,
}

impl SharedStop {
    /// The minute the clock is stopped on, stopping it with `stop` if no running check holds a
    /// stop (the others wait meanwhile).
    pub fn join<E>(&self, stop: impl FnOnce() -> Result<i64, E>) -> Result<i64, E> {
        let mut state = self.lock();
        let minute = match state.minute {
            Some(minute) => minute,
            None => {
                let minute = stop()?;
                state.minute = Some(minute);
                minute
            }
        };
        state.holders += 1;
        Ok(minute)
    }

    /// Leaves the stop; the last holder runs `restore` (the others wait meanwhile).
    pub fn leave<T>(&self, restore: impl FnOnce() -> T) -> Option<T> {
        let mut state = self.lock();
        state.holders = state.holders.saturating_sub(1);
        (state.holders == 0 && state.minute.take().is_some()).then(restore)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StopState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How many checks run at once when `--jobs` is not given.
pub const DEFAULT_JOBS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_follow_the_declared_sharing() {
        let s = |clock, data| Sharing {
            clock,
            data,
            alone: false,
        };
        assert!(Sharing::ALONE.conflicts(&Sharing::INDEPENDENT));
        assert!(Sharing::INDEPENDENT.conflicts(&Sharing::ALONE));
        assert!(!Sharing::INDEPENDENT.conflicts(&Sharing::INDEPENDENT));
        // Writers judge only their own data; readers of others' data see theirs.
        assert!(!Sharing::OWN_DATA.conflicts(&Sharing::OWN_DATA));
        assert!(Sharing::OWN_DATA.conflicts(&Sharing::READS_DATA));
        assert!(!Sharing::READS_DATA.conflicts(&Sharing::READS_TIME));
        // One stop on a minute is shared; a moved clock or a running one is not.
        assert!(!Sharing::STOPS_CLOCK_ON_MINUTE.conflicts(&Sharing::STOPS_CLOCK_ON_MINUTE));
        assert!(Sharing::STOPS_CLOCK_ON_MINUTE.conflicts(&Sharing::READS_TIME));
        assert!(!Sharing::STOPS_CLOCK_ON_MINUTE.conflicts(&Sharing::READS_CLOCK_WITH_SLACK));
        assert!(!Sharing::READS_TIME.conflicts(&Sharing::READS_CLOCK_WITH_SLACK));
        let moves = s(Clock::Moves, Data::Free);
        assert!(moves.conflicts(&moves));
        assert!(moves.conflicts(&Sharing::STOPS_CLOCK_ON_MINUTE));
        assert!(moves.conflicts(&Sharing::READS_CLOCK_WITH_SLACK));
        assert!(!moves.conflicts(&Sharing::READS_DATA));
    }

    #[test]
    fn a_clock_of_its_own_per_request_leaves_the_shared_clock_free() {
        let own = Sharing {
            clock: Clock::MovesOwn,
            data: Data::Writes,
            alone: false,
        };
        let clock = |test_control, request_clock| own.resolved(test_control, request_clock).clock;
        assert_eq!(clock(true, true), Clock::Free);
        assert_eq!(clock(true, false), Clock::Moves);
        assert_eq!(clock(false, false), Clock::Reads);
        let resolved = own.resolved(true, true);
        assert!(!resolved.conflicts(&Sharing::STOPS_CLOCK_ON_MINUTE));
        assert!(!resolved.conflicts(&Sharing::OWN_DATA));
        assert!(own.resolved(true, false).conflicts(&Sharing::OWN_DATA));
        assert_eq!(
            Sharing::READS_TIME.resolved(true, true),
            Sharing::READS_TIME
        );
    }

    #[test]
    fn a_conflicting_check_never_overtakes_an_earlier_one() {
        let moves = Sharing {
            clock: Clock::Moves,
            ..Sharing::INDEPENDENT
        };
        let plan = Plan::new(
            vec![
                Sharing::READS_TIME,
                moves,
                Sharing::READS_TIME,
                Sharing::INDEPENDENT,
            ],
            vec![0, 1, 2, 3],
        );
        assert_eq!(plan.next(), Some(0));
        // 1 conflicts with the running 0; 2 must not overtake 1; 3 may.
        assert_eq!(plan.next(), Some(3));
        plan.finished(0);
        assert_eq!(plan.next(), Some(1));
        plan.finished(1);
        plan.finished(3);
        assert_eq!(plan.next(), Some(2));
        plan.finished(2);
        assert_eq!(plan.next(), None);
    }

    #[test]
    fn the_first_holder_stops_the_clock_and_the_last_restores_it() {
        let stop = SharedStop::default();
        let mut stops = 0;
        assert_eq!(
            stop.join(|| -> Result<i64, ()> {
                stops += 1;
                Ok(60_000)
            }),
            Ok(60_000)
        );
        assert_eq!(
            stop.join(|| -> Result<i64, ()> {
                stops += 1;
                Ok(120_000)
            }),
            Ok(60_000)
        );
        assert_eq!(stops, 1);
        assert_eq!(stop.leave(|| "restored"), None);
        assert_eq!(stop.leave(|| "restored"), Some("restored"));
        // A failed stop is no stop: the next one tries again.
        assert_eq!(stop.join(|| Err::<i64, &str>("refused")), Err("refused"));
        assert_eq!(
            stop.join(|| -> Result<i64, ()> { Ok(180_000) }),
            Ok(180_000)
        );
    }

    #[test]
    fn a_closed_plan_gives_back_what_never_started() {
        let plan = Plan::new(vec![Sharing::ALONE; 3], vec![2, 0, 1]);
        assert_eq!(plan.next(), Some(2));
        plan.close();
        assert_eq!(plan.next(), None);
        assert_eq!(plan.abandoned(), vec![0, 1]);
    }
}
