//! Configuration from the environment. Local mode (the default) has safe defaults and keeps
//! generated dev secrets in its data folder; production mode (`AVA_ENV=production`) refuses
//! to start without its secrets rather than inventing them.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ipnet::IpNet;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Local,
    Production,
}

/// A 256-bit AES key, never printed.
pub type EncryptionKey = SecretBox<[u8; 32]>;

pub struct Config {
    pub mode: Mode,
    pub database_url: SecretString,
    pub database_max_connections: u32,
    pub bind: SocketAddr,
    pub jwt_secret: SecretString,
    pub jwt_ttl: Duration,
    pub refresh_ttl: Duration,
    /// A sign-in's absolute end: refreshing never takes it past this.
    pub refresh_family_lifetime: Duration,
    /// How long after a refresh the same token may be sent again as a retry (a lost answer).
    pub refresh_retry_window: Duration,
    pub encryption_key: EncryptionKey,
    /// Keys that sealed older rows; they decrypt but never encrypt.
    pub retired_encryption_keys: Vec<EncryptionKey>,
    pub vapi_base_url: Option<String>,
    pub provider_timeout: Duration,
    /// Wrong passwords per address and account before sign-in slows down (see `throttle`).
    pub login_max_failures: u32,
    pub login_window: Duration,
    /// Accounts one client address may create per hour; 0 turns the limit off.
    pub register_max_per_hour: u32,
    /// Peers whose `X-Forwarded-For` is believed (the load balancer's addresses).
    pub trusted_proxies: Vec<IpNet>,
    /// Password hashes computed at once (each holds ~19 MiB for ~50 ms of a core).
    pub hashing_concurrency: usize,
    /// Sign-ups and sign-ins that may wait for a hashing slot; past that, 503 + Retry-After.
    pub hashing_queue: usize,
    pub statement_timeout: Duration,
    pub request_timeout: Duration,
    /// How long a stopping server lets in-flight requests finish.
    pub shutdown_grace: Duration,
    /// Where accepted onboarding events are forwarded, if anywhere.
    pub posthog: Option<PostHogConfig>,
    /// Assistants one account may have (created or recorded).
    pub max_assistants_per_user: u32,
    /// Onboarding events one account may have accepted in any 24 hours.
    pub max_events_per_day: u32,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Connections served at once; the next ones wait in the listen queue.
    pub max_connections: usize,
    /// Of those, how many one client address may hold (trusted proxies exempt).
    pub max_connections_per_client: usize,
    /// Requests one account may make per minute on one replica (bursts of a fifth of it).
    pub max_requests_per_minute: u32,
    /// Sign-ins (refresh families) one account may hold at once; a new one ends the oldest.
    pub max_sign_ins_per_user: u32,
    /// Idempotency keys one account may hold (a key is kept a day once settled).
    pub max_idempotency_keys_per_user: u32,
    /// How long a request body may stall between two reads before the request is dropped.
    pub body_read_timeout: Duration,
    pub mail: MailConfig,
}

/// Where the server's mail goes (api.md, "The account's life").
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// `MAIL_FROM`: `Ava <no-reply@example.com>` or a bare address.
    pub from: String,
    /// How long one SMTP exchange may take before it is given up and tried again later.
    pub timeout: Duration,
    /// The first wait after a failed attempt; it doubles with each further failure.
    pub retry_base: Duration,
}

#[derive(Debug, Clone)]
pub enum MailTransport {
    /// `SMTP_URL`: `smtp://host:port` (plain, for a relay on this machine or network),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.
    Smtp(SecretString),
    /// Local mode without `SMTP_URL`: each mail is written as `<id>.eml` in this folder.
    Folder(PathBuf),
}

/// PostHog's ingestion host (`https://eu.i.posthog.com`, or a self-hosted one) and the
/// project's write-only key (`phc_…`).
#[derive(Debug, Clone)]
pub struct PostHogConfig {
    pub host: String,
    pub api_key: SecretString,
    /// Deleting a person when their account is deleted needs PostHog's private API (a personal
    /// key and the project's id): without it, an account's events already forwarded stay there.
    pub erasure: Option<PostHogErasure>,
}

