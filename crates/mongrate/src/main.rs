//! The `mongrate` command.

mod cli;
mod commands;
mod output;
mod progress;

use std::time::Duration;

use clap::Parser;
use mongrate_core::Result;
use mongrate_core::config::{Overrides, ProgressStyle};

use crate::cli::{BackupCommand, Cli, Command, LockCommand, LogFormat, SchemaCommand};
use crate::commands::Context;
use crate::output::Output;

fn main() {
    let cli = Cli::parse();
    let output = Output::new(cli.global.json, cli.global.quiet, cli.global.log_format == LogFormat::Json);
    // A server answers requests on every core; a command does one thing at a time.
    let builder = match cli.command {
        Command::Serve(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match { builder }.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match runtime.block_on(run(cli, output)) {
        Ok(code) => code,
        Err(error) => {
            output.error(&error);
            error.kind.exit_code()
        }
    };
    // Do not wait for background tasks (heartbeat, Ctrl-C listener) to wind down.
    runtime.shutdown_timeout(Duration::from_millis(100));
    std::process::exit(code);
}

async fn run(cli: Cli, output: Output) -> Result<i32> {
    let global = &cli.global;
    let seconds = |value: Option<u64>| value.map(Duration::from_secs);
    let overrides = Overrides {
        url: global.url.clone(),
        database: global.database.clone(),
        migrations_dir: global.migrations_dir.clone(),
        lock_ttl: seconds(global.lock_ttl),
        lock_timeout: seconds(global.lock_timeout),
        connect_timeout: seconds(global.connect_timeout),
        max_per_second: global.max_per_second,
        progress: if global.quiet {
            ProgressStyle::Quiet
        } else if output.log_json {
            ProgressStyle::Json
        } else if output.terminal {
            ProgressStyle::Bars
        } else {
            ProgressStyle::Lines
        },
    };
    let settings = mongrate::settings::load_settings(global.config.as_deref(), overrides)?;
    let context = Context { settings, output };
    match &cli.command {
        Command::Init(args) => commands::init::run(&context, args),
        Command::Create(args) => commands::create::run(&context, args),
        Command::Status(args) => commands::status::run(&context, args).await,
        Command::List => commands::status::list(&context).await,
        Command::Up(args) => commands::run::up(&context, args).await,
        Command::Down(args) => commands::run::down(&context, args).await,
        Command::Migrate(args) => commands::run::migrate(&context, args).await,
        Command::History(args) => commands::history::run(&context, args).await,
        Command::Validate => commands::validate::run(&context).await,
        Command::Lint(args) => commands::lint::run(&context, args).await,
        Command::Test(args) => commands::test::run(&context, args).await,
        Command::Repair => commands::repair::run(&context).await,
        Command::Mark(args) => commands::mark::run(&context, args).await,
        Command::Import(args) => commands::import::run(&context, args).await,
        Command::Serve(args) => commands::serve::run(&context, args).await,
        Command::Lock { command: LockCommand::Status } => commands::lock::status(&context).await,
        Command::Lock { command: LockCommand::Release { confirm } } => {
            commands::lock::release(&context, *confirm).await
        }
        Command::Backup { command } => match command {
            BackupCommand::List => commands::backup::list(&context).await,
            BackupCommand::Create { collection } => commands::backup::create(&context, collection).await,
            BackupCommand::Restore { name, to } => commands::backup::restore(&context, name, to.as_deref()).await,
            BackupCommand::Drop { name } => commands::backup::drop(&context, name).await,
            BackupCommand::Prune { keep } => commands::backup::prune(&context, *keep).await,
        },
        Command::Schema { command: SchemaCommand::Census(args) } => commands::schema::census(&context, args).await,
    }
}
