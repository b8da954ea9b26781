//! Contract tests: what the Vapi and Twilio clients send, and what the fakes answer, held
//! against the providers' own published OpenAPI documents (`crates/fakes/contracts/`, read by
//! `ava_fakes::contract`). The fakes refuse a request the document does not allow as Vapi
//! does and record any answer of theirs it does not describe, so every client call made here
//! is checked both ways; the assistants the desktop builds are also validated directly, for
//! every language Ava speaks, with and without the owner's phone.

mod common;

use std::time::Duration;

use ava_fakes::CallSpec;
use ava_fakes::contract;
use ava_model::{LanguageCode, SPOKEN, hearing};
use ava_vapi::*;
use serde_json::{Value, json};

const KEY: &str = "vapi-contract-key-0001";
use common::{NUMBER, SID};
const OWNER: &str = "+33612345678";

fn seed_assistant() -> CreateAssistant {
    common::assistant_for(json!({
        "name": "Ava", "instructions": "You are Ava, the front desk of Acme.",
        "firstMessage": "Hello!",
        "voice": {"provider": "azure", "voiceId": "en-US-JennyNeural"},
        "model": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.5},
        "metadata": {"ava_provisioning_id": "run-1"}
    }))
}

fn languages(codes: &[&str]) -> Vec<LanguageCode> {
    codes
        .iter()
        .map(|c| LanguageCode::parse(c).unwrap())
        .collect()
}

/// The assistant as the desktop builds it (`ava_core::provision::assistant_request`).
fn desktop_assistant(codes: &[&str], owner: Option<&str>) -> CreateAssistant {
    let spoken = ava_model::spoken_of(&languages(codes))[0];
    let handoff = owner.map(|number| Handoff {
        number: number.to_owned(),
        message: spoken.transfer_message.to_owned(),
    });
    seed_assistant()
        .hearing(&hearing(&languages(codes)))
        .handing_off_to(handoff.as_ref())
}

fn assert_valid(schema: &str, body: &impl serde::Serialize, what: &str) {
    let body = serde_json::to_value(body).unwrap();
    let errors = contract::vapi().errors_against(schema, &body);
    assert!(
        errors.is_empty(),
        "{what} breaks {schema}: {errors:#?}\n{body:#}"
    );
}

#[test]
fn every_assistant_the_desktop_builds_is_valid_for_vapi_in_every_language() {
    let mut combinations: Vec<Vec<&str>> = SPOKEN.iter().map(|s| vec![s.code]).collect();
    combinations.extend([
        vec!["fr", "en"],
        vec!["he", "en"],
        vec!["ar", "fr", "he"],
        vec!["en", "es", "de", "it", "pt", "fr"],
        SPOKEN.iter().map(|s| s.code).collect(),
    ]);
    for codes in &combinations {
        for owner in [None, Some(OWNER)] {
            let body = desktop_assistant(codes, owner);
            let what = format!("the assistant for {codes:?} (owner's phone {owner:?})");
            assert_valid("CreateAssistantDTO", &body, &what);
            let mut update = body.clone();
            update.metadata = None;
            assert_valid("UpdateAssistantDTO", &update, &what);
        }
    }
    assert_valid(
        "CreateAssistantDTO",
        &seed_assistant(),
        "the seed route's assistant",
    );
}

