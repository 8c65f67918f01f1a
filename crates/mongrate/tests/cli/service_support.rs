//! A `mongrate serve` started by a test on a free port, and a small HTTP client for it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Mongrate, Run};

/// A running `mongrate serve`; killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    stderr: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

/// One answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The error's kind of a JSON error answer.
    #[track_caller]
    pub fn error_kind(&self) -> String {
        let json = self.json();
        json["error"]["kind"].as_str().unwrap_or_else(|| panic!("no error kind in {json}")).to_owned()
    }
}

impl Server {
    /// Starts `command` + `serve --listen 127.0.0.1:0` and waits until it listens (or fails).
    #[track_caller]
    pub fn start(command: Mongrate) -> Server {
        Server::try_start(command)
            .unwrap_or_else(|run| panic!("mongrate serve did not start: exit {}\nstderr:\n{}", run.code, run.stderr))
    }

    /// Starts it, or returns how it ended when it exited before listening.
    pub fn try_start(mut command: Mongrate) -> Result<Server, Run> {
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        Server::try_spawn(command.0)
    }

    /// Starts any server that prints `listening on http://ADDRESS` on standard error (the example
    /// service too), or returns how it ended when it exited before that.
    pub fn try_spawn(mut command: std::process::Command) -> Result<Server, Run> {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the server starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (found, listening) = std::sync::mpsc::channel();
        let reader = BufReader::new(child.stderr.take().expect("stderr piped"));
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let address = rest.split_whitespace().next().unwrap_or_default().to_owned();
                    let _ = found.send(address);
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let started = Instant::now();
        loop {
            if let Ok(address) = listening.recv_timeout(Duration::from_millis(50)) {
                let agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(120)))
                    .build()
                    .into();
                return Ok(Server { child: Some(child), base: format!("http://{address}"), stderr, agent });
            }
            if let Ok(Some(_)) = child.try_wait() {
                let output = child.wait_with_output().expect("output");
                std::thread::sleep(Duration::from_millis(100));
                let mut run = Run::of(output);
                run.stderr = stderr.lock().unwrap().clone();
                return Err(run);
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the server did not listen within 60 s");
        }
    }

    /// What the server printed on standard error so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        reply(request.call())
    }

    pub fn post(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        reply(request.send_empty())
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &str) -> Reply {
        let mut request = self.agent.post(format!("{}{path}", self.base)).header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        reply(request.send(body))
    }

    /// Polls `path` until it answers `status`, at most `limit`.
    #[track_caller]
    pub fn wait_for(&self, path: &str, status: u16, limit: Duration) -> Reply {
        let started = Instant::now();
        loop {
            let reply = self.get(path, None);
            if reply.status == status {
                return reply;
            }
            assert!(started.elapsed() < limit, "{path} still answers {} after {limit:?}: {}", reply.status, reply.body);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits for the exit: its code and everything it printed on stderr.
    #[track_caller]
    pub fn terminate(self, limit: Duration) -> (i32, String) {
        let pid = self.pid().to_string();
        std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        self.wait_for_exit(limit)
    }

    /// Waits for the process to end by itself: its code and everything it printed on stderr.
    #[track_caller]
    pub fn wait_for_exit(mut self, limit: Duration) -> (i32, String) {
        let mut child = self.child.take().expect("running");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                panic!("mongrate serve did not exit within {limit:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(100));
        (status.code().unwrap_or(-1), self.log())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Reply { status, body, headers }
}
