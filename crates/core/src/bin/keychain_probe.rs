//! Prints whether this session has a usable keychain: `{"persistent": bool, "code", "message"}`.
//! Used by the tests (with and without a Secret Service) and handy for support.

fn main() {
    let app_id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ai.ava.desktop.probe".to_owned());
    let (store, problem) = ava_core::secrets::open_secret_store(&app_id);
    let json = serde_json::json!({
        "persistent": store.is_persistent(),
        "code": problem.as_ref().map(|p| p.code.as_str()),
        "message": problem.as_ref().map(|p| p.message.clone()),
    });
    println!("{json}");
}