#[test]
fn a_transcriber_is_always_sent_and_the_handoff_only_with_a_phone() {
    let hebrew = serde_json::to_value(desktop_assistant(&["he"], Some(OWNER))).unwrap();
    assert_eq!(hebrew["transcriber"]["provider"], "azure");
    assert_eq!(hebrew["transcriber"]["language"], "he-IL");
    assert_eq!(
        hebrew["transcriber"]["fallbackPlan"]["transcribers"][0]["language"],
        "he"
    );
    let tool = &hebrew["model"]["tools"][0];
    assert_eq!(tool["type"], "transferCall");
    assert_eq!(tool["destinations"][0]["number"], OWNER);
    assert!(
        tool["destinations"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("רגע אחד"),
        "the handoff speaks the assistant's language: {tool}"
    );
    assert_eq!(hebrew["hooks"][0]["on"], "call.ending");
    assert_eq!(hebrew["hooks"][0]["do"][0]["tool"], *tool);

    let nobody = serde_json::to_value(desktop_assistant(&["fr"], None)).unwrap();
    assert!(nobody["model"].get("tools").is_none(), "{nobody:#}");
    assert_eq!(
        nobody["hooks"],
        json!([]),
        "sent empty, so an update removes a handoff Vapi still has"
    );
    assert_eq!(nobody["transcriber"]["language"], "fr");
}

#[test]
fn the_handoffs_ended_reasons_are_vapis() {
    let call = contract::vapi().schema("Call").unwrap();
    let reasons = call["properties"]["endedReason"]["enum"]
        .as_array()
        .unwrap();
    for reason in ava_model::HANDOFF_ENDED_REASONS {
        assert!(
            reasons.iter().any(|r| r == reason),
            "{reason} is not one of Vapi's ended reasons"
        );
    }
}

#[test]
fn a_drifted_field_is_refused_in_vapis_words() {
    let mut body = serde_json::to_value(desktop_assistant(&["en"], None)).unwrap();
    body["backgroundDenoisingEnabled"] = json!(true);
    body["model"]["knowledgeBaseId"] = json!("kb-1");
    // A locale in Azure's spelling sent to Deepgram, whose list has `he` but not `he-IL`.
    body["transcriber"]["language"] = json!("he-IL");
    let errors = contract::vapi().errors_against("CreateAssistantDTO", &body);
    for expected in [
        "property backgroundDenoisingEnabled should not exist",
        "model.property knowledgeBaseId should not exist",
    ] {
        assert!(
            errors.iter().any(|e| e == expected),
            "{expected}: {errors:#?}"
        );
    }
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("transcriber.language must be one of the following values: ")),
        "Deepgram does not take `he-IL`: {errors:#?}"
    );
}

/// The names the seed route lets through, as generated from Vapi's document.
#[test]
fn the_models_catalog_is_what_vapis_document_says() {
    let path = contract::contracts_dir().join("vapi-openapi.json");
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let expected = catalog(&document);
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../model/src/vapi_catalog.rs");
    let actual = std::fs::read_to_string(file).unwrap();
    if actual != expected {
        if std::env::var_os("AVA_BLESS").is_some() {
            std::fs::write(file, &expected).unwrap();
            return;
        }
        panic!(
            "crates/model/src/vapi_catalog.rs differs from Vapi's document; regenerate it with \
             `AVA_BLESS=1 cargo test -p ava-vapi --test contract` and review the diff"
        );
    }
}

