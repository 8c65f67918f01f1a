//! `mongrate test [V…]`: each pending migration applied, reverted and compared on a scratch
//! copy (see [`mongrate::roundtrip`]); one line per migration, exit 0 only when all round-trip.

use mongrate::roundtrip::{MigrationTest, Stage, TestEvent, TestOptions, Verdict, test_migrations};
use mongrate_core::{Error, Result, Version};
use tokio::sync::watch;

use crate::cli::TestArgs;
use crate::commands::Context;
use crate::output::duration_ms;

/// The exit code when every migration ran on the copy but one does not round-trip (a lossy down,
/// or no down without `--allow-irreversible`).
pub const NOT_REVERSIBLE: i32 = 6;

pub async fn run(context: &Context, args: &TestArgs) -> Result<i32> {
    let versions =
        args.versions.iter().map(|v| Version::parse(v).map_err(Error::config)).collect::<Result<Vec<_>>>()?;
    let options = TestOptions {
        versions,
        sample: args.sample,
        allow_irreversible: args.allow_irreversible,
        sampled: args.sampled,
    };
    let (stop, interrupt) = watch::channel(false);
    // Ctrl-C (or SIGTERM from a CI runner) stops the test; the scratch copy is dropped first.
    let signal = tokio::spawn(async move {
        mongrate::http::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let output = context.output;
    let events = |event: TestEvent<'_>| match event {
        TestEvent::Scratch(what) => output.event("scratch", &format!("scratch copy: {what}"), serde_json::json!({})),
        TestEvent::Seeded(what) => output.event("seeded", what, serde_json::json!({})),
        TestEvent::Tested(result) => output.line(line(result)),
        TestEvent::Dropped(what) => {
            output.event("dropped", &format!("dropped the scratch copy: {what}"), serde_json::json!({}))
        }
    };
    let tested = test_migrations(&context.settings, &options, Some(interrupt), &events).await;
    signal.abort();
    let report = tested?;
    context.output.json_value(&report);
    let total = report.migrations.iter().filter(|m| m.result != Verdict::Applied).count();
    if report.migrations.is_empty() {
        context.output.line("nothing to test: no migration is pending");
        return Ok(0);
    }
    let good = report.migrations.iter().filter(|m| m.result == Verdict::Ok).count();
    context.output.line(format!("{good} of {total} migration{} round-trip", if total == 1 { "" } else { "s" }));
    Ok(if report.passed {
        0
    } else if report.migrations.iter().any(|m| m.result == Verdict::Failed) {
        1
    } else {
        NOT_REVERSIBLE
    })
}

/// `ok            3  add-email (41 ms)`, or what went wrong.
fn line(result: &MigrationTest) -> String {
    let head = format!("{:<12}  {}  {}", result.result.as_str(), result.version, result.name);
    let detail = match result.result {
        Verdict::Ok => format!("({})", duration_ms(Some(result.elapsed))),
        Verdict::Lossy => match &result.difference {
            Some(difference) => format!("— {difference}"),
            None => String::new(),
        },
        Verdict::Irreversible => "— it has no down; applied to the copy untested".to_owned(),
        Verdict::Applied if result.version.starts_with("R__") => {
            "— a repeatable migration, never reverted: applied to the copy".to_owned()
        }
        Verdict::Applied => "— applied to the copy to reach the migrations named".to_owned(),
        Verdict::NotTested => "— an earlier migration failed on the copy".to_owned(),
        Verdict::Failed => {
            let stage = match result.stage {
                Some(Stage::Down) => "its down",
                Some(Stage::UpAgain) => "its up after the down",
                _ => "its up",
            };
            let why = result.error.as_deref().unwrap_or("").lines().next().unwrap_or("");
            let mut text = format!("— {stage} failed on the copy: {why}");
            if let Some(difference) = &result.difference {
                text.push_str(&format!(" (and the down left a difference: {difference})"));
            }
            text
        }
    };
    format!("{head} {detail}").trim_end().to_owned()
}
