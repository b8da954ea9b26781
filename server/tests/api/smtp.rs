//! A real SMTP server for the tests: aiosmtpd (pinned in the tools venv by tests/setup.sh)
//! writing every mail it accepts into a Maildir, which the tests read.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ava_server::config::MailTransport;
use secrecy::SecretString;

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

pub use ava_fakes::Mail;

fn python() -> PathBuf {
    let tools = std::env::var_os("AVA_TOOLS_DIR").map_or_else(
        || Path::new(&std::env::var_os("HOME").expect("HOME")).join(".cache/ava-desktop/tools"),
        PathBuf::from,
    );
    tools.join("venv/bin/python")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    pub fn start() -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let port = free_port();
        let python = python();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A folder that does not exist yet: Python's Maildir makes its new/cur/tmp only then.
            .arg(maildir.path().join("Maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "aiosmtpd could not start from {} ({e}): run tests/setup.sh",
                    python.display()
                )
            });
        let server = Self {
            child,
            port,
            maildir,
        };
        // Ready once it greets: a connection alone could be the kernel's backlog.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::Read;
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut greeting = [0u8; 3];
                if (&stream).read_exact(&mut greeting).is_ok() && &greeting == b"220" {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::yield_now();
        }
        server
    }

    pub fn transport(&self) -> MailTransport {
        MailTransport::Smtp(SecretString::from(format!(
            "smtp://127.0.0.1:{}",
            self.port
        )))
    }

    /// Every mail received so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir.path().join("Maildir").join(sub)).ok())
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| {
                (
                    entry.metadata().and_then(|m| m.modified()).unwrap(),
                    entry.path(),
                )
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| Mail::parse(&std::fs::read(&path).unwrap()).expect("a mail"))
            .collect()
    }

    /// The mails to `address`.
    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to == address)
            .collect()
    }

    /// Freezes the server (SIGSTOP): it accepts connections (the kernel does) and says nothing.
    pub fn stop(&self) {
        signal(self.child.id(), "STOP");
    }

    pub fn resume(&self) {
        signal(self.child.id(), "CONT");
    }
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        signal(self.child.id(), "CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