/// PostHog's private API for deleting persons: the app host (`https://eu.posthog.com`, not the
/// ingestion host), the project's id, and a personal API key allowed to write persons.
#[derive(Debug, Clone)]
pub struct PostHogErasure {
    pub app_host: String,
    pub project_id: String,
    pub personal_api_key: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is required when AVA_ENV=production")]
    MissingInProduction { name: &'static str },
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("cannot use the data folder {path}: {reason}")]
    DataDir { path: PathBuf, reason: String },
    #[error(
        "BIND={bind} is not a loopback address, and local mode's generated secrets are this \
         machine's alone (replicas would refuse each other's tokens and could not read each \
         other's rows): set AVA_ENV=production with DATABASE_URL, JWT_SECRET and ENCRYPTION_KEY, \
         or bind 127.0.0.1"
    )]
    PublicBindInLocalMode { bind: SocketAddr },
    #[error("the HTTP client for Vapi and PostHog could not be built: {0}")]
    HttpClient(#[from] ava_vapi::ProviderError),
}

const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Serialize, Deserialize)]
struct DevSecrets {
    jwt_secret: String,
    encryption_key: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads every setting through `var`, so tests can configure without touching the process.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mode = match var("AVA_ENV").as_deref() {
            None | Some("local") | Some("development") => Mode::Local,
            Some("production") => Mode::Production,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "AVA_ENV",
                    reason: format!("{other:?} is neither local nor production"),
                });
            }
        };
        let required = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match (var(name), mode) {
                (Some(value), _) => Ok(Some(value)),
                (None, Mode::Production) => Err(ConfigError::MissingInProduction { name }),
                (None, Mode::Local) => Ok(None),
            }
        };

        let database_url = required("DATABASE_URL")?
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/ava".to_owned());
        let jwt_secret = required("JWT_SECRET")?;
        let encryption_key = required("ENCRYPTION_KEY")?;
        let (jwt_secret, encryption_key) = match (jwt_secret, encryption_key) {
            (Some(jwt), Some(key)) => (jwt, key),
            (jwt, key) => {
                let dev = load_or_create_dev_secrets(&data_dir(&var))?;
                (
                    jwt.unwrap_or(dev.jwt_secret),
                    key.unwrap_or(dev.encryption_key),
                )
            }
        };
        if jwt_secret.len() < MIN_JWT_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: format!("use at least {MIN_JWT_SECRET_BYTES} bytes"),
            });
        }
        let retired_encryption_keys = var("ENCRYPTION_KEYS_RETIRED")
            .map(|list| {
                list.split(',')
                    .map(|k| parse_key("ENCRYPTION_KEYS_RETIRED", k.trim()))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let bind = parse_or(&var, "BIND", SocketAddr::from(([127, 0, 0, 1], 8000)))?;
        if mode == Mode::Local && !bind.ip().is_loopback() {
            return Err(ConfigError::PublicBindInLocalMode { bind });
        }
        let trusted_proxies = var("TRUSTED_PROXIES")
            .map(|list| parse_cidrs("TRUSTED_PROXIES", &list))
            .transpose()?
            .unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let hashing_concurrency: usize = parse_or(&var, "HASHING_CONCURRENCY", cores)?;
        if hashing_concurrency == 0 {
            return Err(ConfigError::Invalid {
                name: "HASHING_CONCURRENCY",
                reason: "must be at least 1".to_owned(),
            });
        }

        let posthog = match (var("POSTHOG_HOST"), var("POSTHOG_API_KEY")) {
            (None, None) => None,
            (Some(host), Some(api_key)) => {
                if !is_https_or_loopback(&host) {
                    return Err(ConfigError::Invalid {
                        name: "POSTHOG_HOST",
                        reason: format!(
                            "{host:?} is not an https:// URL (plain http is only for a PostHog on this machine)"
                        ),
                    });
                }
                let host = host.trim_end_matches('/').to_owned();
                let erasure = match (var("POSTHOG_PERSONAL_API_KEY"), var("POSTHOG_PROJECT_ID")) {
                    (None, None) => None,
                    (Some(key), Some(project_id)) => {
                        // The cloud's ingestion hosts (`eu.i.posthog.com`) have an app host
                        // beside them (`eu.posthog.com`); a self-hosted PostHog is one host.
                        let app_host = var("POSTHOG_APP_HOST")
                            .unwrap_or_else(|| host.replacen(".i.posthog.com", ".posthog.com", 1));
                        if !is_https_or_loopback(&app_host) {
                            return Err(ConfigError::Invalid {
                                name: "POSTHOG_APP_HOST",
                                reason: format!("{app_host:?} is not an https:// URL"),
                            });
                        }
                        Some(PostHogErasure {
                            app_host: app_host.trim_end_matches('/').to_owned(),
                            project_id,
                            personal_api_key: SecretString::from(key),
                        })
                    }
                    _ => {
                        return Err(ConfigError::Invalid {
                            name: "POSTHOG_PERSONAL_API_KEY",
                            reason: "POSTHOG_PERSONAL_API_KEY and POSTHOG_PROJECT_ID go together"
                                .to_owned(),
                        });
                    }
                };
                Some(PostHogConfig {
                    host,
                    api_key: SecretString::from(api_key),
                    erasure,
                })
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "POSTHOG_HOST",
                    reason: "POSTHOG_HOST and POSTHOG_API_KEY go together: set both to forward events, or neither".to_owned(),
                });
            }
        };

        let mail = MailConfig {
            transport: match required("SMTP_URL")? {
                Some(url) => MailTransport::Smtp(SecretString::from(url)),
                None => MailTransport::Folder(data_dir(&var).join("mail")),
            },
            from: match required("MAIL_FROM")? {
                Some(from) => from,
                None => "Ava <no-reply@localhost>".to_owned(),
            },
            timeout: seconds(&var, "MAIL_TIMEOUT_SECONDS", 30)?,
            retry_base: seconds(&var, "MAIL_RETRY_SECONDS", 5)?,
        };

        Ok(Self {
            mode,
            database_url: SecretString::from(database_url),
            database_max_connections: parse_or(&var, "DATABASE_MAX_CONNECTIONS", 16)?,
            bind,
            jwt_secret: SecretString::from(jwt_secret),
            jwt_ttl: seconds(&var, "JWT_TTL_SECONDS", 15 * 60)?,
            refresh_ttl: seconds(&var, "REFRESH_TTL_SECONDS", 30 * 24 * 3600)?,
            encryption_key: parse_key("ENCRYPTION_KEY", &encryption_key)?,
            retired_encryption_keys,
            vapi_base_url: match var("VAPI_BASE_URL") {
                Some(url) if !is_https_or_loopback(&url) => {
                    return Err(ConfigError::Invalid {
                        name: "VAPI_BASE_URL",
                        reason: format!(
                            "{url:?} is not an https:// URL (the owners' Vapi keys travel to it; plain http only to this machine)"
                        ),
                    });
                }
                other => other,
            },
            provider_timeout: Duration::from_millis(parse_or(&var, "PROVIDER_TIMEOUT_MS", 15_000)?),
            login_max_failures: parse_or(&var, "LOGIN_MAX_FAILURES", 5)?,
            login_window: seconds(&var, "LOGIN_WINDOW_SECONDS", 15 * 60)?,
            register_max_per_hour: parse_or(&var, "REGISTER_MAX_PER_HOUR", 20)?,
            trusted_proxies,
            hashing_concurrency,
            hashing_queue: parse_or(&var, "HASHING_QUEUE", 8 * hashing_concurrency)?,
            statement_timeout: Duration::from_millis(parse_or(
                &var,
                "DATABASE_STATEMENT_TIMEOUT_MS",
                5_000,
            )?),
            request_timeout: seconds(&var, "REQUEST_TIMEOUT_SECONDS", 60)?,
            shutdown_grace: seconds(&var, "SHUTDOWN_GRACE_SECONDS", 20)?,
            posthog,
            refresh_family_lifetime: seconds(&var, "REFRESH_FAMILY_MAX_SECONDS", 90 * 24 * 3600)?,
            refresh_retry_window: seconds(&var, "REFRESH_RETRY_SECONDS", 60)?,
            max_assistants_per_user: parse_or(&var, "MAX_ASSISTANTS_PER_USER", 50)?,
            max_events_per_day: parse_or(&var, "MAX_EVENTS_PER_DAY", 5_000)?,
            header_read_timeout: seconds(&var, "HEADER_READ_TIMEOUT_SECONDS", 10)?,
            max_connections: parse_or(&var, "MAX_CONNECTIONS", 1_024)?,
            max_connections_per_client: parse_or(&var, "MAX_CONNECTIONS_PER_CLIENT", 64)?,
            max_requests_per_minute: parse_or(&var, "MAX_REQUESTS_PER_MINUTE", 600)?,
            max_sign_ins_per_user: parse_or(&var, "MAX_SIGN_INS_PER_USER", 20)?,
            max_idempotency_keys_per_user: parse_or(&var, "MAX_IDEMPOTENCY_KEYS_PER_USER", 1_000)?,
            body_read_timeout: seconds(&var, "BODY_READ_TIMEOUT_SECONDS", 10)?,
            mail,
        })
    }
}

