use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;

/// 200 when Postgres answers a trivial query within 2 s, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "`{status: ok, database: ok}`"), (status = 503, description = "The database is unreachable")))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let probe = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.db);
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": "ok"})),
        ),
        failed => {
            if let Ok(Err(error)) = &failed {
                crate::note_database_error(error);
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                // The health shape, and the error envelope every 5xx carries.
                Json(json!({
                    "status": "unavailable",
                    "database": "unreachable",
                    "error": {"code": "database_unavailable", "message": "PostgreSQL did not answer within 2 s"},
                })),
            )
        }
    }
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health",
    responses((status = 200, description = "This document")))]
pub async fn openapi() -> Json<&'static Value> {
    Json(crate::openapi_document())
}
