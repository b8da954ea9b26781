//! A keychain that waits for its owner (issue 35): a login keyring that exists but is locked,
//! as after an automatic login, on a D-Bus session of its own. Opening it shows the keyring's
//! password prompt, which nobody answers here. The window must be drawn at once anyway, say
//! that the keychain waits, in the owner's language, and let them go on without it.

use crate::app::*;

/// A private D-Bus session whose gnome-keyring holds a locked login keyring. Its processes end
/// with it.
struct LockedKeyring {
    folder: tempfile::TempDir,
    bus: Child,
    daemon: Child,
    address: String,
}

impl LockedKeyring {
    async fn start() -> Self {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let folder = tempfile::tempdir().unwrap();
        let runtime = folder.path().join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        // A session bus that can start the keyring's password prompt but no accessibility bus:
        // that one names itself on the X display the tests share, and would take the place of
        // the tests' own (which the screen-reader test reads).
        let services = folder.path().join("services");
        std::fs::create_dir_all(&services).unwrap();
        for prompter in [
            "org.gnome.keyring.SystemPrompter.service",
            "org.gnome.keyring.PrivatePrompter.service",
        ] {
            std::os::unix::fs::symlink(
                Path::new("/usr/share/dbus-1/services").join(prompter),
                services.join(prompter),
            )
            .unwrap();
        }
        let config = folder.path().join("session.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={}</listen>
  <servicedir>{}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                runtime.display(),
                services.display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_CACHE_HOME", folder.path().join("cache"))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut address = String::new();
        tokio::io::BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .await
            .unwrap();
        let address = address.trim().to_owned();
        let daemon = |unlock: bool| {
            let mut command = Command::new("gnome-keyring-daemon");
            command
                .args(["--foreground", "--components=secrets"])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .env("XDG_DATA_HOME", folder.path().join("data"))
                .env("XDG_RUNTIME_DIR", &runtime)
                .env("XDG_CACHE_HOME", folder.path().join("cache"))
                // Its password prompt must not start an accessibility bus of its own: the
                // bus's address is a property of the X display, shared with the tests' session.
                .env("NO_AT_BRIDGE", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true);
            if unlock {
                command.arg("--unlock");
            }
            command.spawn().unwrap()
        };
        // Once unlocked with a password, so the login keyring is written to disk…
        let mut first = daemon(true);
        let mut stdin = first.stdin.take().unwrap();
        stdin.write_all(b"the-owners-password").await.unwrap();
        drop(stdin);
        let keyring = folder.path().join("data/keyrings/login.keyring");
        let deadline = tokio::time::Instant::now() + WAIT;
        while !keyring.exists() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no login keyring written"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        first.kill().await.unwrap();
        let _ = first.wait().await;
        // … then started again without it: the login keyring is there, and locked.
        let daemon = daemon(false);
        Self {
            folder,
            bus,
            daemon,
            address,
        }
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            (
                "XDG_DATA_HOME".into(),
                self.folder.path().join("data").to_string_lossy().into(),
            ),
            (
                "XDG_RUNTIME_DIR".into(),
                self.folder.path().join("run").to_string_lossy().into(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                self.folder.path().join("cache").to_string_lossy().into(),
            ),
            // No accessibility bus for this window: its address is a property of the X display,
            // and a second one would take the place of the tests' own (the screen-reader test).
            ("NO_AT_BRIDGE".into(), "1".into()),
        ]
    }
}

impl Drop for LockedKeyring {
    fn drop(&mut self) {
        let _ = self.daemon.start_kill();
        let _ = self.bus.start_kill();
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_locked_keychain_never_holds_the_window_back(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let keyring = LockedKeyring::start().await;
    for (os_locale, words) in [
        ("en_US.UTF-8", "Waiting for your keychain"),
        ("fr_FR.UTF-8", "En attente de votre trousseau"),
        ("he_IL.UTF-8", "ממתינים למחזיק המפתחות"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            extra: keyring.env(),
            ..Env::offline(&world, os_locale)
        };
        let started = std::time::Instant::now();
        let app = App::launch(&env, dir.path()).await;
        app.until(
            &format!("{os_locale}: the window says the keychain waits"),
            &format!(
                "const n = document.querySelector('#keychain-waiting'); \
                 return !!n && n.getAttribute('role') === 'status' && n.textContent.includes('{words}')"
            ),
        )
        .await;
        // The prompt is still unanswered, so the window was not waiting for it.
        eprintln!(
            "{os_locale}: the first screen, keychain locked, {} ms after launch",
            started.elapsed().as_millis()
        );
        app.shot(&format!("{}-keychain-waiting", &os_locale[..2]))
            .await;
        app.click("#keep-keys-in-memory").await;
        app.until(
            "the banner gone and the owner told keys stay in memory",
            "return document.querySelector('#keychain-waiting') === null \
             && !!document.querySelector('.toast[data-kind=warning]')",
        )
        .await;
        app.quit().await;
    }
}
