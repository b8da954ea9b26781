//! The OpenAPI 3 document, generated from the handlers' annotations and the model's schemas.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes;

/// `{email, password}`: register requires a valid address and ≥ 8 characters.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CredentialsBody {
    email: String,
    password: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VapiSettingsBody {
    /// 8-200 characters, no whitespace. Never returned.
    vapi_api_key: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TwilioSettingsBody {
    /// `AC` + 32 hex digits.
    account_sid: String,
    /// 32 hex digits. Never returned.
    auth_token: String,
    /// E.164.
    phone_number: Option<String>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Ava onboarding API", description = "The contract of shared/design/api.md."),
    paths(
        routes::auth::register, routes::auth::login,
        routes::user::me, routes::user::update_profile, routes::user::update_studio_config,
        routes::user::get_flags, routes::user::update_flags, routes::user::complete_onboarding,
        routes::credentials::save_vapi, routes::credentials::get_vapi, routes::credentials::delete_vapi,
        routes::credentials::save_twilio, routes::credentials::get_twilio, routes::credentials::delete_twilio,
        routes::assistants::create, routes::assistants::list,
        routes::health::healthz, routes::health::openapi,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    // The seed's own path for the same handler.
    if let Some(item) = doc.paths.paths.get("/api/v1/assistants").cloned() {
        doc.paths.paths.insert("/api/assistants".to_owned(), item);
    }
    doc
}
