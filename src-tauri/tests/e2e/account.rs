//! The account's life in the real window (issue 32): "Forgot your password?" walked with the
//! code read from the mail the server sent, in each language, and Settings' Account section
//! (address, computers signed in, deletion) looked at by axe and on screen.

use ava_core::api::ApiClient;
use secrecy::SecretString;

use crate::app::*;

/// An account made on the server, its language set, as another computer would have.
async fn account_in(server_url: &str, email: &str, locale: &str) {
    let api = ApiClient::new(server_url, std::time::Duration::from_secs(10)).unwrap();
    let session = api
        .register(email, &SecretString::from(PASSWORD), None)
        .await
        .unwrap();
    api.patch(
        &SecretString::from(session.access_token),
        &ava_model::ProfilePatch::from_json(&serde_json::json!({"locale": locale})).unwrap(),
    )
    .await
    .unwrap();
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_forgotten_password_is_reset_in_the_window_in_every_language(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let (world, server) = World::with_server(pool.clone()).await;
    let walks = [
        (
            "en",
            "en@acme.com",
            "Your Ava password reset code",
            "Forgot your password?",
        ),
        (
            "fr",
            "fr@acme.com",
            "Votre code de réinitialisation Ava",
            "Mot de passe oublié ?",
        ),
        (
            "he",
            "he@acme.com",
            "קוד לאיפוס הסיסמה שלך ב-Ava",
            "שכחת סיסמה?",
        ),
    ];
    for (locale, email, _, _) in walks {
        account_in(&server.url(), email, locale).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::new(&world, &server.url(), "en_US.UTF-8"), dir.path()).await;
    for (locale, email, subject, link) in walks {
        app.choose("language-switch", locale).await;
        app.click("#tab-sign-in").await;
        app.until(
            &format!("{locale}: the link"),
            &format!("return document.getElementById('forgot-password').textContent === '{link}'"),
        )
        .await;
        app.click("#forgot-password").await;
        app.type_into("#email", email).await;
        app.axe(&format!("{locale}-reset-ask")).await;
        app.shot(&format!("{locale}-reset-ask")).await;
        app.click("#reset-submit").await;
        app.find("#reset-sent").await;
        let mail = world.mail_to(email, subject).await;
        let code = mail.code().expect("a code in the mail");
        app.type_into("#code", &format!("{} {}", &code[..4], &code[4..]))
            .await;
        app.type_into("#new_password", "short").await;
        app.click("#reset-submit").await;
        // Judged here before anything is sent: at its field, in the owner's language.
        app.until(
            &format!("{locale}: a short password is refused at its field"),
            "return document.getElementById('new_password').getAttribute('aria-invalid') === 'true'",
        )
        .await;
        app.type_into("#new_password", "a new long password").await;
        app.axe(&format!("{locale}-reset-code")).await;
        app.shot(&format!("{locale}-reset-code")).await;
        app.click("#reset-submit").await;
        app.on_step("profile").await;
        app.pill("synced").await;
        let signed_in: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM refresh_families f JOIN users u ON u.id = f.user_id
             WHERE u.email = $1 AND f.revoked_at IS NULL AND f.device IS NOT NULL",
        )
        .bind(email)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            signed_in, 1,
            "{locale}: the window signed in, under its name"
        );
        // Signed out again for the next language's walk.
        app.click("#open-settings").await;
        app.click("#sign-out").await;
        app.find("#sign-in-later").await;
        app.click("#sign-in-later").await;
        app.find("#tab-sign-in").await;
    }
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn settings_show_the_account_and_delete_it_for_good(pool: PgPool) {
    let (app, online) = launch_signed_up(pool.clone(), "ann@acme.com").await;
    app.pill("synced").await;
    // Another computer of Ann's.
    let other = ApiClient::new(&online.server.url(), std::time::Duration::from_secs(10)).unwrap();
    let office = ava_model::DeviceName::parse("Office PC · Windows 11").unwrap();
    other
        .login("ann@acme.com", &SecretString::from(PASSWORD), Some(&office))
        .await
        .unwrap();
    app.click("#open-settings").await;
    for (locale, this_computer) in [
        ("en", "This computer"),
        ("fr", "Cet ordinateur"),
        ("he", "המחשב הזה"),
    ] {
        app.choose("language-switch", locale).await;
        app.until(
            &format!("{locale}: the computers signed in"),
            &format!(
                "const list = document.querySelector('.sign-ins'); \
                 return !!list && list.children.length === 2 && list.textContent.includes('Office PC') \
                     && list.textContent.includes('{this_computer}')"
            ),
        )
        .await;
        app.axe_dialog(&format!("{locale}-settings-account")).await;
        app.scroll_to("settings-account").await;
        app.shot(&format!("{locale}-settings-account")).await;
    }
    app.choose("language-switch", "en").await;
    app.click("#open-delete-account").await;
    app.find("#delete-erases").await;
    app.click("#vapi-delete").await;
    app.type_into("#password", "not my password").await;
    app.click("#delete-account").await;
    app.until(
        "a wrong password is said at its field",
        "return document.getElementById('password').getAttribute('aria-invalid') === 'true'",
    )
    .await;
    app.scroll_to("delete-erases").await;
    app.shot("en-delete-account").await;
    app.axe_dialog("en-delete-account").await;
    app.type_into("#password", PASSWORD).await;
    app.click("#delete-account").await;
    app.find("#tab-sign-up").await;
    until_db(
        &pool,
        "SELECT count(*)::text FROM users WHERE email = 'ann@acme.com'",
        Some("0"),
    )
    .await;
    online
        .world
        .mail_to("ann@acme.com", "Your Ava account was deleted")
        .await;
    app.shot("en-account-deleted").await;
    app.quit().await;
}
