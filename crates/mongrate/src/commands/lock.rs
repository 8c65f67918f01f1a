//! `mongrate lock status` and `mongrate lock release --confirm`.

use mongrate_core::{Error, Result};

use crate::commands::Context;
use crate::commands::status::describe_lock;

pub async fn status(context: &Context) -> Result<i32> {
    let target = context.target().await?;
    let lock = target.lease_store().current().await?;
    context.output.json_value(&serde_json::json!({ "locked": lock }));
    context.output.line(format!("lock: {}", describe_lock(&lock)));
    if let Some(lock) = &lock {
        context.output.line(format!("owner: {}", lock.owner));
        context.output.line(format!("heartbeat: {}", lock.heartbeat_at));
    }
    Ok(0)
}

pub async fn release(context: &Context, confirm: bool) -> Result<i32> {
    if !confirm {
        return Err(Error::config(
            "lock release removes the lock whoever holds it; if that run is still alive, two runs will migrate at once. \
             Check `mongrate lock status`, then run `mongrate lock release --confirm`.",
        ));
    }
    let target = context.target().await?;
    let released = target.lease_store().force_release().await?;
    context.output.json_value(&serde_json::json!({ "released": released }));
    match released {
        Some(lock) => context
            .output
            .line(format!("released the lock held by {} (pid {}) since {}", lock.host, lock.pid, lock.locked_at)),
        None => context.output.line("the lock was free; nothing to release"),
    }
    Ok(0)
}