/// `rime-ai` → `RimeAi`.
fn variant(wire: &str) -> String {
    if wire == "11labs" {
        return "ElevenLabs".to_owned();
    }
    wire.split(['-', '.'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn catalog(document: &Value) -> String {
    let schemas = &document["components"]["schemas"];
    let create = &schemas["CreateAssistantDTO"]["properties"];
    let mut out = String::from(
        "//! @generated from Vapi's API document (`crates/fakes/contracts/vapi-openapi.json`) by
//! `AVA_BLESS=1 cargo test -p ava-vapi --test contract`; a contract test fails when the two
//! disagree, so do not edit by hand.
//!
//! The voice and model providers that `POST /api/v1/assistants` may pass on to Vapi: those
//! whose schema asks for nothing beyond what that route carries (`voice: {provider, voiceId}`,
//! `model: {provider, model, temperature}`), and the names the document lists for each.
",
    );
    let kinds = [
        (
            "voice",
            "VoiceProvider",
            ["provider", "voiceId"],
            "voiceId",
            "VOICE_IDS",
            "`voice.provider`: Vapi's voice providers that need only `provider` and `voiceId`.",
            "The voices Vapi's document lists, for the providers it lists them for.",
        ),
        (
            "model",
            "ModelProvider",
            ["provider", "model"],
            "model",
            "MODELS",
            "`model.provider`: Vapi's model providers that need only `provider` and `model`.",
            "The models Vapi's document lists, for the providers it lists them for.",
        ),
    ];
    for (property, name, carried, names_field, table, doc, table_doc) in kinds {
        let mut providers: Vec<(String, Option<Vec<String>>)> = Vec::new();
        for branch in create[property]["oneOf"].as_array().unwrap() {
            let reference = branch["$ref"].as_str().unwrap();
            let schema = &schemas[reference.rsplit('/').next().unwrap()];
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !required.iter().all(|r| carried.contains(r)) {
                continue;
            }
            let wire = schema["properties"]["provider"]["enum"][0]
                .as_str()
                .unwrap();
            let names = schema["properties"][names_field]["enum"]
                .as_array()
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                });
            providers.push((wire.to_owned(), names));
        }
        out.push_str(&format!("\nchoice!(\n    /// {doc}\n    {name} {{\n"));
        for (wire, _) in &providers {
            out.push_str(&format!("        {} = \"{wire}\",\n", variant(wire)));
        }
        out.push_str("    }\n);\n");
        out.push_str(&format!(
            "\n/// {table_doc}\npub(crate) const {table}: &[({name}, &[&str])] = &[\n"
        ));
        for (wire, names) in &providers {
            let Some(names) = names else { continue };
            out.push_str(&format!("    ({name}::{}, &[\n", variant(wire)));
            for listed in names {
                out.push_str(&format!("        {},\n", Value::from(listed.as_str())));
            }
            out.push_str("    ]),\n");
        }
        out.push_str("];\n");
    }
    out
}

async fn setup() -> common::Setup {
    let s = common::setup(KEY, Duration::from_secs(10)).await;
    s.fakes.twilio.make_trial(SID);
    s.fakes.twilio.verify_caller_id(SID, OWNER);
    s
}

#[tokio::test]
async fn every_client_call_and_every_fake_answer_is_on_contract() {
    let s = setup().await;
    let (vapi, key) = (&s.vapi, &s.key);
    vapi.verify_key(key).await.unwrap();
    let created = vapi
        .create_assistant(key, &desktop_assistant(&["he", "en"], Some(OWNER)))
        .await
        .unwrap();
    let since = chrono::Utc::now() - chrono::Duration::minutes(10);
    let found = vapi
        .find_marked_assistant(key, "ava_provisioning_id", "run-1", since)
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some(created.id.as_str()));
    vapi.get_assistant(key, &created.id).await.unwrap();
    let mut update = desktop_assistant(&["he", "en"], None);
    update.metadata = None;
    vapi.update_assistant(key, &created.id, &update)
        .await
        .unwrap();

    let import = ImportTwilioNumber {
        number: NUMBER,
        twilio_account_sid: SID,
        twilio_auth_token: &s.token,
        assistant_id: Some(&created.id),
        name: Some("Ava"),
        sms_enabled: false,
    };
    let number = vapi.import_twilio_number(key, &import).await.unwrap();
    vapi.list_phone_numbers(
        key,
        &ListQuery {
            limit: Some(1000),
            created_at_gt: None,
        },
    )
    .await
    .unwrap();
    vapi.attach_assistant(key, &number.id, &created.id)
        .await
        .unwrap();

    let first = vapi
        .chat(key, &created.id, "Are you open?", None)
        .await
        .unwrap();
    vapi.chat(key, &created.id, "And tomorrow?", Some(&first.id))
        .await
        .unwrap();
    let call = vapi
        .create_call(key, &created.id, &number.id, OWNER)
        .await
        .unwrap();
    s.fakes.vapi.advance_call(&call.id);
    s.fakes.vapi.advance_call(&call.id);
    s.fakes.vapi.advance_call(&call.id);
    assert_eq!(
        vapi.get_call(key, &call.id)
            .await
            .unwrap()
            .status
            .as_deref(),
        Some("ended")
    );
    s.fakes.vapi.add_call(&CallSpec {
        assistant_id: &created.id,
        caller: "+14155550123",
        started_at: chrono::Utc::now() - chrono::Duration::hours(1),
        seconds: 42,
        ended_reason: "customer-ended-call",
        summary: None,
    });
    let now = chrono::Utc::now();
    let calls = vapi
        .list_calls(key, &created.id, (now - chrono::Duration::days(1), now), 20)
        .await
        .unwrap();
    assert_eq!(calls.len(), 2);
    vapi.delete_assistant(key, &created.id).await.unwrap();

    let twilio = &s.twilio;
    twilio.verify_account(SID, &s.token).await.unwrap();
    assert!(twilio.owns_number(SID, &s.token, NUMBER).await.unwrap());
    assert!(
        twilio
            .is_verified_caller_id(SID, &s.token, OWNER)
            .await
            .unwrap()
    );

    assert_eq!(
        s.fakes.drift(),
        Vec::<String>::new(),
        "off the providers' contracts"
    );
}

#[tokio::test]
async fn the_fake_refuses_a_transcriber_language_vapi_does_not_have() {
    let s = setup().await;
    let mut body = desktop_assistant(&["fr"], None);
    if let Some(transcriber) = body.transcriber.as_mut() {
        // Deepgram's list has `he` but not Azure's `he-IL`.
        transcriber.transcriber.language = Some("he-IL");
    }
    let refused = s.vapi.create_assistant(&s.key, &body).await.unwrap_err();
    assert_eq!(refused.status(), Some(400));
    assert!(
        refused
            .to_string()
            .contains("transcriber.language must be one of the following values"),
        "{refused}"
    );
    assert!(s.fakes.vapi.assistants().is_empty());
}
