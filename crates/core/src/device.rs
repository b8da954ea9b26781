//! This computer as the server's list of sign-ins names it.

use ava_model::DeviceName;

/// What this computer calls itself when it signs in: its name and its system ("dana-mbp ·
/// macOS"), so the owner can tell their sign-ins apart in Settings.
pub fn this_computer() -> Option<DeviceName> {
    let system = match std::env::consts::OS {
        "macos" => "macOS",
        "windows" => "Windows",
        "linux" => "Linux",
        other => other,
    };
    let name = hostname::get()
        .ok()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty());
    let text = match name {
        Some(name) => format!("{name} · {system}"),
        None => system.to_owned(),
    };
    DeviceName::truncated(&text)
}
