//! Exactly-once provisioning: whatever fails (500, 429, a hang past the timeout, a dropped
//! connection, before or after Vapi did the work, or the app quitting between steps), the end
//! state is one assistant, one imported number attached to it, one record on the server and the
//! flag set.

use ava_core::AssistantChoices;
use ava_core::Onboarding;
use ava_fakes::{Fault, FaultRule};
use ava_testkit::*;
use serde_json::json;
use sqlx::PgPool;

async fn ready_core(
    world: &World,
    server_url: &str,
    dir: &std::path::Path,
    app: &str,
) -> Onboarding {
    let core = open_core(world.config_for_hangs(dir, server_url), app);
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    core.update_profile(&json!({"organization_name": "Acme Dental", "accept_terms": true}))
        .unwrap();
    core.update_studio(
        &json!({"persona": "secretary", "languages": ["fr", "en"], "tone": "friendly",
        "business_hours": "Mon-Fri 9-18", "job_to_be_done": "Book appointments"}),
    )
    .unwrap();
    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    core.save_twilio(TWILIO_SID, TWILIO_TOKEN, Some(TWILIO_NUMBER))
        .await
        .unwrap();
    core
}

async fn assert_exactly_once(world: &World, core: &Onboarding, scenario: &str) {
    let assistants = world.fakes.vapi.assistants();
    assert_eq!(assistants.len(), 1, "{scenario}: one assistant in Vapi");
    let numbers = world.fakes.vapi.phone_numbers();
    assert_eq!(numbers.len(), 1, "{scenario}: one number import");
    assert_eq!(
        numbers[0]["assistantId"], assistants[0]["id"],
        "{scenario}: the number is attached"
    );
    synced(core).await;
    let records: Vec<(String,)> = sqlx::query_as("SELECT vapi_assistant_id FROM assistants")
        .fetch_all(&world.pool)
        .await
        .unwrap();
    assert_eq!(
        records,
        vec![(assistants[0]["id"].as_str().unwrap().to_owned(),)],
        "{scenario}: one record"
    );
    let flag: bool = sqlx::query_scalar("SELECT onboarding_assistant_created FROM user_onboarding")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert!(flag, "{scenario}: the flag is set");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_assistant_is_built_from_the_wizard(pool: PgPool) {
    let (world, server) = World::with_server(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let core = ready_core(&world, &server.url(), dir.path(), &keychain_id()).await;
    let report = core
        .provision(&AssistantChoices {
            name: Some("Ava Dental".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(report.recorded);
    assert_eq!(
        report.phone_number_id.as_deref(),
        world.fakes.vapi.phone_numbers()[0]["id"].as_str()
    );
    assert_eq!(
        world.fakes.vapi.phone_numbers()[0]["smsEnabled"],
        false,
        "an SMS webhook the number already has is left alone"
    );
    let assistant = &world.fakes.vapi.assistants()[0];
    assert_eq!(assistant["name"], "Ava Dental");
    assert_eq!(
        assistant["voice"]["voiceId"], "fr-FR-VivienneMultilingualNeural",
        "one voice that speaks each of her languages, French first"
    );
    assert_eq!(
        assistant["voice"]["fallbackPlan"]["voices"][0]["provider"], "openai",
        "another provider's voice behind it"
    );
    assert!(
        assistant["firstMessage"]
            .as_str()
            .unwrap()
            .starts_with("Bonjour, Acme Dental")
    );
    let prompt = ava_fakes::system_prompt(assistant);
    for part in [
        "secretary",
        "Acme Dental",
        "Book appointments",
        "warm and friendly",
        "You speak French and English",
        "Mon-Fri 9-18",
    ] {
        assert!(
            prompt.contains(part),
            "the instructions mention {part}: {prompt}"
        );
    }
    assert_exactly_once(&world, &core, "happy path").await;
    // Provisioning again changes nothing.
    core.provision(&AssistantChoices::default()).await.unwrap();
    assert_exactly_once(&world, &core, "second run").await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn every_fault_at_every_step_still_gives_exactly_one_of_each(pool: PgPool) {
    let (world, server) = World::with_server(pool).await;
    let scenarios: Vec<(&str, FaultRule)> = vec![
        (
            "create 500",
            FaultRule::next(1, Fault::Status(500)).on("POST /assistant"),
        ),
        (
            "create 429 twice",
            FaultRule::next(2, Fault::Status(429)).on("POST /assistant"),
        ),
        (
            "create hangs",
            FaultRule::next(1, Fault::Hang).on("POST /assistant"),
        ),
        (
            "create done, answer lost",
            FaultRule::next(1, Fault::Hang)
                .on("POST /assistant")
                .after_handling(),
        ),
        (
            "create done, connection dropped",
            FaultRule::next(1, Fault::DropConnection)
                .on("POST /assistant")
                .after_handling(),
        ),
        (
            "create done, then 500",
            FaultRule::next(1, Fault::Status(500))
                .on("POST /assistant")
                .after_handling(),
        ),
        (
            "search 503",
            FaultRule::next(1, Fault::Status(503)).on("GET /assistant"),
        ),
        (
            "import 500",
            FaultRule::next(1, Fault::Status(500)).on("POST /phone-number"),
        ),
        (
            "import 429",
            FaultRule::next(1, Fault::Status(429)).on("POST /phone-number"),
        ),
        (
            "import hangs",
            FaultRule::next(1, Fault::Hang).on("POST /phone-number"),
        ),
        (
            "import done, answer lost",
            FaultRule::next(1, Fault::Hang)
                .on("POST /phone-number")
                .after_handling(),
        ),
        (
            "import done, connection dropped",
            FaultRule::next(1, Fault::DropConnection)
                .on("POST /phone-number")
                .after_handling(),
        ),
    ];
    for (i, (scenario, rule)) in scenarios.into_iter().enumerate() {
        // Each scenario on a clean fake Vapi org and an account of its own (not a truncated
        // table: the server's workers read it meanwhile, and a TRUNCATE among them can deadlock).
        let key = format!("vapi-scenario-key-{i:04}");
        world.fakes.vapi.add_key(&key);
        let email = format!("ann{i}@acme.com");
        let dir = tempfile::tempdir().unwrap();
        let core = open_core(
            world.config_for_hangs(dir.path(), &server.url()),
            &keychain_id(),
        );
        core.sign_up(&email, PASSWORD).await.unwrap();
        core.save_vapi_key(key.as_str(), ava_model::VapiMethod::Inline)
            .await
            .unwrap();
        core.save_twilio(TWILIO_SID, TWILIO_TOKEN, Some(TWILIO_NUMBER))
            .await
            .unwrap();
        let before = (
            world.fakes.vapi.assistants().len(),
            world.fakes.vapi.phone_numbers().len(),
        );
        world.fakes.vapi.faults.add(rule);
        core.provision(&AssistantChoices::default())
            .await
            .unwrap_or_else(|e| panic!("{scenario}: {e}"));
        assert_eq!(
            world.fakes.vapi.faults.pending(),
            0,
            "{scenario}: the fault fired"
        );
        let after = (
            world.fakes.vapi.assistants().len(),
            world.fakes.vapi.phone_numbers().len(),
        );
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (1, 1),
            "{scenario}: exactly one assistant and one number"
        );
        synced(&core).await;
        let records: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM assistants a JOIN users u ON u.id = a.user_id WHERE u.email = $1",
        )
        .bind(&email)
        .fetch_one(&world.pool)
        .await
        .unwrap();
        assert_eq!(records, 1, "{scenario}: one record");
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn quitting_between_steps_then_retrying_adopts_what_was_made(pool: PgPool) {
    let (world, server) = World::with_server(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let app = keychain_id();

    // 1. The app dies while Vapi is creating the assistant: Vapi made it, the app never
    //    heard back. (The provisioning future is dropped at that exact moment.)
    let core = ready_core(&world, &server.url(), dir.path(), &app).await;
    world.fakes.vapi.faults.add(
        FaultRule::next(1, Fault::Hang)
            .on("POST /assistant")
            .after_handling(),
    );
    let choices = AssistantChoices::default();
    tokio::select! {
        result = core.provision(&choices) => panic!("provisioning should still be waiting: {result:?}"),
        () = world.fakes.vapi.calls.wait_handled("POST /assistant", 1) => {}
    }
    drop(core);
    world.fakes.vapi.faults.clear();
    let made = world.fakes.vapi.assistants().len();
    assert_eq!(made, 1, "Vapi made the assistant");

    // 2. The app restarts; the number import then fails for good, and the app quits again.
    let core = open_core(world.config_for_hangs(dir.path(), &server.url()), &app);
    assert!(
        core.snapshot().provisioning.is_some(),
        "the provisioning id survived the restart"
    );
    world
        .fakes
        .vapi
        .faults
        .add(FaultRule::next(4, Fault::Status(500)).on("POST /phone-number"));
    assert!(core.provision(&AssistantChoices::default()).await.is_err());
    assert_eq!(
        world.fakes.vapi.assistants().len(),
        made,
        "the restart adopted the assistant, made none"
    );
    drop(core);
    world.fakes.vapi.faults.clear();

    // 3. Third run: everything answers; the earlier work is adopted, nothing is duplicated.
    let core = open_core(world.config_for_hangs(dir.path(), &server.url()), &app);
    core.provision(&AssistantChoices::default()).await.unwrap();
    let with_marker: Vec<_> = world
        .fakes
        .vapi
        .assistants()
        .into_iter()
        .filter(|a| a["metadata"]["ava_provisioning_id"].is_string())
        .collect();
    assert_eq!(
        with_marker.len(),
        1,
        "one assistant carries the provisioning id"
    );
    assert_exactly_once(&world, &core, "after two quits").await;
}
