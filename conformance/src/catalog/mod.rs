/*!
The check catalog: one item per requirement, built by [`catalog`]. Each submodule holds the
checks of one area, each check written right below the sentence it enforces. The catalog is
data (ids, levels, sources, needs, and a body), so the runner, `--list`, and a later kill-matrix
test all read the same list.
*/

use std::{fmt, panic::Location, sync::Arc};

use crate::context::Ctx;

use crate::contract::{rule, Rule};
use crate::schedule::Sharing;
use crate::versions::Lines;
use crate::vocabulary::{endpoint_of, Level, Needs, Verdict};

mod auth;
mod directory;
mod expect;
mod managed_checks;
mod model_run;
pub use model_run::{describe_sequence, sequence_check, shrink_sequence, Op, SequenceSource};
mod presence;
mod properties;

/// The body of a check: `Ok(())` is a pass.
pub type CheckFn = Arc<dyn Fn(&mut Ctx) -> Result<(), Verdict> + Send + Sync>;

/// One requirement of the catalog.
#[derive(Clone)]
pub struct Check {
    /// Hierarchical id, `endpoint/topic/rule`, e.g. `presence/cutoff/older-than-10-min-is-full`.
    pub id: String,
    pub level: Level,
    /// What the check enforces, in a sentence.
    pub sentence: &'static str,
    /// The contract rules it enforces: anchors of `docs/contract/*.md`, the most specific
    /// first.
    pub rules: &'static [&'static str],
    pub needs: Needs,
    /// Why no defect of the kill matrix can make this check fail, when none can. The kill-matrix
    /// test (`tests/kill_matrix.rs`) accepts an unkilled check only with a reason written here.
    pub kill_exemption: Option<&'static str>,
    /// The Rocket.Chat version lines its rule holds for; elsewhere it is not applicable.
    pub lines: Lines,
    /// What of the target's shared state it relies on or changes, so that `--jobs` never runs
    /// it beside a check it would disturb.
    pub sharing: Sharing,
    /// It sends many requests: with several jobs it starts before the others.
    pub long: bool,
    /// Where the check is registered, beside its body (`file:line`).
    pub location: &'static Location<'static>,
    pub run: CheckFn,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl Check {
    /// The first segment of the id: `presence` or `directory`.
    pub fn endpoint(&self) -> &str {
        endpoint_of(&self.id)
    }

    /// Its rules as the reports cite them: each one's document and anchor, and where known
    /// its upstream source; unknown anchors as they are (a test keeps there being none).
    pub fn source(&self) -> String {
        self.rules
            .iter()
            .map(|a| {
                rule(a)
                    .map(Rule::citation)
                    .unwrap_or_else(|| format!("unknown rule {a}"))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The check, holding only on these version lines.
    pub fn holds_for(mut self, lines: Lines) -> Check {
        self.lines = lines;
        self
    }

    /// The check, sharing this with the others (a check that needs test control stays alone
    /// unless it says otherwise here).
    pub fn shares(mut self, sharing: Sharing) -> Check {
        self.sharing = sharing;
        self
    }

    /// The check, started first when checks run side by side.
    pub fn long(mut self) -> Check {
        self.long = true;
        self
    }

    /// `file:line` of its registration.
    pub fn code(&self) -> String {
        format!("{}:{}", self.location.file(), self.location.line())
    }
}

/// Every check, in a stable order (by area, then as written).
pub fn catalog() -> Vec<Check> {
    let mut out = Vec::new();
    presence::add(&mut out);
    directory::add(&mut out);
    out
}

/// Declares what the checks added since `start` share, except those that run alone (they need
/// test control or declared it).
fn shared_as(out: &mut [Check], start: usize, sharing: Sharing) {
    for c in out[start..].iter_mut().filter(|c| !c.sharing.alone) {
        c.sharing = sharing;
    }
}

/// What a check shares unless it says otherwise: everything when it needs test control, its own
/// data in managed mode, else the clock and others' data (read).
fn default_sharing(needs: Needs) -> Sharing {
    if needs.test_control {
        Sharing::ALONE
    } else if needs.admin {
        Sharing::OWN_DATA
    } else {
        Sharing::READS_TIME
    }
}

/// Builds a catalog item, recording where it is registered.
#[track_caller]
pub(crate) fn check(
    id: impl Into<String>,
    level: Level,
    needs: Needs,
    sentence: &'static str,
    rules: &'static [&'static str],
    run: impl Fn(&mut Ctx) -> Result<(), Verdict> + Send + Sync + 'static,
) -> Check {
    Check {
        id: id.into(),
        level,
        sentence,
        rules,
        needs,
        kill_exemption: None,
        lines: Lines::ALL,
        sharing: default_sharing(needs),
        long: false,
        location: Location::caller(),
        run: Arc::new(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_hierarchical_and_sourced() {
        let all = catalog();
        let mut seen = HashSet::new();
        for c in &all {
            assert!(seen.insert(c.id.clone()), "duplicate id {}", c.id);
            assert!(
                c.id.split('/').count() >= 3,
                "{} is not endpoint/topic/rule",
                c.id
            );
            assert!(matches!(c.endpoint(), "presence" | "directory"), "{}", c.id);
            assert!(
                c.id.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "-/".contains(ch)),
                "{} has odd characters",
                c.id
            );
            assert!(!c.sentence.is_empty() && !c.rules.is_empty(), "{}", c.id);
        }
    }
}
