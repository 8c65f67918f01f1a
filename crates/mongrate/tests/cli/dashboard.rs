//! The dashboard of `mongrate serve` in a real headless Chromium, driven through chromedriver
//! (Debian's `chromium` and `chromium-driver`, installed by tools/setup.sh): the page shows the
//! real status of a SQLite database, runs Dry-run, Up, Down 1 and Release lock with the API token,
//! shows the server's refusals in its own words, and loads nothing from outside the server.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::support::{Backend, Project, block_on};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a process may take to listen, and the page to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(10);

/// Chromium without any network but loopback: every host name but 127.0.0.1 resolves to nothing,
/// any connection that is not to loopback goes to a closed loopback port as its proxy, and the
/// browser's own background traffic (updates, safe browsing, metrics, sync) is off.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-breakpad",
    "--no-pings",
    "--no-first-run",
    "--no-default-browser-check",
];

/// A free TCP port on loopback (free when asked: the process given it binds it a moment later).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local address").port()
}

/// Waits until `port` accepts connections; fails when `process` exits first or `PATIENCE` runs out.
fn wait_for_port(port: u16, process: &mut Child, what: &str, log: impl Fn() -> String) {
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = process.try_wait().expect("process status") {
            panic!("{what} exited ({status}) before listening on port {port}:\n{}", log());
        }
        assert!(Instant::now() < deadline, "{what} does not listen on port {port} after {PATIENCE:?}:\n{}", log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops the process group that `leader` leads at most a second after this test process is
/// gone, however it ends (a panic, SIGKILL, or a static never dropped): a detached shell watches.
fn stop_with_this_process(leader: &Child) {
    let watchdog =
        format!("(while kill -0 {} 2>/dev/null; do sleep 1; done; kill -- -{}) &", std::process::id(), leader.id());
    let detached = Command::new("bash")
        .args(["-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("bash runs");
    assert!(detached.success(), "the watchdog did not start: {detached}");
}

/// The chromedriver of this test process, as its URL. Fails, saying how to install them, when
/// chromedriver or Chromium is missing.
fn chromedriver() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the dashboard test drives a real headless Chromium. Run `bash tools/setup.sh` \
                 (it installs Debian's {package})."
            );
        }
        let port = free_port();
        // Its own process group, which the browsers it starts join: one signal stops them all.
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} does not start ({e}): run `bash tools/setup.sh`"));
        // A test process ends without dropping statics.
        stop_with_this_process(&driver);
        wait_for_port(port, &mut driver, "chromedriver", String::new);
        format!("http://127.0.0.1:{port}")
    })
}

/// `mongrate serve` on a free loopback port; killed when dropped, so that a failing test leaves
/// no server behind.
struct Server {
    process: Child,
    origin: String,
    log: std::path::PathBuf,
}

