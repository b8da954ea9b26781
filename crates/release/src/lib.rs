//! The release's updater manifest. tauri-action writes `latest.json` with one key per system
//! and architecture (`linux-x86_64`), which sends a `.deb` install to the AppImage it cannot
//! install. The updater looks for `{os}-{arch}-{bundle}` first (`linux-x86_64-deb`), so this
//! writes that key for every bundle the release jobs built, and the plain key for the bundle
//! a build that does not know its own type can install.
//!
//! Input: the release jobs' artifacts, one folder per Rust target
//! (`bundles-x86_64-unknown-linux-gnu/…/Ava_0.2.0_amd64.deb` beside its `.sig`). Output: every
//! file under a name unique in the release (both macOS jobs build `Ava.app.tar.gz`), and
//! `latest.json` pointing at them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: the folder does not name a target this release builds (bundles-<rust target>)")]
    UnknownTarget(PathBuf),
    #[error("{0}: no `.sig` beside it (was TAURI_SIGNING_PRIVATE_KEY set for the build?)")]
    MissingSignature(PathBuf),
    #[error("{path}: the signature is not a minisign signature in base64")]
    UnreadableSignature { path: PathBuf },
    #[error("{path}: signed for version {signed}, but this release is {expected}")]
    SignedForAnotherVersion {
        path: PathBuf,
        signed: String,
        expected: String,
    },
    #[error("{path}: the signature names no version (sign with tauri-cli 2.12 or later)")]
    UnversionedSignature { path: PathBuf },
    #[error("two files for `{platform}`: {first} and {second}")]
    DuplicatePlatform {
        platform: String,
        first: String,
        second: String,
    },
    #[error("two files would be published as `{0}`")]
    DuplicateAsset(String),
    #[error("no updater bundle found under {0}")]
    NothingToPublish(PathBuf),
}

/// The kinds of bundle the updater installs, by the name it looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Bundle {
    App,
    Msi,
    Nsis,
    Deb,
    Rpm,
    AppImage,
}

impl Bundle {
    /// The bundle a file is, from how its name ends; `None` for files the updater never
    /// installs (`.dmg`).
    fn of(file_name: &str) -> Option<Self> {
        [
            (".app.tar.gz", Bundle::App),
            (".msi", Bundle::Msi),
            ("-setup.exe", Bundle::Nsis),
            (".deb", Bundle::Deb),
            (".rpm", Bundle::Rpm),
            (".AppImage", Bundle::AppImage),
            (".AppImage.tar.gz", Bundle::AppImage),
        ]
        .into_iter()
        .find_map(|(suffix, bundle)| file_name.ends_with(suffix).then_some(bundle))
    }

    fn name(self) -> &'static str {
        match self {
            Bundle::App => "app",
            Bundle::Msi => "msi",
            Bundle::Nsis => "nsis",
            Bundle::Deb => "deb",
            Bundle::Rpm => "rpm",
            Bundle::AppImage => "appimage",
        }
    }

    /// The bundle behind the plain `{os}-{arch}` key, for builds that do not know their own
    /// type: on Linux that build takes the AppImage path; on Windows NSIS installs per user
    /// without an administrator.
    fn is_plain_default(self) -> bool {
        matches!(self, Bundle::App | Bundle::Nsis | Bundle::AppImage)
    }
}

/// The updater's `{os}-{arch}` for a Rust target, and how an asset name says the architecture.
fn platform_of(target: &str) -> Option<(&'static str, &'static str)> {
    Some(match target {
        "aarch64-apple-darwin" => ("darwin-aarch64", "aarch64"),
        "x86_64-apple-darwin" => ("darwin-x86_64", "x64"),
        "x86_64-pc-windows-msvc" => ("windows-x86_64", "x64"),
        "aarch64-pc-windows-msvc" => ("windows-aarch64", "arm64"),
        "x86_64-unknown-linux-gnu" => ("linux-x86_64", "amd64"),
        "aarch64-unknown-linux-gnu" => ("linux-aarch64", "arm64"),
        _ => return None,
    })
}

