use sqlx::PgPool;

use crate::helpers::count;

#[sqlx::test(migrations = false)]
async fn migrations_apply_to_an_empty_database_and_again_as_a_no_op(pool: PgPool) {
    let tables = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    assert!(tables(pool.clone()).await.is_empty(), "starts empty");
    ava_server::MIGRATOR.run(&pool).await.expect("first run");
    let after_first = tables(pool.clone()).await;
    for table in [
        "users",
        "vapi_credentials",
        "twilio_credentials",
        "user_onboarding",
        "assistants",
        "idempotency_keys",
        "auth_throttle",
        "refresh_tokens",
    ] {
        assert!(
            after_first.iter().any(|t| t == table),
            "{table} exists: {after_first:?}"
        );
    }
    let applied = count(&pool, "SELECT count(*) FROM _sqlx_migrations").await;
    ava_server::MIGRATOR.run(&pool).await.expect("second run");
    let again = count(&pool, "SELECT count(*) FROM _sqlx_migrations").await;
    assert_eq!(applied, again);
    assert_eq!(tables(pool.clone()).await, after_first);

    // The seed's columns, every one of them.
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let account = [
        "id",
        "email",
        "hashed_password",
        "is_active",
        "created_at",
        "updated_at",
        "onboarding_completed",
        "onboarding_completed_at",
    ];
    // The seed's columns, and one for every field of the profile and the studio.
    for column in account
        .iter()
        .chain(ava_model::ProfilePatch::FIELDS)
        .chain(ava_model::StudioPatch::FIELDS)
    {
        assert!(columns.iter().any(|c| c == column), "users.{column}");
    }
    let cascade = count(&pool, "SELECT count(*) FROM information_schema.referential_constraints WHERE delete_rule = 'CASCADE'").await;
    assert_eq!(
        cascade, 10,
        "every per-user table (refresh tokens, their sign-ins, onboarding events, places taken for assistants and one-time codes included) cascades on user deletion"
    );
}
