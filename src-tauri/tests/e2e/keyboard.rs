//! The whole wizard by keyboard alone, in each language: Tab to move, Space to tick and pick,
//! arrows and Enter in the time-zone list, Enter to continue, and Launch, with no mouse.

use crate::app::*;

const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";
const DOWN: &str = "\u{e015}";

impl App {
    /// Tabs forward until the element `id` has focus; fails if it is not reached in 60 presses
    /// (it is not in the tab order, or something traps the focus).
    async fn tab_to(&self, id: &str) {
        for _ in 0..60 {
            let focused = self
                .client
                .execute(
                    "return document.activeElement && document.activeElement.id",
                    vec![],
                )
                .await
                .unwrap();
            if focused == id {
                return;
            }
            self.press(TAB).await;
        }
        panic!("#{id} is not reached by Tab");
    }
}

async fn walk(world: &World, lang: &'static str, os_locale: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::offline(world, os_locale), dir.path()).await;
    app.until(
        lang,
        &format!("return document.querySelector('.app').lang === '{lang}'"),
    )
    .await;
    app.tab_to("continue-offline").await;
    app.press(ENTER).await;
    app.on_step("profile").await;

    // 1. Profile: typed, the zone found with the arrows, the terms ticked with Space.
    app.tab_to("full_name").await;
    app.press("Ann Owner").await;
    app.tab_to("timezone").await;
    app.press("paris").await;
    app.until(
        "zones listed",
        "return document.querySelectorAll('#timezone-options [role=option]').length >= 1",
    )
    .await;
    app.press(DOWN).await;
    app.press(ENTER).await;
    app.until(
        "Paris picked",
        "return document.getElementById('timezone').dataset.zone === 'Europe/Paris'",
    )
    .await;
    app.tab_to("accept_terms").await;
    app.press(" ").await;
    app.until(
        "terms ticked",
        "return document.getElementById('accept_terms').checked",
    )
    .await;
    app.tab_to("continue").await;
    app.press(ENTER).await;
    app.on_step("vapi").await;

    // 2 to 8: each step's own choices by Tab and Space where it has some, then Continue.
    app.tab_to("continue").await;
    app.press(ENTER).await;
    app.on_step("persona").await;
    app.until(
        "persona cards",
        "return document.querySelector('#persona [data-value=concierge]') !== null",
    )
    .await;
    // Tab onto the cards, then along them to the concierge card, and pick it with Space.
    for _ in 0..60 {
        let on_concierge = app
            .client
            .execute(
                "return document.activeElement.dataset.value === 'concierge'",
                vec![],
            )
            .await
            .unwrap();
        if on_concierge == Value::Bool(true) {
            break;
        }
        app.press(TAB).await;
    }
    app.press(" ").await;
    app.until(
        "concierge picked",
        "return document.querySelector('#persona [data-value=concierge]').getAttribute('aria-checked') === 'true'",
    )
    .await;
    // Every step after the persona, to the last.
    for next in &ava_model::Step::NAMES[3..] {
        app.tab_to("continue").await;
        app.press(ENTER).await;
        app.on_step(next).await;
    }

    // 9. Launch, by keyboard: the studio home opens.
    app.tab_to("launch").await;
    app.press(ENTER).await;
    app.find("#home-plan").await;
    app.shot(&format!("{lang}-keyboard-home")).await;
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_keyboard_alone_walks_every_step_and_launches_in_every_language(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    for (lang, os_locale) in [
        ("en", "en_US.UTF-8"),
        ("fr", "fr_FR.UTF-8"),
        ("he", "he_IL.UTF-8"),
    ] {
        walk(&world, lang, os_locale).await;
    }
}
