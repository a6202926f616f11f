/*!
Starts the reference server's binary as a child process for the "main job" (no `--url`) and
for tests: on a free loopback port, with test control and the given fixtures; learns the URL
from the one line it prints, and kills the child when dropped, so a failed or interrupted run
leaves no server behind. Only the binary is used: the suite shares no code with what it checks.
*/

use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::Duration,
};

/// A running reference server.
pub struct ReferenceServer {
    child: Child,
    pub url: String,
}

impl ReferenceServer {
    /// Starts `bin --address 127.0.0.1 --port 0 --test-control --fixtures FIXTURES` and waits
    /// (up to 60 s) for `reference-server listening on URL`.
    pub fn start(bin: &Path, fixtures: &Path) -> Result<Self, String> {
        Self::start_with(bin, fixtures, true, None)
    }

    /// As [`Self::start`], with or without the test-control API (without it the server behaves
    /// like any other target: real clock, no settings changes), and behaving as the Rocket.Chat
    /// release `rocketchat_version` (the server's default, the newest line, when `None`).
    pub fn start_with(
        bin: &Path,
        fixtures: &Path,
        test_control: bool,
        rocketchat_version: Option<&str>,
    ) -> Result<Self, String> {
        let mut command = Command::new(bin);
        // Its own process group: a Ctrl-C in the terminal reaches the suite, which still needs
        // the server to remove what it created; the suite stops the server when done.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .args(["--address", "127.0.0.1", "--port", "0"])
            .args(test_control.then_some("--test-control"))
            .args(
                rocketchat_version
                    .iter()
                    .flat_map(|v| ["--rocketchat-version", v]),
            )
            .arg("--fixtures")
            .arg(fixtures)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        crate::interrupt::register_child(child.id());
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let (etx, erx) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if text.len() < 16_384 {
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
            let _ = etx.send(text);
        });
        let mut server = ReferenceServer {
            child,
            url: String::new(),
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(Ok(line))) => {
                let prefix = "reference-server listening on ";
                match line.strip_prefix(prefix) {
                    Some(url) => {
                        server.url = url.trim().to_owned();
                        Ok(server)
                    }
                    None => Err(format!(
                        "unexpected first line from the reference server: {line:?}"
                    )),
                }
            }
            _ => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                let err = erx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
                Err(format!(
                    "the reference server did not report its address; stderr: {}",
                    err.trim()
                ))
            }
        }
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
