//! The commands: take the state, call the core, map the error to `{code, message, field?}`.

use ava_core::AssistantChoices;
use ava_core::CoreError;
use ava_ipc::{Args, Reply, UiError, WizardView, cmd};
use tauri::State;

use crate::shell::{STARTED, Shell};
use crate::updates::Updates;

fn ui(error: CoreError) -> UiError {
    error.to_ui()
}

fn view(shell: &Shell) -> WizardView {
    shell.core.view()
}

#[tauri::command]
pub fn load(shell: State<'_, Shell>) -> Reply<cmd::Load> {
    Ok(view(&shell))
}

#[tauri::command]
pub fn edit(shell: State<'_, Shell>, args: Args<cmd::Edit>) -> Reply<cmd::Edit> {
    shell.core.edit(args);
    Ok(view(&shell))
}

#[tauri::command]
pub fn go_to(shell: State<'_, Shell>, args: Args<cmd::GoTo>) -> Reply<cmd::GoTo> {
    shell.core.leave_for(args.step, args.how).map_err(ui)
}

#[tauri::command]
pub fn flush(shell: State<'_, Shell>) -> Reply<cmd::Flush> {
    shell.core.flush().map_err(ui)
}

#[tauri::command]
pub async fn sign_up(shell: State<'_, Shell>, args: Args<cmd::SignUp>) -> Reply<cmd::SignUp> {
    shell
        .core
        .sign_up(&args.email, args.password)
        .await
        .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn sign_in(shell: State<'_, Shell>, args: Args<cmd::SignIn>) -> Reply<cmd::SignIn> {
    shell
        .core
        .sign_in(&args.email, args.password)
        .await
        .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>, args: Args<cmd::SignOut>) -> Reply<cmd::SignOut> {
    shell.core.sign_out(args.unsent).await.map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn continue_offline(shell: State<'_, Shell>) -> Reply<cmd::ContinueOffline> {
    shell.core.continue_offline().map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn keep_keys_in_memory(shell: State<'_, Shell>) -> Reply<cmd::KeepKeysInMemory> {
    shell.core.keep_keys_in_memory();
    Ok(())
}

#[tauri::command]
pub async fn ask_password_reset(
    shell: State<'_, Shell>,
    args: Args<cmd::AskPasswordReset>,
) -> Reply<cmd::AskPasswordReset> {
    shell.core.ask_password_reset(&args.email).await.map_err(ui)
}

#[tauri::command]
pub async fn reset_password(
    shell: State<'_, Shell>,
    args: Args<cmd::ResetPassword>,
) -> Reply<cmd::ResetPassword> {
    shell
        .core
        .reset_password(&args.email, &args.code, args.new_password)
        .await
        .map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub async fn account_overview(shell: State<'_, Shell>) -> Reply<cmd::AccountOverview> {
    shell.core.account_overview().await.map_err(ui)
}

#[tauri::command]
pub async fn change_password(
    shell: State<'_, Shell>,
    args: Args<cmd::ChangePassword>,
) -> Reply<cmd::ChangePassword> {
    shell
        .core
        .change_password(args.current_password, args.new_password)
        .await
        .map_err(ui)?;
    shell.core.account_overview().await.map_err(ui)
}

#[tauri::command]
pub async fn send_email_confirmation(shell: State<'_, Shell>) -> Reply<cmd::SendEmailConfirmation> {
    shell.core.send_email_confirmation().await.map_err(ui)
}

#[tauri::command]
pub async fn confirm_email(
    shell: State<'_, Shell>,
    args: Args<cmd::ConfirmEmail>,
) -> Reply<cmd::ConfirmEmail> {
    shell.core.confirm_email(&args.code).await.map_err(ui)?;
    shell.core.account_overview().await.map_err(ui)
}

#[tauri::command]
pub async fn change_email(
    shell: State<'_, Shell>,
    args: Args<cmd::ChangeEmail>,
) -> Reply<cmd::ChangeEmail> {
    shell
        .core
        .change_email(&args.new_email, args.password)
        .await
        .map_err(ui)
}

#[tauri::command]
pub async fn end_sign_ins(
    shell: State<'_, Shell>,
    args: Args<cmd::EndSignIns>,
) -> Reply<cmd::EndSignIns> {
    shell
        .core
        .end_sign_ins(args.id.as_deref())
        .await
        .map_err(ui)
}

/// Asks where to save with the system's dialog, then has the core write the file there.
#[tauri::command]
pub async fn export_account(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
) -> Reply<cmd::ExportAccount> {
    let path = crate::dialogs::save_path(&app, &shell.core.export_file_name()).await;
    shell.core.export_account(path.as_deref()).await.map_err(ui)
}

#[tauri::command]
pub async fn delete_account(
    shell: State<'_, Shell>,
    args: Args<cmd::DeleteAccount>,
) -> Reply<cmd::DeleteAccount> {
    shell
        .core
        .delete_account(args.password, args.vapi_assistants)
        .await
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
        .save_vapi_key(args.key, args.method)
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
    let number = Some(args.phone_number.as_str());
    let saving = shell
        .core
        .save_twilio(&args.account_sid, args.auth_token, number);
    saving.await.map_err(ui)?;
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
pub async fn set_keys_local_only(
    shell: State<'_, Shell>,
    args: Args<cmd::SetKeysLocalOnly>,
) -> Reply<cmd::SetKeysLocalOnly> {
    shell.core.set_keys_local_only(args.on).await.map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn assistant_defaults(shell: State<'_, Shell>) -> Reply<cmd::AssistantDefaults> {
    Ok(shell.core.assistant_defaults())
}

#[tauri::command]
pub async fn create_assistant(
    shell: State<'_, Shell>,
    args: Args<cmd::CreateAssistant>,
) -> Reply<cmd::CreateAssistant> {
    let choices = AssistantChoices::from(args.form);
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
    let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
    log::info!("wizard ready {ms} ms after start");
    Ok(())
}

#[tauri::command]
pub fn pending_update(updates: State<'_, Updates>) -> Reply<cmd::PendingUpdate> {
    Ok(updates.ready())
}

#[tauri::command]
pub async fn install_update(
    app: tauri::AppHandle,
    updates: State<'_, Updates>,
) -> Reply<cmd::InstallUpdate> {
    updates.install(&app).await
}

#[tauri::command]
pub async fn chat(shell: State<'_, Shell>, args: Args<cmd::Chat>) -> Reply<cmd::Chat> {
    shell.core.chat(&args.text).await.map_err(ui)
}

#[tauri::command]
pub fn chat_so_far(shell: State<'_, Shell>) -> Reply<cmd::ChatSoFar> {
    Ok(shell.core.chat_view())
}

#[tauri::command]
pub fn new_chat(shell: State<'_, Shell>) -> Reply<cmd::NewChat> {
    Ok(shell.core.new_chat())
}

#[tauri::command]
pub fn is_open_now(shell: State<'_, Shell>, args: Args<cmd::IsOpenNow>) -> Reply<cmd::IsOpenNow> {
    Ok(shell.core.open_now(&args.hours, chrono::Utc::now()))
}

#[tauri::command]
pub async fn recent_calls(shell: State<'_, Shell>) -> Reply<cmd::RecentCalls> {
    shell.core.recent_calls().await.map_err(ui)
}

#[tauri::command]
pub async fn call_me(shell: State<'_, Shell>, args: Args<cmd::CallMe>) -> Reply<cmd::CallMe> {
    shell.core.call_me(&args.number).await.map_err(ui)
}
