//! Group commit: which consecutive steps of a plan may share one transaction.
//!
//! Applying many small migrations is dominated by what each costs besides its own statements: a
//! transaction, a commit (a disk flush), a lease fence and the changelog writes. Consecutive steps
//! that each run in a transaction are therefore committed in groups: one transaction, one fence,
//! the records and history entries written together. The semantics do not change: a target runs a
//! group so that a failure is pinned to its migration, the ones before it stay applied and the
//! ones after it do not run. A step that runs outside a transaction is a group of its own.

use std::ops::Range;

use crate::plan::Step;

/// The default group size, chosen by measurement (bench/README.md, "group commit").
pub const DEFAULT_GROUP_SIZE: usize = 100;

/// Splits `steps` into runs of at most `max` consecutive transactional steps; every other step
/// stands alone. `max` of 0 or 1 puts every step in a group of its own.
pub fn groups(steps: &[Step], max: usize) -> Vec<Range<usize>> {
    let max = max.max(1);
    let mut groups: Vec<Range<usize>> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let joins = step.migration.meta.transactional
            && groups.last().is_some_and(|last| {
                last.end == index && last.len() < max && steps[last.start].migration.meta.transactional
            });
        match groups.last_mut() {
            Some(last) if joins => last.end = index + 1,
            _ => groups.push(index..index + 1),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Direction;
    use crate::testing::migration;

    fn step(version: i64, transactional: bool) -> Step {
        Step { direction: Direction::Up, migration: migration(version, transactional), previous: None, restart: false }
    }

    #[test]
    fn consecutive_transactional_steps_share_a_group_up_to_the_size() {
        let steps: Vec<Step> = (1..=7).map(|v| step(v, true)).collect();
        assert_eq!(groups(&steps, 3), [0..3, 3..6, 6..7]);
        assert_eq!(groups(&steps, 100), vec![(0..7)]);
    }

    #[test]
    fn a_step_outside_a_transaction_stands_alone() {
        let steps = [step(1, true), step(2, true), step(3, false), step(4, false), step(5, true)];
        assert_eq!(groups(&steps, 10), [0..2, 2..3, 3..4, 4..5]);
    }

    #[test]
    fn size_one_or_zero_turns_grouping_off() {
        let steps: Vec<Step> = (1..=3).map(|v| step(v, true)).collect();
        assert_eq!(groups(&steps, 1), [0..1, 1..2, 2..3]);
        assert_eq!(groups(&steps, 0), [0..1, 1..2, 2..3]);
        assert!(groups(&[], 5).is_empty());
    }
}
