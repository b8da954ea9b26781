//! The app updates itself. Once per start, in a background task, the release's `latest.json` is
//! read, and a newer version is downloaded and its signature checked against the public key
//! built into this release; the window then offers "Restart to update". Nothing waits for it
//! and it takes no lock the wizard uses; a failed check is only logged: an owner setting Ava up
//! offline is not told about our release server.
//!
//! Only release builds carry an endpoint and key (`tauri.release.conf.json`, merged by the
//! release workflow); without them the plugin is not registered at all.

use std::sync::Mutex;
use std::time::Duration;

use ava_core::RetryPolicy;
use ava_ipc::{ErrorCode, UiError, UpdateReady};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Error, Update, Updater, UpdaterExt};

/// For `latest.json` and for the download (a 15 MB package on a slow line).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether this build was given an update endpoint and key: the plugin refuses to start
/// without them.
pub fn configured(config: &tauri::Config) -> bool {
    config.plugins.0.contains_key("updater")
}

/// An update whose bytes match their signature, waiting for "Restart".
pub struct Downloaded {
    update: Update,
    bytes: Vec<u8>,
}

impl Downloaded {
    pub fn version(&self) -> &str {
        &self.update.version
    }
}

/// The shell's state: the downloaded update, if any.
#[derive(Default)]
pub struct Updates {
    ready: Mutex<Option<Downloaded>>,
}

impl Updates {
    pub fn ready(&self) -> Option<UpdateReady> {
        let ready = self.ready.lock().unwrap_or_else(|e| e.into_inner());
        ready.as_ref().map(|d| UpdateReady {
            version: d.version().to_owned(),
        })
    }

    /// Installs the downloaded update (the system's installer may ask for a password) and
    /// restarts into it. A failed install keeps the download, so "Restart" can be pressed
    /// again.
    pub async fn install<R: Runtime>(&self, app: &AppHandle<R>) -> Result<(), UiError> {
        let taken = self.ready.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(downloaded) = taken else {
            return Err(UiError::new(
                ErrorCode::UpdateMissing,
                "No update is waiting.",
            ));
        };
        let outcome = tauri::async_runtime::spawn_blocking(move || {
            let installed = downloaded.update.install(&downloaded.bytes);
            (installed, downloaded)
        })
        .await;
        match outcome {
            Ok((Ok(()), _)) => app.restart(),
            Ok((Err(error), downloaded)) => {
                log::warn!(
                    "the update to {} was not installed: {error}",
                    downloaded.version()
                );
                *self.ready.lock().unwrap_or_else(|e| e.into_inner()) = Some(downloaded);
                Err(UiError::new(ErrorCode::UpdateFailed, error.to_string()))
            }
            Err(error) => Err(UiError::new(ErrorCode::UpdateFailed, error.to_string())),
        }
    }
}

/// Starts the background check; the window hears of a ready update through
/// [`ava_ipc::event::UpdateReady`] (or `pending_update`, if it asks later).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let checked = match app.updater_builder().timeout(REQUEST_TIMEOUT).build() {
            Ok(updater) => fetch(&updater, &RetryPolicy::default()).await,
            Err(error) => Err(error),
        };
        match checked {
            Ok(Some(downloaded)) => {
                let ready = UpdateReady {
                    version: downloaded.version().to_owned(),
                };
                log::info!("the update to {} is downloaded and verified", ready.version);
                *app.state::<Updates>()
                    .ready
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(downloaded);
                crate::shell::emit::<ava_ipc::event::UpdateReady, _>(&app, &ready);
            }
            Ok(None) => log::info!("no newer version is published"),
            Err(error) => log::warn!("the update check failed: {error}"),
        }
    });
}

