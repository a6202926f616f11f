/*!
Differential mode's shrinking. A divergence that a sequence of a model-based run showed is
brought down to the smallest sequence that still shows a divergence between the two servers,
as a model-based failure is brought down to the smallest that still fails. Each candidate runs
as a check of its own on each server (a run of its own: set-up, the sequence's data under a new
prefix, its removal), the two runs are compared as the whole catalog's were
([`crate::differential::compare`]), and the smallest sequence is run on both once more before
it is reported, with its numbered steps and a replay script.

The sequences are drawn again from the run's seed, exactly as the run drew them, so nothing of
the first runs needs to be kept but the sequence's number.
*/

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{describe_sequence, sequence_check, shrink_sequence, Check, SequenceSource};
use crate::config::Config;
use crate::differential::{compare, Divergence};
use crate::runner::{run_checks, Outcome, Quiet, Report};
use crate::versions::Line;

/// Shrinks the divergences of the model-based runs: for each such check, the first sequence
/// that diverged; every divergence of the check gets the minimal sequence and its replay script.
/// `progress` hears what is being shrunk.
pub fn shrink_model_divergences(
    target: &Config,
    other: &Config,
    target_report: &Report,
    other_report: &Report,
    divergences: &mut [Divergence],
    progress: &mut dyn FnMut(&str),
) {
    let catalog = crate::catalog::catalog();
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    for d in divergences.iter() {
        if let (Some(sequence), false) = (d.sequence, first.contains_key(&d.check)) {
            first.insert(d.check.clone(), sequence);
        }
    }
    for (check_id, sequence) in first {
        let Some(check) = catalog.iter().find(|c| c.id == check_id) else {
            continue;
        };
        if crate::interrupt::requested() {
            return;
        }
        progress(&format!(
            "differential mode: shrinking the divergence of {check_id} (sequence {sequence}) on both servers"
        ));
        let (steps, script) =
            match shrink_one(check, sequence, target, other, target_report, other_report) {
                Ok(found) => found,
                Err(why) => (format!("not shrunk: {why}"), String::new()),
            };
        for d in divergences.iter_mut().filter(|d| d.check == check_id) {
            d.minimal_sequence = Some(steps.clone());
            d.replay_script = (!script.is_empty()).then(|| script.clone());
        }
    }
}

/// The minimal sequence (numbered steps, with the divergences it shows) and its replay script.
fn shrink_one(
    check: &Check,
    sequence: usize,
    target: &Config,
    other: &Config,
    target_report: &Report,
    other_report: &Report,
) -> Result<(String, String), String> {
    let manual = target_report.target.test_control == Some(true);
    if other_report.target.test_control != target_report.target.test_control {
        return Err(
            "one server has the reference server's test control and the other has not, so their presence runs drew different sequences".into(),
        );
    }
    let source = SequenceSource {
        check_id: &check.id,
        seed: target_report.seed,
        sequences: target.model_sequences,
        steps: target.model_steps,
        shrink_ms: target.model_shrink_ms,
        manual,
    };
    let single = |c: &Config| Config {
        filters: Vec::new(),
        skips: Vec::new(),
        levels: Vec::new(),
        expect_fail: BTreeMap::new(),
        seed: Some(target_report.seed),
        jobs: 1,
        ..c.clone()
    };
    let (t_config, o_config) = (single(target), single(other));
    let diverging = |ops: &[crate::catalog::Op]| -> Result<BTreeSet<String>, String> {
        let run = |config: &Config| {
            let report = run_checks(config, &[sequence_check(check, ops.to_vec())], &mut Quiet);
            match report.outcome {
                Outcome::NotJudged => Err(format!(
                    "{} could not be judged: {}",
                    config.url,
                    report
                        .setup_error
                        .or(report.stopped)
                        .unwrap_or_else(|| "the sequence did not run".into())
                )),
                _ => Ok(report),
            }
        };
        let (t, o) = (run(&t_config)?, run(&o_config)?);
        Ok(compare(&t, &o, &BTreeMap::new())
            .into_iter()
            .map(|d| d.id)
            .collect())
    };
    let minimal = shrink_sequence(&source, sequence, &mut |ops| {
        diverging(ops).map(|ids| !ids.is_empty())
    })?;
    let shown = diverging(&minimal)?;
    if shown.is_empty() {
        return Err(format!(
            "a sequence of {} operations diverged while shrinking, then not when re-checked on both: one of the servers answers inconsistently",
            minimal.len()
        ));
    }
    let line = target_report
        .target
        .judged_as
        .as_ref()
        .map_or(Line::NEWEST, |j| j.line);
    let (steps, script) = describe_sequence(&check.id, &minimal, manual, line);
    Ok((
        format!(
            "{steps}\nre-checked on both servers, it shows: {}",
            shown.into_iter().collect::<Vec<_>>().join(", ")
        ),
        script,
    ))
}
