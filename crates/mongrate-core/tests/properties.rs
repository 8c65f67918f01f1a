//! Property tests of the core's parsers: migration file names and versions, the discovery of a
//! migrations directory, `mongrate.toml`, `${VAR}` interpolation and the timestamps of new files.
//!
//! Each is fed random and mutated input and must not panic: it gives a value, or an error that
//! names the input (the file, the field, the variable).

use std::path::Path;
use std::time::Duration;

use mongrate_core::config::{Overrides, Settings};
use mongrate_core::discovery::{MIGRATION_EXTENSIONS, is_script_companion, scan};
use mongrate_core::interpolation::interpolate;
use mongrate_core::naming::new_file_name;
use mongrate_core::timestamp::{compact_utc, rfc3339_millis};
use mongrate_core::{ErrorKind, Version};
use mongrate_testkit::{mutated, noise};
use proptest::prelude::*;

const NAME_TOKENS: &[&str] = &["20261122093000", "2024-01-15T10-30-00", "001", "-", "_", ".", ".sql", ".yaml", "T"];

/// A real configuration, with every section and an interpolated value.
const CONFIG: &str = r#"url = "postgres://${PGUSER:-app}:${PGPASSWORD}@${PGHOST:-localhost}:5432/app"
migrations_dir = "db/migrations"
connect_timeout_seconds = 5

[tables]
migrations = "app.schema_migrations"
history = "schema_history"
lock = "schema_lock"

[lock]
ttl_seconds = 30
timeout_seconds = 60
"#;

#[rustfmt::skip]
const CONFIG_TOKENS: &[&str] = &[
    "${", "}", ":-", "$$", "[lock]", "[tables]", "[collections]", "url", "=", "\"", "'''", "ttl_seconds", "0",
    "-1", "99999999999999999999", "\n[", ".", "true",
];

