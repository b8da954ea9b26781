//! The commands: take the state, call the core, map the error to `{code, message, field?}`.

use ava_core::draft::LoadNote;
use ava_core::provision::{
    AssistantChoices, default_first_message, default_instructions, voice_for,
};
use ava_core::state::Provisioning;
use ava_core::{CoreError, SyncStatus};
use ava_ipc::{
    Args, AssistantDefaults, AssistantForm, AssistantView, Moved, Provider, Reply, StatusView,
    TwilioView, UiError, WizardView, cmd,
};
use ava_model::{AccountSid, Step};
use tauri::State;

use crate::Shell;

const ENTERED_OFFLINE: &str = "continued_offline";

fn ui(error: CoreError) -> UiError {
    error.to_ui()
}

pub fn status_view(status: &SyncStatus) -> StatusView {
    StatusView {
        state: serde_json::to_value(status.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        pending: status.pending,
        keychain_persistent: status.keychain_persistent,
        error: status.error.clone(),
        refused: status.refused.clone(),
        revision: status.revision,
    }
}

pub fn assistant_view(run: &Provisioning) -> AssistantView {
    AssistantView {
        name: run.name.clone(),
        assistant_id: run.assistant_id.clone(),
        phone_number_id: run.phone_number_id.clone(),
        recorded: run.recorded,
    }
}

pub fn load_notice(note: &LoadNote) -> Option<UiError> {
    match note {
        LoadNote::Fresh | LoadNote::Loaded => None,
        LoadNote::RecoveredFromPrevious { set_aside, .. } => Some(UiError::new(
            "draft_recovered",
            format!(
                "Your last draft could not be read and was kept at {}; the previous copy was restored.",
                set_aside.display()
            ),
        )),
        LoadNote::Unrecoverable { set_aside, .. } => Some(UiError::new(
            "draft_unreadable",
            format!(
                "Your draft could not be read; it was kept at {:?}. The wizard starts empty.",
                set_aside
            ),
        )),
    }
}

fn view(shell: &Shell) -> WizardView {
    let draft = shell.core.snapshot();
    let offline_chosen = shell
        .preferences
        .get(ENTERED_OFFLINE)
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let keys_on_server = draft.server_may_hold_keys();
    WizardView {
        step: draft.step,
        entered: draft.account.is_some() || offline_chosen,
        account_email: draft.account.map(|a| a.email),
        twilio: draft.twilio.map(|t| TwilioView {
            account_sid_preview: AccountSid::parse(&t.account_sid)
                .map(|s| s.preview())
                .unwrap_or_default(),
            phone_number: t.phone_number,
        }),
        assistant: draft.provisioning.as_ref().map(assistant_view),
        keys_local_only: draft.keys_local_only,
        keys_on_server,
        usage_sharing: !draft.analytics.sharing_off,
        profile: draft.profile,
        studio: draft.studio,
        flags: draft.flags,
        completed: draft.completed,
        vapi_key_preview: draft.vapi_key_preview,
        status: status_view(&shell.core.status().borrow()),
        notices: shell.notices.clone(),
    }
}

#[tauri::command]
pub fn load(shell: State<'_, Shell>) -> Reply<cmd::Load> {
    Ok(view(&shell))
}

#[tauri::command]
pub fn update_profile(
    shell: State<'_, Shell>,
    args: Args<cmd::UpdateProfile>,
) -> Reply<cmd::UpdateProfile> {
    shell.core.update_profile(&args.patch).map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn update_studio(
    shell: State<'_, Shell>,
    args: Args<cmd::UpdateStudio>,
) -> Reply<cmd::UpdateStudio> {
    shell.core.update_studio(&args.patch).map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn go_to(shell: State<'_, Shell>, args: Args<cmd::GoTo>) -> Reply<cmd::GoTo> {
    let left = shell.core.snapshot().step;
    shell.core.move_to(args.step, args.how).map_err(ui)?;
    let view = view(&shell);
    let left_incomplete = match left {
        Step::Profile if args.step != Step::Profile => view.profile.missing_fields(),
        _ => Vec::new(),
    };
    Ok(Moved {
        left_incomplete: left_incomplete.into_iter().map(str::to_owned).collect(),
        view,
    })
}

#[tauri::command]
pub fn flush(shell: State<'_, Shell>) -> Reply<cmd::Flush> {
    shell.core.flush().map_err(ui)
}

#[tauri::command]
pub async fn sign_up(shell: State<'_, Shell>, args: Args<cmd::SignUp>) -> Reply<cmd::SignUp> {
    shell
        .core
        .sign_up(&args.email, &args.password)
        .await
        .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn sign_in(shell: State<'_, Shell>, args: Args<cmd::SignIn>) -> Reply<cmd::SignIn> {
    shell
        .core
        .sign_in(&args.email, &args.password)
        .await
        .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>) -> Reply<cmd::SignOut> {
    shell.core.sign_out().await.map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn continue_offline(shell: State<'_, Shell>) -> Reply<cmd::ContinueOffline> {
    shell.preferences.set(ENTERED_OFFLINE, true);
    shell.core.begin().map_err(ui)?;
    shell
        .preferences
        .save()
        .map_err(|e| UiError::new("preferences_unwritable", e.to_string()))?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn skip(shell: State<'_, Shell>, args: Args<cmd::Skip>) -> Reply<cmd::Skip> {
    match args.provider {
        Provider::Vapi => shell.core.skip_vapi(),
        Provider::Twilio => shell.core.skip_twilio(),
    }
    .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn save_vapi_key(
    shell: State<'_, Shell>,
    args: Args<cmd::SaveVapiKey>,
) -> Reply<cmd::SaveVapiKey> {
    shell
        .core
        .save_vapi_key(&args.key, args.method)
        .await
        .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn delete_vapi_key(shell: State<'_, Shell>) -> Reply<cmd::DeleteVapiKey> {
    shell.core.delete_vapi_key().await.map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn save_twilio(
    shell: State<'_, Shell>,
    args: Args<cmd::SaveTwilio>,
) -> Reply<cmd::SaveTwilio> {
    shell
        .core
        .save_twilio(
            &args.account_sid,
            &args.auth_token,
            Some(&args.phone_number),
        )
        .await
        .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn delete_twilio(shell: State<'_, Shell>) -> Reply<cmd::DeleteTwilio> {
    shell.core.delete_twilio().await.map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn set_usage_sharing(
    shell: State<'_, Shell>,
    args: Args<cmd::SetUsageSharing>,
) -> Reply<cmd::SetUsageSharing> {
    shell.core.set_usage_sharing(args.on).map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn set_keys_local_only(
    shell: State<'_, Shell>,
    args: Args<cmd::SetKeysLocalOnly>,
) -> Reply<cmd::SetKeysLocalOnly> {
    shell.core.set_keys_local_only(args.on).map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn assistant_defaults(shell: State<'_, Shell>) -> Reply<cmd::AssistantDefaults> {
    let draft = shell.core.snapshot();
    let voice = voice_for(&draft.studio).voice_id;
    let mut voices = vec![voice.clone()];
    voices.extend(
        ava_core::provision::VOICES
            .iter()
            .filter(|v| **v != voice)
            .map(|v| (*v).to_owned()),
    );
    Ok(AssistantDefaults {
        form: AssistantForm {
            name: draft
                .provisioning
                .as_ref()
                .map_or_else(|| "Ava".to_owned(), |p| p.name.clone()),
            voice_id: voice,
            first_message: default_first_message(&draft),
            instructions: default_instructions(&draft),
        },
        voices,
    })
}

#[tauri::command]
pub async fn create_assistant(
    shell: State<'_, Shell>,
    args: Args<cmd::CreateAssistant>,
) -> Reply<cmd::CreateAssistant> {
    let form = args.form;
    let choices = AssistantChoices {
        name: Some(form.name),
        instructions: Some(form.instructions),
        first_message: Some(form.first_message),
        voice_id: Some(form.voice_id),
    };
    shell.core.provision(&choices).await.map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn launch(shell: State<'_, Shell>) -> Reply<cmd::Launch> {
    shell.core.complete().map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn ready() -> Reply<cmd::Ready> {
    let ms = crate::STARTED.get().map_or(0, |t| t.elapsed().as_millis());
    log::info!("wizard ready {ms} ms after start");
    Ok(())
}
