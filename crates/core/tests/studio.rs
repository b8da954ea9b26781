//! After launch, from the home: "Talk to Ava" (a text conversation with the live assistant
//! through Vapi's chat API, continued with `previousChatId`) and her recent calls.

use ava_core::{CoreError, Precondition};
use ava_fakes::{CallSpec, Fault, FaultRule};
use ava_model::OpenNow;
use ava_testkit::*;
use sqlx::PgPool;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn talk_to_ava_continues_one_conversation_on_her_instructions(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let (core, _) = launched_core(&world, dir.path(), &keychain_id()).await;

    let view = core.chat("Are you open on Saturday?").await.unwrap();
    assert_eq!(view.lines.len(), 2);
    assert!(view.lines[0].from_owner && !view.lines[1].from_owner);
    let answer = &view.lines[1].text;
    assert!(answer.contains("(turn 1)"), "{answer}");
    assert!(
        answer.contains("You are Ava, the secretary who answers the phone for Acme Dental"),
        "she runs on the wizard's instructions: {answer}"
    );
    let prompt = view.system_prompt.unwrap();
    assert!(prompt.contains("Monday to Friday 09:00–18:00"), "{prompt}");

    let view = core.chat("And on Sunday?").await.unwrap();
    assert_eq!(view.lines.len(), 4);
    assert!(view.lines[3].text.contains("(turn 2)"), "{:?}", view.lines);
    let chats = world.fakes.vapi.chats();
    assert_eq!(
        chats[1]["previousChatId"], chats[0]["id"],
        "the same conversation"
    );

    assert!(core.new_chat().lines.is_empty());
    let view = core.chat("Hello?").await.unwrap();
    assert!(view.lines[1].text.contains("(turn 1)"));
    assert!(world.fakes.vapi.chats()[2]["previousChatId"].is_null());
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_chat_that_cannot_go_says_why_and_keeps_the_conversation(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let (core, _) = launched_core(&world, dir.path(), &keychain_id()).await;
    core.chat("Hi").await.unwrap();

    let empty = core.chat("   ").await.unwrap_err().to_ui();
    assert_eq!(
        (empty.code.as_str(), empty.field.map(|f| f.as_str())),
        ("required", Some("chat"))
    );
    let long = core.chat(&"a".repeat(2_001)).await.unwrap_err().to_ui();
    assert_eq!(long.field.map(|f| f.as_str()), Some("chat"));

    world.fakes.vapi.require_payment_for_chat(true);
    let refused = core.chat("Still there?").await.unwrap_err().to_ui();
    assert_eq!(refused.code, ava_model::ErrorCode::VapiRefused);
    assert!(
        refused.message.contains("Add a payment method"),
        "{}",
        refused.message
    );
    world.fakes.vapi.require_payment_for_chat(false);

    // A busy Vapi is asked again (bounded); the conversation goes on where it was.
    world
        .fakes
        .vapi
        .faults
        .add(FaultRule::next(2, Fault::Status(503)).on("POST /chat"));
    let view = core.chat("Still there?").await.unwrap();
    assert_eq!(view.lines.len(), 4, "the refused turns left no line");
    assert!(view.lines[3].text.contains("(turn 2)"));
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_home_lists_this_assistants_calls_newest_first(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let before = open_core(world.config(dir.path(), NO_SERVER), &keychain_id());
    assert!(matches!(
        before.recent_calls().await,
        Err(CoreError::Precondition(Precondition::AssistantMissing))
    ));
    drop(before);
    let dir = tempfile::tempdir().unwrap();
    let (core, id) = launched_core(&world, dir.path(), &keychain_id()).await;
    assert!(core.recent_calls().await.unwrap().is_empty(), "none yet");
    // No summer time there, so the expected clock is a fixed offset.
    core.update_profile(&serde_json::json!({"timezone": "Asia/Kolkata"}))
        .unwrap();

    // Calls come after the assistant exists: minutes after now, inside the search's margin
    // for clocks that disagree.
    let base = chrono::Utc::now();
    let at = |m: i64| base + chrono::Duration::minutes(5 - m);
    let newest = at(1);
    world.fakes.vapi.add_call(&CallSpec {
        assistant_id: &id,
        caller: "+33612345678",
        started_at: at(3),
        seconds: 125,
        ended_reason: "customer-ended-call",
        summary: Some("Booked a cleaning for Tuesday 10:00."),
    });
    world.fakes.vapi.add_call(&CallSpec {
        assistant_id: &id,
        caller: "+14155550123",
        started_at: newest,
        seconds: 40,
        ended_reason: "assistant-forwarded-call",
        summary: None,
    });
    // Another assistant's call is not listed.
    world.fakes.vapi.add_call(&CallSpec {
        assistant_id: "some-other-assistant",
        caller: "+14155550999",
        started_at: at(2),
        seconds: 10,
        ended_reason: "voicemail",
        summary: None,
    });
    world
        .fakes
        .vapi
        .faults
        .add(FaultRule::next(1, Fault::Status(503)).on("GET /call"));
    let calls = core.recent_calls().await.unwrap();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0].caller.as_deref(),
        Some("+14155550123"),
        "newest first"
    );
    assert_eq!(calls[0].duration_seconds, Some(40));
    let in_kolkata = newest + chrono::Duration::minutes(5 * 60 + 30);
    assert_eq!(
        calls[0].started.as_deref(),
        Some(in_kolkata.format("%Y-%m-%d %H:%M").to_string().as_str()),
        "on the business's clock"
    );
    assert_eq!(
        calls[0].ended_reason.as_deref(),
        Some("assistant-forwarded-call")
    );
    assert_eq!(calls[1].duration_seconds, Some(125));
    assert_eq!(
        calls[1].summary.as_deref(),
        Some("Booked a cleaning for Tuesday 10:00.")
    );
    assert_eq!(calls[1].status.as_deref(), Some("ended"));

    // Vapi away for good: a clear error, not an empty list.
    world
        .fakes
        .vapi
        .faults
        .add(FaultRule::next(usize::MAX, Fault::Status(503)).on("GET /call"));
    let error = core.recent_calls().await.unwrap_err().to_ui();
    assert_eq!(error.code, ava_model::ErrorCode::VapiUnavailable);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn of_many_calls_in_any_order_the_home_shows_the_twenty_newest(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let (core, id) = launched_core(&world, dir.path(), &keychain_id()).await;
    // 45 calls a few seconds apart, recorded out of order; the fake lists them oldest first
    // and cuts at `limit`, so taking "any 20" would show the oldest.
    let base = chrono::Utc::now();
    let mut order: Vec<i64> = (0..45).collect();
    order.sort_by_key(|i| (i * 17) % 45);
    for i in &order {
        world.fakes.vapi.add_call(&CallSpec {
            assistant_id: &id,
            caller: &format!("+1415555{:04}", i),
            started_at: base + chrono::Duration::seconds(i * 3),
            seconds: 30,
            ended_reason: "customer-ended-call",
            summary: None,
        });
    }
    world.fakes.vapi.calls.reset();
    let calls = core.recent_calls().await.unwrap();
    let callers: Vec<String> = calls.iter().filter_map(|c| c.caller.clone()).collect();
    let expected: Vec<String> = (25..45).rev().map(|i| format!("+1415555{i:04}")).collect();
    assert_eq!(callers, expected, "the 20 newest, newest first");
    let asked = world.fakes.vapi.calls.count("GET /call");
    // The day-long first window is halved about log2(86400 s / 135 s) ≈ 10 times before its
    // halves come back whole; where `now` falls adds a request or two. Far fewer than one
    // request per call, and bounded whatever the timing.
    assert!(
        (2..=20).contains(&asked),
        "a full window is split until each half comes back whole: {asked} requests"
    );
    assert_eq!(world.fakes.drift(), Vec::<String>::new());
}

/// The launched core, with the Twilio number imported and attached (Ava calls from it).
async fn core_with_number(world: &World, dir: &std::path::Path) -> ava_core::Onboarding {
    let (core, _) = launched_core(world, dir, &keychain_id()).await;
    core.save_twilio(TWILIO_SID, TWILIO_TOKEN, Some(TWILIO_NUMBER))
        .await
        .unwrap();
    core.provision(&ava_core::AssistantChoices::default())
        .await
        .unwrap();
    core
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn call_my_phone_rings_then_ends_with_a_reason(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let (without_number, _) = launched_core(&world, dir.path(), &keychain_id()).await;
    assert!(matches!(
        without_number.call_me("+33612345678").await,
        Err(CoreError::Precondition(Precondition::NumberMissing))
    ));
    drop(without_number);

    let dir = tempfile::tempdir().unwrap();
    let core = core_with_number(&world, dir.path()).await;
    let bad = core.call_me("12").await.unwrap_err().to_ui();
    assert_eq!(bad.field.map(|f| f.as_str()), Some("call_to"), "{bad:?}");

    let placed = core.call_me("+33 6 12 34 56 78").await.unwrap();
    assert_eq!(placed.status.as_deref(), Some("queued"));
    assert_eq!(
        placed.caller.as_deref(),
        Some("+33612345678"),
        "sent as E.164"
    );
    let mut seen = Vec::new();
    for _ in 0..3 {
        world.fakes.vapi.advance_call(&placed.id).unwrap();
        let now = core.call_status(&placed.id).await.unwrap();
        seen.push(now.status.clone().unwrap());
        if seen.last().map(String::as_str) == Some("ended") {
            assert_eq!(now.ended_reason.as_deref(), Some("customer-ended-call"));
            assert!(now.summary.is_some());
        }
    }
    assert_eq!(seen, ["ringing", "in-progress", "ended"]);
    assert_eq!(
        world.fakes.vapi.calls.count("POST /call"),
        1,
        "one call placed"
    );

    // A test call is only a test: it sets no handoff on the number or the assistant.
    assert_eq!(world.fakes.vapi.calls.count("PATCH /phone-number/{id}"), 0);
    let number = &world.fakes.vapi.phone_numbers()[0];
    assert!(number.get("fallbackDestination").is_none(), "{number:#}");
    assert_eq!(number["smsEnabled"], false, "the SMS webhook is left alone");
    let assistant = &world.fakes.vapi.assistants()[0];
    assert!(!transfers(assistant), "{assistant:#}");
    assert_eq!(
        core.view().handoff,
        ava_ipc::HandoffView::Message { email: None }
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_owners_phone_takes_the_calls_ava_hands_over_through_every_edit(pool: PgPool) {
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_with_number(&world, dir.path()).await;
    let id = world.fakes.vapi.assistants()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = core
        .update_studio(&serde_json::json!({"fallback_phone": "06 12"}))
        .unwrap_err()
        .to_ui();
    assert_eq!(refused.field.map(|f| f.as_str()), Some("fallback_phone"));

    fallback_phone_reaches_vapi(&core, &world, "+33612345678", 1).await;
    let live = world.fakes.vapi.assistants()[0].clone();
    let tool = &live["model"]["tools"][0];
    assert_eq!(tool["type"], "transferCall");
    assert_eq!(tool["destinations"][0]["number"], "+33612345678");
    assert_eq!(live["hooks"][0]["on"], "call.ending");
    assert!(
        ava_fakes::system_prompt(&live).contains("transfer the call"),
        "her instructions say when to hand over"
    );
    assert_eq!(
        core.view().handoff,
        ava_ipc::HandoffView::Transfer {
            number: "+33612345678".into()
        }
    );
    assert!(
        world.fakes.vapi.phone_numbers()[0]
            .get("fallbackDestination")
            .is_none(),
        "nothing is set that Vapi ignores for a number with an assistant"
    );

    // Vapi replaces nested objects: a guidelines edit sends the handoff and the transcriber
    // again, or it would delete them.
    core.update_studio(&serde_json::json!({"guidelines": "v1 Greet regulars by name"}))
        .unwrap();
    world.fakes.vapi.calls.wait_handled(PATCH, 2).await;
    let patches = world.fakes.vapi.assistant_patches(&id);
    let edit = patches.last().unwrap();
    assert!(ava_fakes::system_prompt(edit).contains("Greet regulars"));
    assert_eq!(edit["model"]["tools"][0], *tool, "{edit:#}");
    assert_eq!(edit["hooks"], live["hooks"]);
    assert_eq!(edit["transcriber"], live["transcriber"]);

    // Removing the phone removes the handoff from Vapi.
    fallback_phone_reaches_vapi(&core, &world, "", 3).await;
    let live = world.fakes.vapi.assistants()[0].clone();
    assert!(!transfers(&live), "{live:#}");
    assert_eq!(live["hooks"], serde_json::json!([]));
    assert_eq!(world.fakes.drift(), Vec::<String>::new());
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_assistant_hears_callers_in_her_own_languages(pool: PgPool) {
    let world = World::new(pool).await;
    for (languages, provider, language) in [
        (vec!["he"], "deepgram", "he"),
        (vec!["fr"], "deepgram", "fr"),
        (vec!["ar"], "azure", "ar-SA"),
        (vec!["he", "en"], "deepgram", "multi"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let core = open_core(world.config(dir.path(), NO_SERVER), &keychain_id());
        core.update_studio(&serde_json::json!({"languages": languages}))
            .unwrap();
        core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
            .await
            .unwrap();
        let report = core
            .provision(&ava_core::AssistantChoices::default())
            .await
            .unwrap();
        let made = world
            .fakes
            .vapi
            .assistants()
            .into_iter()
            .find(|a| a["id"] == report.assistant_id.as_str())
            .unwrap();
        assert_eq!(made["transcriber"]["provider"], provider, "{languages:?}");
        assert_eq!(made["transcriber"]["language"], language, "{languages:?}");
        assert!(
            made["transcriber"]["fallbackPlan"]["transcribers"][0].is_object(),
            "a second provider behind the first: {made:#}"
        );
        let first = made["firstMessage"].as_str().unwrap();
        assert_eq!(
            first,
            ava_model::spoken(languages[0]).unwrap().greeting_anonymous,
            "she greets in her first language"
        );
    }
    assert_eq!(world.fakes.drift(), Vec::<String>::new());
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_trial_account_is_told_before_calling_a_number_it_cannot_reach(pool: PgPool) {
    let world = World::new(pool).await;
    world.fakes.twilio.make_trial(TWILIO_SID);
    let dir = tempfile::tempdir().unwrap();
    let core = core_with_number(&world, dir.path()).await;
    assert!(
        core.snapshot().twilio.unwrap().trial,
        "the account's type is read when the credentials are saved"
    );

    let refused = core.call_me("+33612345678").await.unwrap_err().to_ui();
    assert_eq!(refused.code, ava_model::ErrorCode::TrialNumberNotVerified);
    assert_eq!(refused.field.map(|f| f.as_str()), Some("call_to"));
    assert_eq!(
        world.fakes.vapi.calls.count("POST /call"),
        0,
        "no call that would fail is placed"
    );

    world
        .fakes
        .twilio
        .verify_caller_id(TWILIO_SID, "+33612345678");
    let placed = core.call_me("+33612345678").await.unwrap();
    world.fakes.vapi.advance_call(&placed.id).unwrap();
    let now = core.call_status(&placed.id).await.unwrap();
    assert_eq!(now.status.as_deref(), Some("ringing"));
}

#[tokio::test]
async fn open_now_reads_the_typed_hours_on_the_business_clock() {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(
        ava_core::CoreConfig::new(dir.path(), NO_SERVER),
        &keychain_id(),
    );
    // Monday 2026-11-30, 03:45 UTC: 09:15 in Kolkata.
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 11, 30, 3, 45, 0)
        .unwrap();
    let hours = "Mon 09:00–10:00";
    let utc_answer = core.open_now(hours, now);
    assert_eq!(
        utc_answer,
        Some(OpenNow::ClosedUntil { day: 0, at: 9 * 60 }),
        "no zone yet: UTC"
    );
    core.update_profile(&serde_json::json!({"timezone": "Asia/Kolkata"}))
        .unwrap();
    assert_eq!(core.open_now(hours, now), Some(OpenNow::OpenUntil(10 * 60)));
    assert_eq!(core.open_now("Weekdays, mornings", now), None, "free text");
}

/// Whether the assistant can hand calls over (a `transferCall` tool); the `endCall` tool is
/// always there.
const PATCH: &str = "PATCH /assistant/{id}";

/// Sets the owner's phone and waits until Vapi has the `patches`-th assistant update and the
/// window says the assistant is up to date.
async fn fallback_phone_reaches_vapi(
    core: &ava_core::Onboarding,
    world: &World,
    phone: &str,
    patches: usize,
) {
    core.update_studio(&serde_json::json!({ "fallback_phone": phone }))
        .unwrap();
    world.fakes.vapi.calls.wait_handled(PATCH, patches).await;
    wait_for(core, "up to date", |s| {
        s.assistant == ava_ipc::AssistantSync::UpToDate
    })
    .await;
}

fn transfers(assistant: &serde_json::Value) -> bool {
    assistant["model"]["tools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|t| t["type"] == "transferCall"))
}