fn env(name: &str) -> Option<String> {
    match name {
        "PGPASSWORD" => Some("s3cret".into()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

/// A file name some file system could hold: no `/`, no NUL, not `.`/`..`, not too long.
fn storable(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']) && name.len() < 200
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_file_stem_gives_its_leading_version_or_says_why_not(stem in prop_oneof![
        mutated("20261122093000-add-email-index", NAME_TOKENS),
        mutated("2024-01-15T10-30-00_add-field", NAME_TOKENS),
        noise(NAME_TOKENS),
    ]) {
        match Version::from_file_stem(&stem) {
            Ok((version, rest)) => {
                prop_assert!(version.as_integer().is_some_and(|n| n >= 0));
                prop_assert!(stem.ends_with(rest), "{rest:?} is the end of {stem:?}");
                prop_assert!(stem.starts_with(|c: char| c.is_ascii_digit()));
            }
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn a_typed_version_reads_as_its_number_or_is_quoted_back(text in prop_oneof![
        "[0-9]{1,25}",
        " ?0{0,5}[0-9]{0,20} ?",
        noise(NAME_TOKENS),
    ]) {
        match Version::parse(&text) {
            Ok(version) => {
                let trimmed = text.trim();
                if !trimmed.contains('.') && !trimmed.starts_with("R__") {
                    let digits = trimmed.trim_start_matches('0');
                    prop_assert_eq!(version.to_string(), if digits.is_empty() { "0" } else { digits });
                }
                // Shown as it reads back: what a changelog stores is read as the same version.
                prop_assert_eq!(Version::parse(&version.to_string()), Ok(version.clone()));
            }
            Err(why) => prop_assert!(why.contains(text.trim()), "{why} quotes {text:?}"),
        }
    }

    #[test]
    fn every_version_up_to_eighteen_digits_reads_back(number in 0i64..1_000_000_000_000_000_000, zeros in 0usize..4) {
        let text = format!("{}{number}", "0".repeat(zeros));
        prop_assert_eq!(Version::parse(&text), Ok(Version::number(number)));
        let stem = format!("{text}_x");
        prop_assert_eq!(Version::from_file_stem(&stem), Ok((Version::number(number), "x")));
    }

    #[test]
    fn a_new_file_name_sorts_after_every_existing_version(
        // From 1970 to the last millisecond of year 9999: the clock `create` reads.
        now in 0i64..253_402_300_800_000,
        existing in proptest::collection::vec(0i64..1_000_000_000_000_000_000, 0..4),
        name in noise(&["add", " ", "index", "!"]),
    ) {
        let existing: Vec<Version> = existing.into_iter().map(Version::number).collect();
        match new_file_name(now, &existing, &name, "sql") {
            Ok(file_name) => {
                let stem = file_name.strip_suffix(".sql").expect("the extension is kept");
                let (version, slug) = Version::from_file_stem(stem).expect("a new name reads back");
                prop_assert!(existing.iter().all(|v| *v < version), "{file_name} after {existing:?}");
                prop_assert!(!slug.is_empty());
            }
            Err(why) => prop_assert!(why.contains(&name) || why.contains("no version can follow"), "{why}"),
        }
    }

    #[test]
    fn any_millisecond_has_a_timestamp(millis in any::<i64>()) {
        let text = rfc3339_millis(millis);
        prop_assert!(text.ends_with('Z'));
        prop_assert!(!compact_utc(millis).is_empty());
    }

    #[test]
    fn interpolation_gives_text_or_names_the_reference(text in prop_oneof![
        mutated("postgres://${PGUSER:-app}:${PGPASSWORD}@${HOST:-db}/a$$b", CONFIG_TOKENS),
        noise(CONFIG_TOKENS),
    ]) {
        match interpolate(&text, &env) {
            Ok(out) => {
                if !text.contains('$') {
                    prop_assert_eq!(out, text);
                }
            }
            Err(why) => {
                // The message quotes the text, the malformed reference or the unset variable.
                let quoted = [("'${", "}'"), ("environment variable ", " is not set")].iter().find_map(|(open, close)| {
                    let start = why.find(open)? + open.len();
                    let end = start + why[start..].find(close)?;
                    Some(why[start..end].to_owned())
                });
                let names_input = why.contains(&text) || quoted.is_some_and(|part| text.contains(&part));
                prop_assert!(names_input, "{why} names part of {text:?}");
            }
        }
    }

    #[test]
    fn a_configuration_file_is_read_or_refused_by_name(body in prop_oneof![
        8 => mutated(CONFIG, CONFIG_TOKENS),
        1 => noise(CONFIG_TOKENS),
    ]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mongrate.toml");
        std::fs::write(&path, &body).unwrap();
        match Settings::resolve(Some(&path), &env, Overrides::default()) {
            Ok(settings) => {
                let year = Duration::from_secs(365 * 24 * 3600);
                prop_assert!(settings.lock_ttl >= Duration::from_secs(1) && settings.lock_ttl <= year);
                prop_assert!(settings.lock_timeout <= year && settings.connect_timeout <= year);
            }
            Err(error) => {
                prop_assert_eq!(error.kind, ErrorKind::Config);
                let names_field = ["lock ttl", "lock timeout", "connect timeout"].iter().any(|f| error.message.contains(f));
                prop_assert!(error.message.contains(&path.display().to_string()) || names_field, "{}", error.message);
            }
        }
    }

    #[test]
    fn a_migrations_directory_gives_files_or_names_each_bad_one(
        files in proptest::collection::vec(
            (
                prop_oneof![
                    mutated("20261122093000-add-index", NAME_TOKENS),
                    mutated("001_init", NAME_TOKENS),
                    noise(NAME_TOKENS),
                ],
                prop_oneof![proptest::sample::select(MIGRATION_EXTENSIONS).prop_map(str::to_owned), "[a-zA-Z]{0,4}"],
                prop_oneof![
                    "[ -~\n]{0,40}".prop_map(String::into_bytes),
                    proptest::collection::vec(any::<u8>(), 0..40),
                ],
            ),
            1..5,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut written = Vec::new();
        for (stem, extension, content) in files {
            let name = format!("{stem}.{extension}");
            if storable(&name) && std::fs::write(dir.path().join(&name), content).is_ok() {
                written.push(name);
            }
        }
        let (found, problems) = scan(dir.path(), None).unwrap();
        for file in &found {
            let stem = file.file_name.rsplit_once('.').map(|(stem, _)| stem).unwrap();
            // The version leads every name (a pair's `.up` and `.down` come after it).
            prop_assert_eq!(Version::from_file_stem(stem).map(|(v, _)| v), Ok(file.version.clone()));
            prop_assert_eq!(&std::fs::read_to_string(&file.path).unwrap(), &file.content);
        }
        // Files of different layouts: the directory is refused as a whole, two of them named.
        let mixed = problems.iter().any(|p| p.contains("mixes layouts"));
        prop_assert!(!mixed || found.is_empty());
        for problem in &problems {
            prop_assert!(written.iter().any(|name| problem.contains(name.as_str())), "{problem} names a file of {written:?}");
        }
        // Every file that looks like a migration is either read or named in a problem.
        for name in written.iter().filter(|_| !mixed) {
            let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
            if name.starts_with('.')
                || !MIGRATION_EXTENSIONS.contains(&extension.as_str())
                || is_script_companion(stem, &extension)
            {
                continue;
            }
            let read = found.iter().any(|f| &f.file_name == name);
            let named = problems.iter().any(|p| p.contains(&format!("{}", Path::new(name).display())));
            prop_assert!(read || named, "{name} is neither read nor named: {problems:?}");
        }
    }
}