/// One file to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub source: PathBuf,
    /// Its name in the release.
    pub name: String,
}

/// What a release publishes: every file, and the manifest.
#[derive(Debug)]
pub struct Release {
    pub assets: Vec<Asset>,
    pub manifest: serde_json::Value,
}

/// Reads the release jobs' folders under `bundles` and plans the release of `version`, whose
/// files will be downloadable under `download_base` (`…/releases/download/v0.2.0`).
pub fn plan(
    bundles: &Path,
    version: &str,
    notes: &str,
    pub_date: &str,
    download_base: &str,
) -> Result<Release, ReleaseError> {
    let mut assets: Vec<Asset> = Vec::new();
    let mut platforms: BTreeMap<String, (String, String)> = BTreeMap::new();
    // The plain `{os}-{arch}` key: the platform's default bundle, else the first one found.
    let mut plain: BTreeMap<String, (String, String)> = BTreeMap::new();
    for job in read_dir(bundles)? {
        let folder = job.file_name().unwrap_or_default().to_string_lossy();
        let Some((platform, arch)) = folder.strip_prefix("bundles-").and_then(platform_of) else {
            return Err(ReleaseError::UnknownTarget(job));
        };
        for file in files_under(&job)? {
            let file_name = file.file_name().unwrap_or_default().to_string_lossy();
            if file_name.ends_with(".sig") {
                continue;
            }
            let name = match file_name.strip_suffix(".app.tar.gz") {
                // Every macOS job builds `Ava.app.tar.gz`.
                Some(stem) => format!("{stem}_{version}_{arch}.app.tar.gz"),
                None => file_name.to_string(),
            };
            if let Some(bundle) = Bundle::of(&file_name) {
                let signature = read_signature(&file, version)?;
                let url = format!("{}/{name}", download_base.trim_end_matches('/'));
                let key = format!("{platform}-{}", bundle.name());
                if let Some((first, _)) = platforms.get(&key) {
                    return Err(ReleaseError::DuplicatePlatform {
                        platform: key,
                        first: first.clone(),
                        second: url,
                    });
                }
                let entry = (url, signature);
                if bundle.is_plain_default() {
                    plain.insert(platform.to_owned(), entry.clone());
                } else {
                    plain.entry(platform.to_owned()).or_insert(entry.clone());
                }
                platforms.insert(key, entry);
                assets.push(Asset {
                    source: file.with_file_name(format!("{file_name}.sig")),
                    name: format!("{name}.sig"),
                });
            }
            assets.push(Asset { source: file, name });
        }
    }
    if platforms.is_empty() {
        return Err(ReleaseError::NothingToPublish(bundles.to_owned()));
    }
    platforms.extend(plain);
    let mut names: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(ReleaseError::DuplicateAsset(pair[0].to_owned()));
    }
    let platforms: serde_json::Map<String, serde_json::Value> = platforms
        .into_iter()
        .map(|(key, (url, signature))| {
            (
                key,
                serde_json::json!({ "url": url, "signature": signature }),
            )
        })
        .collect();
    Ok(Release {
        assets,
        manifest: serde_json::json!({
            "version": version,
            "notes": notes,
            "pub_date": pub_date,
            "platforms": platforms,
        }),
    })
}

/// Copies the assets into `out` under their release names and writes `latest.json` there.
pub fn write(release: &Release, out: &Path) -> Result<(), ReleaseError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ReleaseError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    for asset in &release.assets {
        std::fs::copy(&asset.source, out.join(&asset.name)).map_err(io(&asset.source))?;
    }
    let manifest = out.join("latest.json");
    let text = serde_json::to_string_pretty(&release.manifest).unwrap_or_default();
    std::fs::write(&manifest, text + "\n").map_err(io(&manifest))
}

