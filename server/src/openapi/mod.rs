//! The OpenAPI 3 document, generated from the handlers' annotations and the model's schemas.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use std::sync::LazyLock;

use serde_json::Value;

use crate::routes;

pub mod placeholders;
mod requests;

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

/// The statuses every route can answer with the error envelope, documented once here rather
/// than on each handler: malformed JSON, auth, size, content type, validation, rate limits,
/// an unreachable database.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let common = [
            ("400", "Malformed JSON"),
            ("401", "Missing, expired or invalid token"),
            ("404", "No such route"),
            ("405", "Method not allowed"),
            ("413", "Body over 64 KiB"),
            ("415", "Body is not application/json"),
            ("422", "A field is invalid (one entry per field)"),
            ("429", "Too many attempts; wait `Retry-After` seconds"),
            (
                "503",
                "Busy, timed out or the database is unreachable; retry after `Retry-After` seconds",
            ),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Ava onboarding API", description = "The contract of shared/design/api.md."),
    paths(
        routes::auth::register, routes::auth::login, routes::auth::refresh, routes::auth::logout,
        routes::user::me, routes::user::update_profile, routes::user::update_studio_config,
        routes::user::get_flags, routes::user::update_flags, routes::user::complete_onboarding,
        routes::credentials::save_vapi, routes::credentials::get_vapi, routes::credentials::delete_vapi,
        routes::credentials::save_twilio, routes::credentials::get_twilio, routes::credentials::delete_twilio,
        routes::assistants::create, routes::assistants::list, routes::events::record,
        routes::health::healthz, routes::health::openapi,
        routes::account::request_password_reset, routes::account::confirm_password_reset,
        routes::account::change_password, routes::account::change_email,
        routes::account::resend_verification, routes::account::verify_email,
        routes::account::list_sign_ins, routes::account::end_sign_in,
        routes::account::export, routes::account::delete_account,
    ),
    modifiers(&BearerAuth, &CommonErrors)
)]
struct ApiDoc;

/// The document as served: utoipa's, with the seed's assistant path and the strict request
/// schemas. Built once.
pub fn openapi_document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
        let mut doc = ApiDoc::openapi();
        // The seed's own path for the same handler.
        if let Some(item) = doc.paths.paths.get("/api/v1/assistants").cloned() {
            doc.paths.paths.insert("/api/assistants".to_owned(), item);
        }
        let mut value = serde_json::to_value(doc).unwrap_or_default();
        requests::apply(&mut value);
        value
    });
    &DOCUMENT
}