impl Server {
    /// Started with `token` as its API token, or with none.
    fn start(project: &Project, token: Option<&str>) -> Server {
        let port = free_port();
        let log = project.path().join("serve.log");
        let output = File::create(&log).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_mongrate"));
        match token {
            Some(token) => command.env("MONGRATE_API_TOKEN", token),
            None => command.env_remove("MONGRATE_API_TOKEN"),
        };
        let process = command
            .current_dir(project.path())
            .env_remove("MONGRATE_URL")
            .env_remove("DATABASE_URL")
            .env_remove("MONGO_URI")
            .args(["--url", &project.url, "serve", "--listen", &format!("127.0.0.1:{port}")])
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("log file"))
            .stderr(output)
            .spawn()
            .expect("mongrate serve starts");
        stop_with_this_process(&process);
        let mut server = Server { process, origin: format!("http://127.0.0.1:{port}"), log };
        let log = server.log.clone();
        wait_for_port(port, &mut server.process, "mongrate serve", || {
            std::fs::read_to_string(&log).unwrap_or_default()
        });
        server
    }

    /// The message of the JSON error that `method path` answers with `status`, with `token` as
    /// its bearer token.
    fn error_message(&self, method: &str, path: &str, token: Option<&str>, status: u16) -> String {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = bearer.iter().map(|value| ("Authorization", value.as_str())).collect();
        let (answered, _, body) = self.request(method, path, &headers);
        assert_eq!(answered, status, "{method} {path}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
        error["error"]["message"].as_str().unwrap_or_else(|| panic!("no error message: {body}")).to_owned()
    }

    /// One HTTP/1.1 request, read to the end: status, headers (names in lower case), body.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>, String) {
        let address = self.origin.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to mongrate serve");
        stream.set_read_timeout(Some(PATIENCE)).expect("read timeout");
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: 0\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).expect("send the request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read the response");
        let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
        let mut lines = head.lines();
        let status = lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|code| code.parse().ok());
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        (status.unwrap_or_else(|| panic!("no status in {head:?}")), headers, body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A headless Chromium session on one page, with blocking calls for a synchronous test; its
/// browser is closed when dropped.
struct Browser {
    client: Client,
}

impl Browser {
    fn open() -> Browser {
        let driver = chromedriver();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), json!({ "binary": CHROMIUM, "args": CHROMIUM_ARGS }));
        let client = block_on(ClientBuilder::new(HttpConnector::new()).capabilities(capabilities).connect(driver))
            .unwrap_or_else(|e| panic!("chromedriver could not start {CHROMIUM}: {e}. Run `bash tools/setup.sh`."));
        Browser { client }
    }

    fn goto(&self, url: &str) {
        block_on(self.client.goto(url)).unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    fn click(&self, css: &str) {
        let element = block_on(self.client.find(Locator::Css(css))).unwrap_or_else(|e| panic!("find {css}: {e}"));
        block_on(element.click()).unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Replaces the text of an input, as typed by a person.
    fn type_into(&self, css: &str, text: &str) {
        let element = block_on(self.client.find(Locator::Css(css))).unwrap_or_else(|e| panic!("find {css}: {e}"));
        block_on(element.clear()).unwrap_or_else(|e| panic!("clear {css}: {e}"));
        block_on(element.send_keys(text)).unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Runs a function body in the page and returns what it returns.
    fn script(&self, body: &str) -> Value {
        block_on(self.client.execute(body, Vec::new())).unwrap_or_else(|e| panic!("script {body}: {e}"))
    }

    /// The text of the element `css` as shown (empty when there is none).
    fn text(&self, css: &str) -> String {
        let css = serde_json::to_string(css).expect("selector as JSON");
        let text =
            self.script(&format!("const e = document.querySelector({css}); return e ? e.innerText.trim() : '';"));
        text.as_str().unwrap_or_default().to_owned()
    }

    /// The text of `#result`, where the page answers a button, once it contains `words` (case
    /// aside) and no longer says it is running.
    fn result_containing(&self, words: &str) -> String {
        let words = words.to_lowercase();
        self.wait_until(&format!("the result to say {words:?}"), || {
            let text = self.text("#result");
            (text.to_lowercase().contains(&words) && !text.contains("running…")).then_some(text)
        })
    }

    /// The text of the element `css` once it contains `words` (case aside).
    fn text_containing(&self, css: &str, words: &str) -> String {
        let words = words.to_lowercase();
        self.wait_until(&format!("{css} to say {words:?}"), || {
            let text = self.text(css);
            text.to_lowercase().contains(&words).then_some(text)
        })
    }

    /// Polls `ready` until it gives a value; fails after `PATIENCE`, showing what the page shows.
    fn wait_until<T>(&self, what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = ready() {
                return value;
            }
            if Instant::now() > deadline {
                panic!("waited {PATIENCE:?} for {what}; the page shows:\n{}", self.text("body"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The URL of every request of the page since it was loaded (itself first), as the browser
    /// recorded them.
    fn requests(&self) -> Vec<String> {
        let urls = self.script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))\
             .map(e => e.name);",
        );
        serde_json::from_value(urls).expect("URLs")
    }

    /// Accepts the confirmation the page asked for.
    fn accept_confirm(&self) {
        self.wait_until("a confirmation", || block_on(self.client.accept_alert()).ok());
    }

    /// Every migration row of the table: version, name (without its detail line), state.
    fn migration_rows(&self) -> Vec<(String, String, String)> {
        let rows = self.script(
            "return [...document.querySelectorAll('#migrations tbody tr[data-version]')].map(r => \
             [r.dataset.version, r.cells[1].firstChild.textContent, r.querySelector('td.state .badge').textContent]);",
        );
        serde_json::from_value(rows).expect("rows as [version, name, state]")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = block_on(self.client.clone().close());
    }
}

const USERS: &str = "-- mongrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n\
                     INSERT INTO users (name) VALUES ('ada'), ('alan');\n-- mongrate:down\nDROP TABLE users;\n";
const POSTS: &str = "-- mongrate:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT);\n\
                     INSERT INTO posts (user_id, body) SELECT id, 'hello' FROM users;\n\
                     -- mongrate:down\nDROP TABLE posts;\n";
/// No down section: shown as not reversible.
const POSTS_BY_USER: &str =
    "-- mongrate:phase contract\n-- mongrate:up\nCREATE INDEX posts_by_user ON posts (user_id);\n";

const TOKEN: &str = "dashboard-test-token";

/// The first line of a message: the page wraps the rest.
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

fn rows(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter().map(|(v, n, s)| (v.to_string(), n.to_string(), s.to_string())).collect()
}

#[test]
fn the_dashboard_shows_the_real_status_and_drives_the_api_in_chromium() {
    let browser = Browser::open();
    let project = Project::new(Backend::Sqlite);
    project.write("20240101000000_users.sql", USERS);
    project.write("20240102000000_posts.sql", POSTS);
    project.write("20240103000000_posts_by_user.sql", POSTS_BY_USER);
    project.run(&["up", "--to", "20240101000000"]).expect(0);
    let server = Server::start(&project, Some(TOKEN));

    let (status, headers, _) = server.request("GET", "/", &[]);
    assert_eq!(status, 200);
    let policy = headers.iter().find(|(name, _)| name == "content-security-policy").map(|(_, value)| value.as_str());
    let policy = policy.expect("the page has a Content-Security-Policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"), "{policy}");

    // With a token configured, the API answers nothing without it: the page says so in the
    // server's words, and a button asks for the token instead of sending a request.
    browser.goto(&format!("{}/", server.origin));
    let needs_token = server.error_message("GET", "/api/migrations/status", None, 401);
    browser.text_containing("#load-error", first_line(&needs_token));
    browser.click("#dry-run");
    browser.result_containing("token is needed");
    assert!(!browser.requests().iter().any(|url| url.contains("/api/migrations/up")), "{:#?}", browser.requests());

    // A wrong token: refused, in the server's words.
    let wrong = server.error_message("GET", "/api/migrations/status", Some("not-the-token"), 401);
    browser.type_into("#token", "not-the-token");
    browser.click("#token-form button[type=submit]");
    browser.text_containing("#load-error", first_line(&wrong));

    // The real status: the database, the lock, each migration's state, the history.
    browser.type_into("#token", TOKEN);
    browser.click("#token-form button[type=submit]");
    let pending = rows(&[
        ("20240101000000", "users", "applied"),
        ("20240102000000", "posts", "pending"),
        ("20240103000000", "posts_by_user", "pending"),
    ]);
    browser.wait_until("the migrations table", || (browser.migration_rows() == pending).then_some(()));
    assert!(browser.text("#load-error").is_empty(), "{}", browser.text("#load-error"));
    assert_eq!(browser.text("#database-url"), project.url);
    assert!(browser.text("#database-server").starts_with("sqlite 3."), "{}", browser.text("#database-server"));
    assert!(browser.text("#lock-state").starts_with("free"), "{}", browser.text("#lock-state"));
    assert_eq!(browser.text("#migrations tr[data-version='20240103000000'] td.reversible"), "no");
    assert_eq!(browser.text("#migrations tr[data-version='20240101000000'] td.reversible"), "yes");
    assert!(browser.text("#history tbody").contains("users"), "{}", browser.text("#history"));
    // The contract migration wears its phase, and the summary says what to run before the deploy.
    assert_eq!(browser.text("#migrations tr[data-version='20240103000000'] .badge.phase"), "contract");
    assert_eq!(browser.text("#migrations tr[data-version='20240102000000'] .badge.phase"), "");
    let advice = browser.text("#phase-advice");
    assert!(advice.starts_with("Phase: expand migrations pending") && advice.contains("--phase expand"), "{advice}");

    // Dry-run: the preview of both pending migrations, and the database exactly as before.
    let before = project.dump();
    browser.click("#dry-run");
    let preview = browser.result_containing("would run");
    for expected in
        ["2 migrations would run", "20240102000000 posts", "posts_by_user", "CREATE TABLE posts", "[2 rows]"]
    {
        assert!(preview.contains(expected), "{expected:?} missing from the preview:\n{preview}");
    }
    assert_eq!(project.dump(), before, "the dry-run changed the database");
    assert_eq!(project.run(&["status", "--json"]).expect(0).json()["summary"]["pending"], 2);
    assert_eq!(browser.migration_rows(), pending);
    assert_eq!(browser.script("return sessionStorage.getItem('mongrate.apiToken')"), TOKEN);

    // Up: both applied, in the page and in the database.
    browser.click("#up");
    let report = browser.result_containing("applied 2 migrations");
    assert!(report.contains("20240103000000 posts_by_user"), "{report}");
    let applied = rows(&[
        ("20240101000000", "users", "applied"),
        ("20240102000000", "posts", "applied"),
        ("20240103000000", "posts_by_user", "applied"),
    ]);
    browser.wait_until("every migration applied", || (browser.migration_rows() == applied).then_some(()));
    assert_eq!(browser.text("#phase-advice"), "Phase: every phase applied");
    assert_eq!(project.sql("SELECT count(*) FROM posts"), "2");
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!((status["summary"]["applied"].as_u64(), status["summary"]["pending"].as_u64()), (Some(3), Some(0)));
    browser.wait_until("three runs in the history", || {
        let history = browser.text("#history tbody");
        (history.matches("completed").count() == 3).then_some(())
    });

    // Down 1 asks first. The newest migration has no down section: the server refuses, the page
    // says why, and nothing is reverted.
    browser.click("#down");
    browser.accept_confirm();
    let refusal = browser.result_containing("irreversible");
    assert!(browser.script("return document.getElementById('result').classList.contains('error')") == true);
    assert!(refusal.contains("posts_by_user"), "{refusal}");
    assert_eq!(project.sql("SELECT count(*) FROM sqlite_master WHERE name = 'posts_by_user'"), "1");
    assert_eq!(browser.migration_rows(), applied);

    // Release lock asks first too; nobody holds the lock.
    browser.click("#release");
    browser.accept_confirm();
    browser.result_containing("not held");

    // Nothing but the server's own origin was asked for: the page, its assets, the API.
    let urls = browser.requests();
    let own = format!("{}/", server.origin);
    assert!(urls.iter().all(|url| url.starts_with(&own)), "requests outside {own}: {urls:#?}");
    for expected in [
        "/assets/dashboard.js",
        "/assets/dashboard.css",
        "/api/migrations/status",
        "/api/migrations/history",
        "/api/migrations/up",
        "/api/migrations/down",
        "/api/migrations/lock/release",
    ] {
        assert!(urls.iter().any(|url| url.contains(expected)), "no request for {expected}: {urls:#?}");
    }

    // The token stays for the tab: a reload fills it in again.
    browser.goto(&format!("{}/", server.origin));
    browser.wait_until("the token filled in again", || {
        (browser.script("return document.getElementById('token').value") == TOKEN).then_some(())
    });
}

#[test]
fn without_a_token_the_dashboard_reads_and_its_buttons_show_why_they_cannot_write() {
    let browser = Browser::open();
    let project = Project::new(Backend::Sqlite);
    project.write("20240101000000_users.sql", USERS);
    let server = Server::start(&project, None);
    let read_only = server.error_message("POST", "/api/migrations/up?dryRun=false", None, 403);

    browser.goto(&format!("{}/", server.origin));
    let pending = rows(&[("20240101000000", "users", "pending")]);
    browser.wait_until("the migrations table", || (browser.migration_rows() == pending).then_some(()));
    browser.click("#up");
    let refusal = browser.result_containing(first_line(&read_only));
    assert!(refusal.contains("not allowed"), "{refusal}");
    assert!(!project.has_table("users"), "a refused Up changed the database");
    assert_eq!(browser.migration_rows(), pending);
}
