//! French and Hebrew: inline errors in the user's language, right-to-left layout, and every
//! step of every language drawn and saved as a screenshot.

use crate::app::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn french_shows_a_bad_phone_number_inline_and_hebrew_lays_out_right_to_left(pool: PgPool) {
    let (app, _offline) = launch_offline(pool, "fr_FR.UTF-8").await;
    // The OS says French: the very first screen is French.
    let title = app.find("#gate-title").await.text().await.unwrap();
    assert_eq!(title, "Bienvenue sur Ava");
    app.click("#continue-offline").await;
    app.on_step("profile").await;
    assert_eq!(app.value("#locale").await, "fr");
    app.click("#rail-telephony").await;
    app.on_step("telephony").await;
    app.type_into("#number", "06 12").await;
    let error = app.find("#number-msg.error").await.text().await.unwrap();
    assert_eq!(
        error,
        "Utilisez le format international, par ex. +33612345678."
    );
    assert_eq!(
        app.value("#number").await,
        "06 12",
        "the refused value stays to be fixed"
    );
    app.shot("fr-telephony-invalid-number").await;

    // Enter continues; the warning toast names what is missing on the way out of Profile.
    app.click("#rail-profile").await;
    app.on_step("profile").await;
    app.find("#full_name")
        .await
        .send_keys("\u{e007}")
        .await
        .unwrap();
    app.on_step("vapi").await;
    let toast = app.find(".toast.warning").await.text().await.unwrap();
    assert!(
        toast.contains("Nom complet") && toast.contains("Secteur"),
        "{toast}"
    );

    app.choose("language-switch", "he").await;
    app.until("rtl", "return document.querySelector('.app').dir === 'rtl'")
        .await;
    let rail_is_right_of_card = app
        .until(
            "rail on the right",
            "const r = document.querySelector('.rail').getBoundingClientRect();
             const c = document.querySelector('.card').getBoundingClientRect();
             return r.left > c.right",
        )
        .await;
    assert_eq!(rail_is_right_of_card, Value::Bool(true));
    let back = app.find("#back").await.rectangle().await.unwrap();
    let cont = app.find("#continue").await.rectangle().await.unwrap();
    assert!(back.0 > cont.0, "Back sits on the right in Hebrew");
    assert_eq!(app.text("#step-title").await, "Vapi");
    assert_eq!(app.text("#continue").await, "המשך");
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn every_step_in_every_language_is_drawn_and_saved_as_a_screenshot(pool: PgPool) {
    let (app, _offline) = launch_offline(pool, "en_US.UTF-8").await;
    for lang in ["en", "fr", "he"] {
        app.choose("language-switch", lang).await;
        app.until(
            lang,
            &format!("return document.querySelector('.app').lang === '{lang}'"),
        )
        .await;
        app.shot(&format!("{lang}-0-account")).await;
        app.axe(&format!("{lang}-0-account")).await;
    }
    app.click("#continue-offline").await;
    // Step 5's weekly schedule, with Saturday's own hours, in every language's screenshot.
    app.click("#rail-telephony").await;
    app.on_step("telephony").await;
    tick_days(&app, &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]).await;
    app.client
        .execute(
            "const to = document.querySelectorAll('[data-day=Sat] .hours-time')[1];
             to.value = '13:00'; to.dispatchEvent(new Event('change', {bubbles: true})); return null",
            vec![],
        )
        .await
        .unwrap();
    app.until(
        "Saturday until 13:00",
        "return document.querySelectorAll('[data-day=Sat] .hours-time')[1].value === '13:00'",
    )
    .await;
    // And the owner's phone, so each language's step 5 says where calls are handed over.
    app.type_into("#fallback_phone", "+33612345678").await;
    app.until(
        "the handoff sentence",
        "return document.getElementById('handoff').textContent.includes('+33612345678')",
    )
    .await;
    for lang in ["en", "fr", "he"] {
        app.click("#rail-profile").await;
        app.on_step("profile").await;
        app.choose("language-switch", lang).await;
        app.until(
            lang,
            &format!("return document.querySelector('.app').lang === '{lang}'"),
        )
        .await;
        for (n, step) in ava_model::Step::NAMES.iter().enumerate() {
            app.click(&format!("#rail-{step}")).await;
            app.on_step(step).await;
            // Nothing is cut off: the card's content fits its width at the window's size.
            let overflow = app
                .client
                .execute(
                    "const c = document.querySelector('.card'); return c.scrollWidth - c.clientWidth",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(overflow, json!(0), "{lang}/{step} overflows sideways");
            app.shot(&format!("{lang}-{}-{step}", n + 1)).await;
            app.axe(&format!("{lang}-{}-{step}", n + 1)).await;
            if *step == "telephony" {
                // The fallback phone and what happens to calls Ava cannot take, further down.
                app.scroll_to("handoff").await;
                app.shot(&format!("{lang}-5-telephony-handoff")).await;
            }
        }
        app.click("#open-settings").await;
        app.find("#settings").await;
        app.shot(&format!("{lang}-settings")).await;
        app.axe(&format!("{lang}-settings")).await;
        // Privacy (keys, usage sharing) is further down the dialog.
        app.find("#usage-sharing").await;
        app.scroll_to("settings-privacy").await;
        app.shot(&format!("{lang}-settings-privacy")).await;
        app.click("#close-settings").await;
    }
    app.quit().await;
    let saved = std::fs::read_dir(screenshots_dir()).unwrap().count();
    assert!(saved >= 31, "{saved} screenshots");
}