/// The `.sig` beside `file`, checked to be signed for `version` (the updater refuses it
/// otherwise, after the release is out).
fn read_signature(file: &Path, version: &str) -> Result<String, ReleaseError> {
    let path = file.with_file_name(format!(
        "{}.sig",
        file.file_name().unwrap_or_default().to_string_lossy()
    ));
    let signature = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ReleaseError::MissingSignature(file.to_owned()));
        }
        Err(source) => return Err(ReleaseError::Io { path, source }),
    };
    let unreadable = || ReleaseError::UnreadableSignature { path: path.clone() };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&signature)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(unreadable)?;
    let trusted = decoded
        .lines()
        .find_map(|line| line.strip_prefix("trusted comment: "))
        .ok_or_else(unreadable)?;
    match trusted
        .split('\t')
        .find_map(|field| field.strip_prefix("version:"))
    {
        Some(signed) if signed.trim_start_matches('v') == version.trim_start_matches('v') => {
            Ok(signature)
        }
        Some(signed) => Err(ReleaseError::SignedForAnotherVersion {
            path,
            signed: signed.to_owned(),
            expected: version.to_owned(),
        }),
        None => Err(ReleaseError::UnversionedSignature { path }),
    }
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, ReleaseError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ReleaseError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

/// Every file under `dir`, at any depth, in a stable order.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, ReleaseError> {
    let mut files = Vec::new();
    for path in read_dir(dir)? {
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://github.com/ava-ai/ava-desktop/releases/download/v0.2.0";

    /// A signature as tauri-cli writes it (base64 of the minisign text), for `version`.
    fn signature(file: &str, version: &str) -> String {
        let text = format!(
            "untrusted comment: signature from tauri secret key\nRUQx\ntrusted comment: timestamp:1764500000\tfile:{file}\tversion:{version}\nAAAA\n"
        );
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    /// What the four release jobs upload.
    fn jobs(version: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("bundles-aarch64-apple-darwin", "macos/Ava.app.tar.gz", true),
            (
                "bundles-aarch64-apple-darwin",
                "dmg/Ava_0.2.0_aarch64.dmg",
                false,
            ),
            ("bundles-x86_64-apple-darwin", "macos/Ava.app.tar.gz", true),
            (
                "bundles-x86_64-apple-darwin",
                "dmg/Ava_0.2.0_x64.dmg",
                false,
            ),
            (
                "bundles-x86_64-pc-windows-msvc",
                "msi/Ava_0.2.0_x64_en-US.msi",
                true,
            ),
            (
                "bundles-x86_64-pc-windows-msvc",
                "nsis/Ava_0.2.0_x64-setup.exe",
                true,
            ),
            (
                "bundles-x86_64-unknown-linux-gnu",
                "deb/Ava_0.2.0_amd64.deb",
                true,
            ),
            (
                "bundles-x86_64-unknown-linux-gnu",
                "rpm/Ava-0.2.0-1.x86_64.rpm",
                true,
            ),
            (
                "bundles-x86_64-unknown-linux-gnu",
                "appimage/Ava_0.2.0_amd64.AppImage",
                true,
            ),
        ];
        for (job, file, signed) in files {
            let path = dir.path().join(job).join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, file.as_bytes()).unwrap();
            if signed {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                std::fs::write(
                    path.with_file_name(format!("{name}.sig")),
                    signature(&name, version),
                )
                .unwrap();
            }
        }
        dir
    }

    fn plan_of(dir: &Path) -> Result<Release, ReleaseError> {
        plan(dir, "0.2.0", "Fixes", "2026-11-30T12:00:00Z", BASE)
    }

    fn url_of(release: &Release, key: &str) -> String {
        release.manifest["platforms"][key]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {:#}", release.manifest))
            .trim_start_matches(BASE)
            .to_owned()
    }

    #[test]
    fn every_bundle_has_its_own_key_and_deb_users_are_not_sent_the_appimage() {
        let dir = jobs("0.2.0");
        let release = plan_of(dir.path()).unwrap();
        let expected = [
            ("linux-x86_64-deb", "/Ava_0.2.0_amd64.deb"),
            ("linux-x86_64-rpm", "/Ava-0.2.0-1.x86_64.rpm"),
            ("linux-x86_64-appimage", "/Ava_0.2.0_amd64.AppImage"),
            ("linux-x86_64", "/Ava_0.2.0_amd64.AppImage"),
            ("windows-x86_64-msi", "/Ava_0.2.0_x64_en-US.msi"),
            ("windows-x86_64-nsis", "/Ava_0.2.0_x64-setup.exe"),
            ("windows-x86_64", "/Ava_0.2.0_x64-setup.exe"),
            ("darwin-aarch64-app", "/Ava_0.2.0_aarch64.app.tar.gz"),
            ("darwin-aarch64", "/Ava_0.2.0_aarch64.app.tar.gz"),
            ("darwin-x86_64-app", "/Ava_0.2.0_x64.app.tar.gz"),
            ("darwin-x86_64", "/Ava_0.2.0_x64.app.tar.gz"),
        ];
        for (key, url) in expected {
            assert_eq!(url_of(&release, key), url, "{key}");
        }
        assert_eq!(
            release.manifest["platforms"].as_object().unwrap().len(),
            expected.len()
        );
        assert_eq!(
            release.manifest["platforms"]["linux-x86_64-deb"]["signature"],
            signature("Ava_0.2.0_amd64.deb", "0.2.0")
        );
        assert_eq!(release.manifest["version"], "0.2.0");
        assert_eq!(release.manifest["pub_date"], "2026-11-30T12:00:00Z");
    }

    #[test]
    fn every_file_is_published_once_under_a_unique_name_with_the_manifest() {
        let dir = jobs("0.2.0");
        let release = plan_of(dir.path()).unwrap();
        let out = dir.path().join("out");
        write(&release, &out).unwrap();
        let mut published: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        published.sort();
        // 9 files, 7 of them signed, and the manifest.
        assert_eq!(published.len(), 9 + 7 + 1, "{published:?}");
        for name in [
            "Ava_0.2.0_aarch64.app.tar.gz",
            "Ava_0.2.0_aarch64.app.tar.gz.sig",
            "Ava_0.2.0_x64.app.tar.gz",
            "Ava_0.2.0_x64.dmg",
            "latest.json",
        ] {
            assert!(
                published.iter().any(|p| p == name),
                "{name} in {published:?}"
            );
        }
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("latest.json")).unwrap())
                .unwrap();
        assert_eq!(written, release.manifest);
        // The renamed archive is the Apple silicon one.
        assert_eq!(
            std::fs::read_to_string(out.join("Ava_0.2.0_aarch64.app.tar.gz")).unwrap(),
            "macos/Ava.app.tar.gz"
        );
    }

    #[test]
    fn a_bundle_signed_for_another_version_stops_the_release() {
        let dir = jobs("0.2.0");
        let deb = dir
            .path()
            .join("bundles-x86_64-unknown-linux-gnu/deb/Ava_0.2.0_amd64.deb.sig");
        std::fs::write(&deb, signature("Ava_0.2.0_amd64.deb", "0.1.9")).unwrap();
        let error = plan_of(dir.path()).unwrap_err();
        assert!(
            matches!(&error, ReleaseError::SignedForAnotherVersion { signed, .. } if signed == "0.1.9"),
            "{error}"
        );
        assert!(
            error.to_string().contains("Ava_0.2.0_amd64.deb.sig"),
            "{error}"
        );
    }

    #[test]
    fn an_unsigned_bundle_stops_the_release_naming_it() {
        let dir = jobs("0.2.0");
        std::fs::remove_file(
            dir.path()
                .join("bundles-x86_64-unknown-linux-gnu/rpm/Ava-0.2.0-1.x86_64.rpm.sig"),
        )
        .unwrap();
        let error = plan_of(dir.path()).unwrap_err();
        assert!(
            matches!(error, ReleaseError::MissingSignature(_)),
            "{error}"
        );
        assert!(
            error.to_string().contains("Ava-0.2.0-1.x86_64.rpm"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_job_folder_or_an_empty_release_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            plan_of(dir.path()),
            Err(ReleaseError::NothingToPublish(_))
        ));
        std::fs::create_dir(dir.path().join("bundles-sparc-sun-solaris")).unwrap();
        assert!(matches!(
            plan_of(dir.path()),
            Err(ReleaseError::UnknownTarget(_))
        ));
    }
}
