//! After the assistant exists, what the owner edits reaches the live assistant in Vapi: the
//! whole assistant in one PATCH (Vapi replaces nested objects, so a partial `model` would wipe
//! the system prompt), offline edits coalesced into one update when Vapi is back, never an
//! older version applied after a newer one whatever fails, and nothing lost when the app
//! quits mid-request. The core works offline here (no account): the live assistant needs
//! only Vapi.

use ava_core::AssistantChoices;
use ava_core::Onboarding;
use ava_fakes::{Fault, FaultRule};
use ava_ipc::AssistantSync;
use ava_testkit::*;
use serde_json::{Value, json};
use sqlx::PgPool;

const PATCH: &str = "PATCH /assistant/{id}";

async fn up_to_date(core: &Onboarding) {
    wait_for(core, "the live assistant up to date", |s| {
        s.assistant == AssistantSync::UpToDate
    })
    .await;
}

/// A core, offline, whose assistant was just created in Vapi and is up to date.
struct Launched {
    world: World,
    core: Onboarding,
    id: String,
    _folder: tempfile::TempDir,
}

async fn launched(pool: PgPool) -> Launched {
    let world = World::new(pool).await;
    let folder = tempfile::tempdir().unwrap();
    let (core, id) = launched_core(&world, folder.path(), &keychain_id()).await;
    up_to_date(&core).await;
    Launched {
        world,
        core,
        id,
        _folder: folder,
    }
}

/// Vapi answers the next `times` updates of an assistant with `status`.
fn updates_fail(world: &World, times: usize, status: u16) {
    world
        .fakes
        .vapi
        .faults
        .add(FaultRule::next(times, Fault::Status(status)).on(PATCH));
}

/// The instructions of a body's system prompt: what step 7 wrote, without the call rules
/// every assistant carries after it.
fn prompt(assistant: &Value) -> String {
    let content = ava_fakes::system_prompt(assistant);
    let rules = content.find("\n\nCall rules:").unwrap_or(content.len());
    content[..rules].to_owned()
}