/// Checks for a newer version and downloads it. What the network caused is tried again, up
/// to the policy's attempts; a refused signature is final (the same bytes would come back).
pub async fn fetch(updater: &Updater, policy: &RetryPolicy) -> Result<Option<Downloaded>, Error> {
    let mut attempt = 0;
    loop {
        let result = match updater.check().await {
            Ok(Some(update)) => match update.download(|_, _| {}, || {}).await {
                Ok(bytes) => Ok(Some(Downloaded { update, bytes })),
                Err(error) => Err(error),
            },
            Ok(None) => Ok(None),
            Err(error) => Err(error),
        };
        match result {
            Err(error) if is_transient(&error) && attempt + 1 < policy.attempts => {
                log::info!("update check, attempt {}: {error}", attempt + 1);
                tokio::time::sleep(policy.delay(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Failures another attempt may not meet: the network, or no manifest answered (the plugin
/// reports an endpoint's 5xx as "release not found").
fn is_transient(error: &Error) -> bool {
    matches!(
        error,
        Error::Reqwest(_) | Error::Network(_) | Error::ReleaseNotFound | Error::Io(_)
    )
}

#[cfg(test)]
mod tests {
    //! The plugin inside a mock Tauri app, against a local update server: what `fetch` accepts
    //! and refuses is what the release build would.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::get;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};

    use super::*;

    const PACKAGE: &str = "Ava_0.2.0_amd64.deb";

    struct Key {
        pair: minisign::KeyPair,
    }

    impl Key {
        fn new() -> Self {
            Self {
                pair: minisign::KeyPair::generate_unencrypted_keypair().unwrap(),
            }
        }

        /// As the config's `pubkey`: base64 of the minisign public key file.
        fn public(&self) -> String {
            STANDARD.encode(self.pair.pk.to_box().unwrap().into_string())
        }

        /// As the manifest's `signature`, with the trusted comment tauri-cli writes.
        fn sign(&self, bytes: &[u8], version: &str) -> String {
            self.sign_with_comment(
                bytes,
                &format!("timestamp:1764500000\tfile:{PACKAGE}\tversion:{version}"),
            )
        }

        fn sign_with_comment(&self, bytes: &[u8], comment: &str) -> String {
            let signature =
                minisign::sign(None, &self.pair.sk, bytes, Some(comment), None).unwrap();
            STANDARD.encode(signature.into_string())
        }
    }

    /// What the local update server serves, and how often it was asked.
    struct Release {
        manifest: std::sync::OnceLock<serde_json::Value>,
        package: Vec<u8>,
        /// Manifest requests answered 503 before the manifest is served.
        failures_left: AtomicUsize,
        manifest_requests: AtomicUsize,
        package_requests: AtomicUsize,
    }

    async fn serve(release: Arc<Release>) -> String {
        async fn manifest(State(r): State<Arc<Release>>) -> axum::response::Response {
            use axum::response::IntoResponse;
            r.manifest_requests.fetch_add(1, Ordering::SeqCst);
            let failing = r
                .failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if failing {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            axum::Json(r.manifest.get().cloned()).into_response()
        }
        async fn package(State(r): State<Arc<Release>>) -> Vec<u8> {
            r.package_requests.fetch_add(1, Ordering::SeqCst);
            r.package.clone()
        }
        let app = Router::new()
            .route("/latest.json", get(manifest))
            .route(&format!("/{PACKAGE}"), get(package))
            .with_state(release);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        base
    }

    /// A deb-looking package (the updater checks the format only when installing).
    fn package_bytes() -> Vec<u8> {
        let mut bytes = b"!<arch>\ndebian-binary   ".to_vec();
        bytes.extend((0..64 * 1024).map(|i| (i % 251) as u8));
        bytes
    }

    /// The `latest.json` our release tool (`ava-release`) writes for one Debian package of
    /// `version`, signed by `key`, published at `base`.
    fn published_manifest(base: &str, key: &Key, version: &str) -> serde_json::Value {
        let jobs = tempfile::tempdir().unwrap();
        let deb = jobs
            .path()
            .join("bundles-x86_64-unknown-linux-gnu/deb")
            .join(PACKAGE);
        std::fs::create_dir_all(deb.parent().unwrap()).unwrap();
        std::fs::write(&deb, package_bytes()).unwrap();
        std::fs::write(
            deb.with_extension("deb.sig"),
            key.sign(&package_bytes(), version),
        )
        .unwrap();
        ava_release::plan(jobs.path(), version, "Fixes", "2026-11-30T12:00:00Z", base)
            .unwrap()
            .manifest
    }

    struct Case {
        trusted: Key,
        /// What the server sends as the package.
        package: Vec<u8>,
        announced: &'static str,
        /// Replaces the published signature, as a hostile or broken server would.
        signature: Option<String>,
        failures: usize,
    }

    impl Case {
        /// 0.2.0, published by our release tool, signed by the key the app trusts.
        fn good() -> Self {
            Self {
                trusted: Key::new(),
                package: package_bytes(),
                announced: "0.2.0",
                signature: None,
                failures: 0,
            }
        }

        /// Runs `fetch` in an app at 0.1.0 that trusts `self.trusted`.
        async fn run(self) -> (Result<Option<String>, Error>, Arc<Release>) {
            let release = Arc::new(Release {
                manifest: std::sync::OnceLock::new(),
                package: self.package,
                failures_left: AtomicUsize::new(self.failures),
                manifest_requests: AtomicUsize::new(0),
                package_requests: AtomicUsize::new(0),
            });
            // The manifest names the server's own address.
            let base = serve(release.clone()).await;
            let mut manifest = published_manifest(&base, &self.trusted, self.announced);
            if let Some(signature) = self.signature {
                manifest["platforms"]["linux-x86_64-deb"]["signature"] = signature.into();
            }
            let _ = release.manifest.set(manifest);
            let app = app_trusting(&self.trusted, &format!("{base}/latest.json"));
            let updater = app
                .updater_builder()
                .target("linux-x86_64-deb")
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let policy = RetryPolicy {
                base: Duration::from_millis(1),
                max: Duration::from_millis(5),
                attempts: 3,
            };
            let result = fetch(&updater, &policy).await.map(|d| {
                d.map(|d| {
                    assert_eq!(d.bytes, release.package, "the bytes handed to install");
                    d.version().to_owned()
                })
            });
            (result, release)
        }
    }

    /// A mock app at version 0.1.0 with the release's updater config, except that it trusts
    /// `key`, reads `endpoint` and allows plain HTTP (as only a test config does).
    fn app_trusting(key: &Key, endpoint: &str) -> tauri::App<MockRuntime> {
        let release: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.release.conf.json")).unwrap();
        let mut updater = release["plugins"]["updater"].clone();
        updater["pubkey"] = key.public().into();
        updater["endpoints"] = serde_json::json!([endpoint]);
        updater["dangerousInsecureTransportProtocol"] = true.into();
        let mut context = mock_context(noop_assets());
        context
            .config_mut()
            .plugins
            .0
            .insert("updater".into(), updater);
        context.package_info_mut().version = "0.1.0".parse().unwrap();
        assert!(configured(context.config()));
        mock_builder()
            .plugin(tauri_plugin_updater::Builder::new().build())
            .build(context)
            .unwrap()
    }

    #[tokio::test]
    async fn a_correctly_signed_update_is_downloaded_and_accepted() {
        let (result, release) = Case::good().run().await;
        assert_eq!(result.unwrap().as_deref(), Some("0.2.0"));
        assert_eq!(release.package_requests.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_tampered_package_is_refused_and_not_downloaded_again() {
        let mut case = Case::good();
        case.package[100] ^= 0x01;
        let (result, release) = case.run().await;
        assert!(matches!(result, Err(Error::Minisign(_))), "{result:?}");
        assert_eq!(release.package_requests.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_package_signed_with_another_key_is_refused() {
        let mut case = Case::good();
        case.signature = Some(Key::new().sign(&case.package, "0.2.0"));
        let (result, _) = case.run().await;
        assert!(matches!(result, Err(Error::Minisign(_))), "{result:?}");
    }

    #[tokio::test]
    async fn a_package_signed_for_another_version_is_refused() {
        // A genuine, correctly signed 0.1.5 announced as 0.2.0: the downgrade the signed
        // version in the trusted comment exists to stop.
        let mut case = Case::good();
        case.signature = Some(case.trusted.sign(&case.package, "0.1.5"));
        let (result, _) = case.run().await;
        assert!(
            matches!(result, Err(Error::SignedVersionMismatch { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_signature_that_names_no_version_is_refused() {
        // Older tauri-cli signatures carry no version: they could pair any announced version
        // with any genuine package, so the release config requires one.
        let mut case = Case::good();
        case.signature = Some(
            case.trusted
                .sign_with_comment(&case.package, "timestamp:1764500000"),
        );
        let (result, _) = case.run().await;
        assert!(
            matches!(result, Err(Error::MissingSignedVersion)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn the_running_version_or_an_older_one_is_not_an_update() {
        let mut case = Case::good();
        case.announced = "0.1.0";
        let (result, release) = case.run().await;
        assert_eq!(result.unwrap(), None);
        assert_eq!(release.package_requests.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_unavailable_server_is_asked_again_a_bounded_number_of_times() {
        let mut case = Case::good();
        case.failures = 2;
        let (result, release) = case.run().await;
        assert_eq!(result.unwrap().as_deref(), Some("0.2.0"));
        assert_eq!(release.manifest_requests.load(Ordering::SeqCst), 3);

        let mut case = Case::good();
        case.failures = 10;
        let (result, release) = case.run().await;
        assert!(matches!(result, Err(Error::ReleaseNotFound)), "{result:?}");
        assert_eq!(release.manifest_requests.load(Ordering::SeqCst), 3);
    }
}