pub use ava_vapi::is_https_or_loopback;

fn seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<Duration, ConfigError> {
    parse_or(var, name, default).map(Duration::from_secs)
}

fn parse_or<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("{raw:?} cannot be read"),
        }),
    }
}

/// Where this machine reaches the server that `BIND` configures: a wildcard address (the
/// container's `0.0.0.0:8000`) is reached on loopback.
pub fn health_url(bind: Option<&str>) -> String {
    let mut addr = bind
        .and_then(|b| b.parse::<SocketAddr>().ok())
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8000)));
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
        });
    }
    format!("http://{addr}/healthz")
}

/// `10.0.0.0/8, 192.168.1.7`: CIDRs, or single addresses.
fn parse_cidrs(name: &'static str, list: &str) -> Result<Vec<IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError::Invalid {
                    name,
                    reason: format!("{item:?} is neither an address nor a CIDR"),
                })
        })
        .collect()
}

/// Base64 of exactly 32 bytes.
pub fn parse_key(name: &'static str, encoded: &str) -> Result<EncryptionKey, ConfigError> {
    let bytes = BASE64.decode(encoded).map_err(|_| ConfigError::Invalid {
        name,
        reason: "not base64".to_owned(),
    })?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| ConfigError::Invalid {
        name,
        reason: "must decode to exactly 32 bytes".to_owned(),
    })?;
    Ok(SecretBox::new(Box::new(key)))
}

