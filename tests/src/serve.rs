//! A real `minyi serve` process on a free loopback port, for tests that drive the service as its
//! clients do (over a socket): killed when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The precompiled-cache key the test nodes share (`MINYI_PRECOMPILED_KEY`).
pub const PRECOMPILED_KEY: &str = "minyi-test-nodes-share-this";

/// A running `minyi serve`.
#[derive(Debug)]
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

impl Node {
    /// Starts `minyi` (the binary at `bin`) serving the database `db`, and waits until it answers.
    pub fn start(bin: &str, db: &str) -> Node {
        Node::start_with(bin, db, &[])
    }

    /// [`Node::start`] with more `minyi serve` flags.
    pub fn start_with(bin: &str, db: &str, flags: &[&str]) -> Node {
        let port = free_port();
        let child = Command::new(bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--web", "/nonexistent", "--db", db])
            .args(flags)
            .env("RUST_LOG", "warn")
            // The nodes of one test share precompiled plugins, as a deployment's nodes do.
            .env("MINYI_PRECOMPILED_KEY", PRECOMPILED_KEY)
            .stdout(Stdio::null())
            .spawn()
            .expect("minyi serve starts");
        let node = Node { child, base: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        while ureq::get(&format!("{}/healthz", node.base)).call().is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "{} did not come up", node.base);
            std::thread::sleep(Duration::from_millis(50));
        }
        node
    }

    /// Kills the process at once (SIGKILL: no chance to finish anything), as a crash or an OOM kill
    /// would.
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM, as a service manager stopping it does, and waits for it to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid}");
        self.child.wait().expect("it exits")
    }
}
