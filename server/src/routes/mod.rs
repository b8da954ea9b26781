pub mod assistants;
pub mod auth;
pub mod credentials;
pub mod events;
pub mod health;
pub mod user;

use ava_model::Change;

/// A [`Change`] as the two parameters the UPDATE statements take: "touch this column?" and
/// the new value (`NULL` clears). One static statement serves every combination of fields.
pub(crate) fn change_params<T>(
    change: &Change<T>,
    text: impl Fn(&T) -> String,
) -> (bool, Option<String>) {
    match change {
        Change::Keep => (false, None),
        Change::Clear => (true, None),
        Change::Set(value) => (true, Some(text(value))),
    }
}
