//! The real servers integration tests run against: the server a variable names, or one started
//! for this test process with a tools/*-test-server.sh script (stopped when the process ends).

use std::path::PathBuf;
use std::process::Command;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The URL in `variable`, or the URL of a server started with `tools/<script>`. Fails with the
/// command that fixes a missing server.
pub fn server_url(variable: &str, script: &str, name: &str) -> String {
    if let Ok(url) = std::env::var(variable) {
        return url;
    }
    let dir = own_server_dir(script);
    let output = Command::new("bash")
        .arg(repo_root().join("tools").join(script))
        .arg("start")
        .arg(&dir)
        .arg(std::process::id().to_string())
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "could not start the {name} test server: {}\nRun `bash tools/setup.sh` (it installs and builds the test servers), \
         or set {variable} to a server the tests may create databases on.",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Where the server this test process started with `tools/<script>` keeps its state.
fn own_server_dir(script: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mongrate-test-{script}-{}", std::process::id()))
}

/// The data folder of the server this process started with `tools/<script>`; `None` when
/// `variable` names another server (its files are not ours to touch).
pub fn own_server_data(variable: &str, script: &str) -> Option<PathBuf> {
    if std::env::var_os(variable).is_some() {
        return None;
    }
    Some(own_server_dir(script).join("data"))
}
