//! `ava-release BUNDLES OUT --version 0.2.0 --date RFC3339 --download-base URL [--notes TEXT]`:
//! gathers the release jobs' folders under BUNDLES into OUT with `latest.json` (see the
//! library). The release workflow runs it before uploading OUT to the draft release.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut positional = Vec::new();
    let mut options = std::collections::HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.strip_prefix("--") {
            Some(name) => {
                options.insert(name.to_owned(), args.next().unwrap_or_default());
            }
            None => positional.push(PathBuf::from(arg)),
        }
    }
    let (Some(version), Some(date), Some(base), [bundles, out]) = (
        options.get("version"),
        options.get("date"),
        options.get("download-base"),
        positional.as_slice(),
    ) else {
        eprintln!(
            "usage: ava-release BUNDLES OUT --version X.Y.Z --date RFC3339 --download-base URL [--notes TEXT]"
        );
        return ExitCode::from(2);
    };
    let version = version.trim_start_matches('v');
    let notes = options.get("notes").map_or("", String::as_str);
    let planned = ava_release::plan(bundles, version, notes, date, base)
        .and_then(|release| ava_release::write(&release, out).map(|()| release));
    match planned {
        Ok(release) => {
            for asset in &release.assets {
                println!("{}", asset.name);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ava-release: {error}");
            ExitCode::FAILURE
        }
    }
}
