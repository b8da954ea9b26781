//! Placeholders for the handlers' annotations: `requests::apply` replaces them with the strict
//! schemas. In a file of their own, so the handlers name them without importing the document
//! that imports the handlers.

use utoipa::ToSchema;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CredentialsBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VapiSettingsBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TwilioSettingsBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RefreshBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EventsBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PasswordResetBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PasswordResetConfirmBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PasswordChangeBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EmailChangeBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EmailVerifyBody;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccountDeletionBody;
