//! Expand → migrate → contract: the phase a migration declares, and the gate `up --phase` puts
//! before the first pending contract migration.
//!
//! A schema change that must not break the code running against the database is split over two
//! deploys: expand (add what the new code needs) and migrate (move the data) run before the new
//! code is rolled out; contract (remove what only the old code read) runs after it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The phase a migration declares; without a declaration it is `expand`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Adds what new code needs; old code keeps working.
    #[default]
    Expand,
    /// Moves or rewrites data; old and new code keep working.
    Migrate,
    /// Removes what only old code needs; runs once no old code is left.
    Contract,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Expand, Phase::Migrate, Phase::Contract];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Migrate => "migrate",
            Phase::Contract => "contract",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Phase {
    type Err = String;

    /// `expand`, `migrate` or `contract`, in any case.
    fn from_str(text: &str) -> Result<Phase, String> {
        let text = text.trim();
        Phase::ALL.into_iter().find(|phase| phase.as_str().eq_ignore_ascii_case(text)).ok_or_else(|| {
            format!("'{text}' is not a phase: a migration's phase is one of expand, migrate or contract")
        })
    }
}

/// How far `up --phase P` may go through the pending migrations, in order.
///
/// `expand` and `migrate` stop before the first pending `contract` migration (what follows it
/// waits for it too: versions apply in order); `contract` applies everything.
pub fn stops_before(wanted: Phase, migration_phase: Phase) -> bool {
    wanted != Phase::Contract && migration_phase == Phase::Contract
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_parse_in_any_case_and_refuse_others() {
        assert_eq!("Contract".parse::<Phase>(), Ok(Phase::Contract));
        assert_eq!(" expand ".parse::<Phase>(), Ok(Phase::Expand));
        let error = "cleanup".parse::<Phase>().unwrap_err();
        assert!(error.contains("'cleanup'") && error.contains("expand, migrate or contract"), "{error}");
        assert_eq!(Phase::default(), Phase::Expand);
    }

    #[test]
    fn only_contract_migrations_stop_an_expand_or_migrate_run() {
        for wanted in [Phase::Expand, Phase::Migrate] {
            assert!(stops_before(wanted, Phase::Contract));
            assert!(!stops_before(wanted, Phase::Migrate));
            assert!(!stops_before(wanted, Phase::Expand));
        }
        assert!(Phase::ALL.into_iter().all(|phase| !stops_before(Phase::Contract, phase)));
    }
}