fn data_dir(var: &impl Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(dir) = var("AVA_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let base = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("ava-server")
}

/// Local mode's secrets: generated once, kept (owner-only) so tokens and stored ciphertexts
/// survive a restart of the dev server.
fn load_or_create_dev_secrets(dir: &Path) -> Result<DevSecrets, ConfigError> {
    let path = dir.join("dev-secrets.json");
    let fail = |reason: String| ConfigError::DataDir {
        path: dir.to_owned(),
        reason,
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text).map_err(|e| {
            fail(format!(
                "{} is unreadable ({e}); move it away",
                path.display()
            ))
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let mut jwt = [0u8; 48];
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut jwt);
    rand::rngs::OsRng.fill_bytes(&mut key);
    let secrets = DevSecrets {
        jwt_secret: BASE64.encode(jwt),
        encryption_key: BASE64.encode(key),
    };
    let text = serde_json::to_string_pretty(&secrets).map_err(|e| fail(e.to_string()))?;
    write_private(&path, text.as_bytes()).map_err(|e| fail(e.to_string()))?;
    Ok(secrets)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("mode", &self.mode)
            .field("bind", &self.bind)
            .field("vapi_base_url", &self.vapi_base_url)
            .field("jwt_ttl", &self.jwt_ttl)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// For tests and benches: a config with fresh random secrets and the given providers.
pub fn test_config(vapi_base_url: Option<String>) -> Config {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let mut jwt = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut jwt);
    Config {
        mode: Mode::Local,
        database_url: SecretString::from(String::new()),
        database_max_connections: 8,
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        jwt_secret: SecretString::from(BASE64.encode(jwt)),
        jwt_ttl: Duration::from_secs(3600),
        refresh_ttl: Duration::from_secs(30 * 24 * 3600),
        refresh_family_lifetime: Duration::from_secs(90 * 24 * 3600),
        refresh_retry_window: Duration::from_secs(60),
        encryption_key: SecretBox::new(Box::new(key)),
        retired_encryption_keys: Vec::new(),
        vapi_base_url,
        provider_timeout: Duration::from_secs(5),
        login_max_failures: 5,
        login_window: Duration::from_secs(900),
        register_max_per_hour: 0,
        trusted_proxies: Vec::new(),
        hashing_concurrency: 2,
        hashing_queue: 64,
        statement_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(5),
        posthog: None,
        max_assistants_per_user: 50,
        max_events_per_day: 5_000,
        header_read_timeout: Duration::from_secs(10),
        max_connections: 1_024,
        max_connections_per_client: 64,
        max_requests_per_minute: 6_000,
        max_sign_ins_per_user: 20,
        max_idempotency_keys_per_user: 1_000,
        body_read_timeout: Duration::from_secs(10),
        mail: MailConfig {
            transport: MailTransport::Folder(
                std::env::temp_dir().join(format!("ava-mail-{:016x}", rand::random::<u64>())),
            ),
            from: "Ava <no-reply@localhost>".to_owned(),
            timeout: Duration::from_secs(5),
            retry_base: Duration::from_secs(1),
        },
    }
}

impl Config {
    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}