/// `n` from the "Guidelines: v{n}" line of a body's system prompt.
fn version(body: &Value) -> u32 {
    let prompt = prompt(body);
    prompt
        .split("Guidelines: v")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no version in {prompt}"))
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_edit_after_creation_updates_the_whole_live_assistant_once(pool: PgPool) {
    let Launched {
        world, core, id, ..
    } = &launched(pool).await;
    assert!(
        world.fakes.vapi.assistant_patches(id).is_empty(),
        "what was just created is not sent again"
    );

    core.update_studio(&json!({"guidelines": "v1 Greet regulars by name"}))
        .unwrap();
    world.fakes.vapi.calls.wait_handled(PATCH, 1).await;
    up_to_date(core).await;
    let patches = world.fakes.vapi.assistant_patches(id);
    assert_eq!(patches.len(), 1, "one PATCH for one edit");
    assert!(
        patches[0].get("metadata").is_none(),
        "metadata is left out, so the provisioning marker stays"
    );
    let live = world.fakes.vapi.assistant(id).unwrap();
    assert!(prompt(&live).contains("Greet regulars by name"), "{live:#}");
    assert!(
        prompt(&live).contains("Monday to Friday 09:00–18:00"),
        "the rest of the prompt is still there"
    );
    assert_eq!(live["model"]["provider"], "openai");
    assert!(live["model"]["model"].is_string());
    assert_eq!(
        live["name"], "Ava Dental",
        "the name chosen at step 7 stays"
    );
    assert!(live["metadata"]["ava_provisioning_id"].is_string());

    // An edit that does not shape the assistant sends nothing; the next one that does is the
    // second PATCH, carrying both the earlier change and its own.
    core.update_studio(&json!({"plan": "pro"})).unwrap();
    core.update_studio(&json!({"tone": "friendly"})).unwrap();
    world.fakes.vapi.calls.wait_handled(PATCH, 2).await;
    up_to_date(core).await;
    let patches = world.fakes.vapi.assistant_patches(id);
    assert_eq!(patches.len(), 2, "{patches:#?}");
    assert!(prompt(&patches[1]).contains("warm and friendly"));
    assert!(prompt(&patches[1]).contains("Greet regulars by name"));
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn instructions_the_owner_wrote_are_kept_through_later_edits(pool: PgPool) {
    let Launched {
        world, core, id, ..
    } = &launched(pool).await;
    // "Update Ava" at step 7 with instructions of the owner's own.
    let mut form = core.assistant_defaults().form;
    form.instructions = "You are Ava. Only ever book cleanings.".into();
    core.provision(&AssistantChoices::from(form)).await.unwrap();
    world.fakes.vapi.calls.wait_handled(PATCH, 1).await;
    up_to_date(core).await;
    let live = world.fakes.vapi.assistant(id).unwrap();
    assert_eq!(prompt(&live), "You are Ava. Only ever book cleanings.");
    assert!(
        ava_fakes::system_prompt(&live).contains("Call rules:"),
        "the call rules follow the owner's own words"
    );
    assert_eq!(
        world.fakes.vapi.assistants().len(),
        1,
        "updated, not created again"
    );
    // A later change of the hours changes nothing the owner wrote: nothing to send.
    core.update_studio(&json!({"business_hours": "Mon-Sat 08:00-12:00"}))
        .unwrap();
    core.update_studio(&json!({"languages": ["fr"]})).unwrap();
    world.fakes.vapi.calls.wait_handled(PATCH, 2).await;
    up_to_date(core).await;
    let live = world.fakes.vapi.assistant(id).unwrap();
    assert_eq!(prompt(&live), "You are Ava. Only ever book cleanings.");
    assert_eq!(
        live["voice"]["voiceId"], "fr-FR-DeniseNeural",
        "the voice follows the first language"
    );
    assert_eq!(
        core.assistant_defaults().form.instructions,
        "You are Ava. Only ever book cleanings.",
        "step 7 shows what the owner wrote"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn edits_made_while_vapi_is_away_go_out_as_one_update(pool: PgPool) {
    let Launched {
        world, core, id, ..
    } = &launched(pool).await;
    updates_fail(world, usize::MAX, 503);
    core.update_studio(&json!({"guidelines": "v1"})).unwrap();
    world.fakes.vapi.calls.wait_received(PATCH, 1).await;
    let status = wait_for(core, "updating, with why", |s| {
        s.assistant == AssistantSync::Updating && s.assistant_error.is_some()
    })
    .await;
    assert_eq!(
        status.assistant_error.unwrap().code,
        ava_model::ErrorCode::VapiUnavailable,
        "the window says why"
    );
    for n in 2..=5 {
        core.update_studio(&json!({ "guidelines": format!("v{n}") }))
            .unwrap();
    }
    world.fakes.vapi.faults.clear();
    up_to_date(core).await;
    let patches = world.fakes.vapi.assistant_patches(id);
    assert_eq!(patches.len(), 1, "one update for the five edits");
    assert_eq!(version(&patches[0]), 5);
    assert_eq!(version(&world.fakes.vapi.assistant(id).unwrap()), 5);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn whatever_fails_an_older_version_is_never_applied_after_a_newer_one(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let config = world.config_for_hangs(dir.path(), NO_SERVER);
    let (core, id) = launched_core_on(config, &keychain_id()).await;
    up_to_date(&core).await;
    let scenarios: Vec<(&str, FaultRule)> = vec![
        ("500", FaultRule::next(1, Fault::Status(500)).on(PATCH)),
        (
            "429 twice",
            FaultRule::next(2, Fault::Status(429)).on(PATCH),
        ),
        ("hangs", FaultRule::next(1, Fault::Hang).on(PATCH)),
        (
            "applied, answer lost",
            FaultRule::next(1, Fault::Hang).on(PATCH).after_handling(),
        ),
        (
            "applied, connection dropped",
            FaultRule::next(1, Fault::DropConnection)
                .on(PATCH)
                .after_handling(),
        ),
        (
            "applied, then 500",
            FaultRule::next(1, Fault::Status(500))
                .on(PATCH)
                .after_handling(),
        ),
    ];
    let mut n = 0;
    for (scenario, rule) in scenarios {
        world.fakes.vapi.faults.add(rule);
        let received = world.fakes.vapi.calls.count(PATCH);
        n += 1;
        core.update_studio(&json!({ "guidelines": format!("v{n}") }))
            .unwrap();
        // The next edit lands while the faulted request is out.
        world
            .fakes
            .vapi
            .calls
            .wait_received(PATCH, received + 1)
            .await;
        n += 1;
        core.update_studio(&json!({ "guidelines": format!("v{n}") }))
            .unwrap();
        // (The status alone could still be the "up to date" of the first edit.)
        wait_for(&core, scenario, |s| {
            s.assistant == AssistantSync::UpToDate
                && version(&world.fakes.vapi.assistant(&id).unwrap()) == n
        })
        .await;
        assert_eq!(world.fakes.vapi.faults.pending(), 0, "{scenario}: fired");
        assert_eq!(
            version(&world.fakes.vapi.assistant(&id).unwrap()),
            n,
            "{scenario}: Vapi has the latest edit"
        );
    }
    let applied: Vec<u32> = world
        .fakes
        .vapi
        .assistant_patches(&id)
        .iter()
        .map(version)
        .collect();
    assert!(
        applied.windows(2).all(|pair| pair[0] <= pair[1]),
        "versions applied in order: {applied:?}"
    );
    assert_eq!(applied.last(), Some(&n));
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_edit_whose_update_was_cut_off_by_quitting_goes_out_at_the_next_start(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let app = keychain_id();
    let config = world.config_for_hangs(dir.path(), NO_SERVER);
    let (core, id) = launched_core_on(config, &app).await;
    up_to_date(&core).await;
    world
        .fakes
        .vapi
        .faults
        .add(FaultRule::next(1, Fault::Hang).on(PATCH));
    core.update_studio(&json!({"guidelines": "v7 Closed on holidays"}))
        .unwrap();
    world.fakes.vapi.calls.wait_received(PATCH, 1).await;
    // Quit while the request hangs.
    core.flush().unwrap();
    drop(core);

    let core = open_core(world.config(dir.path(), NO_SERVER), &app);
    up_to_date(&core).await;
    assert_eq!(version(&world.fakes.vapi.assistant(&id).unwrap()), 7);
    assert!(prompt(&world.fakes.vapi.assistant(&id).unwrap()).contains("Closed on holidays"));
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_refused_update_says_why_and_the_next_edit_tries_again(pool: PgPool) {
    let Launched {
        world, core, id, ..
    } = &launched(pool).await;
    updates_fail(world, 1, 400);
    core.update_studio(&json!({"guidelines": "v1"})).unwrap();
    let status = wait_for(core, "failed", |s| s.assistant == AssistantSync::Failed).await;
    assert_eq!(
        status.assistant_error.unwrap().code,
        ava_model::ErrorCode::VapiRefused
    );
    assert_eq!(
        world.fakes.vapi.calls.count(PATCH),
        1,
        "a refusal is not retried"
    );
    core.update_studio(&json!({"guidelines": "v2"})).unwrap();
    up_to_date(core).await;
    assert_eq!(version(&world.fakes.vapi.assistant(id).unwrap()), 2);
}

/// Issue 34: the call settings chosen at step 7 reach the live assistant like any other answer.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn call_settings_chosen_at_step_seven_reach_the_live_assistant(pool: PgPool) {
    let Launched {
        world, core, id, ..
    } = &launched(pool).await;
    let before = world.fakes.vapi.assistant(id).unwrap();
    assert_eq!(
        before["maxDurationSeconds"], 1800,
        "30 minutes unless chosen"
    );
    assert_eq!(before["backgroundSound"], "off");
    assert_eq!(before["artifactPlan"]["recordingEnabled"], false);
    core.update_studio(
        &json!({"call_length": "60", "call_recording": "announced", "background_sound": "office"}),
    )
    .unwrap();
    world.fakes.vapi.calls.wait_handled(PATCH, 1).await;
    up_to_date(core).await;
    let live = world.fakes.vapi.assistant(id).unwrap();
    assert_eq!(live["maxDurationSeconds"], 3600);
    assert_eq!(live["backgroundSound"], "office");
    assert_eq!(live["artifactPlan"]["recordingEnabled"], true);
    let refused = core
        .update_studio(&json!({"call_length": "45"}))
        .unwrap_err();
    assert_eq!(refused.field().map(|f| f.as_str()), Some("call_length"));
}
