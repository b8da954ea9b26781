//! What the shell tells the window (`ava_ipc::event`), each event to the message it becomes.
//! The list below is the only place an event is named on this side; a test compares it with
//! the declarations, so an event the shell emits is never left unheard.

use ava_ipc::{Event, FieldEdit, FieldName, PulledView, event};
use yew::prelude::*;

use crate::ipc;
use crate::state::{self, Action, Msg, ToastKind, ToastText, Ui};

macro_rules! listen_to {
    ($($event:ident => $handler:expr),* $(,)?) => {
        /// Every event the window listens to.
        #[cfg(test)]
        const LISTENED: &[&str] = &[$(<event::$event as Event>::NAME),*];

        /// Subscribes to every event, for the life of the page.
        pub async fn listen(ui: UseReducerHandle<Ui>) {
            $( on::<event::$event>(&ui, $handler).await; )*
        }
    };
}

listen_to! {
    SyncStatus => |ui, status| ui.dispatch(Msg::Status(status)),
    DraftPulled => pulled,
    ProvisionProgress => |ui, progress| ui.dispatch(Msg::Progress(progress)),
    TestCall => |ui, update| ui.dispatch(Msg::TestCallUpdate(update)),
    UpdateReady => |ui, ready| ui.dispatch(Msg::UpdateReady(ready)),
}

/// `handler` for each payload of `E`; one that cannot be read is said, in a toast.
fn on<E: Event + 'static>(
    ui: &UseReducerHandle<Ui>,
    handler: impl Fn(&UseReducerHandle<Ui>, E::Payload) + 'static,
) -> impl std::future::Future<Output = ()> {
    let to = ui.clone();
    let told = ui.clone();
    ipc::subscribe::<E>(
        move |payload| handler(&to, payload),
        move |error| told.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error))),
    )
}

/// Values another computer saved are shown in place. The owner may be typing in one of them:
/// what they see stays, and is saved again, so it arrives after the other computer's and wins
/// (what the field shows is what the account holds).
fn pulled(ui: &UseReducerHandle<Ui>, pulled: PulledView) {
    let focused = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    // A field's element has the field's name as its id.
    let focused_field = focused.as_ref().and_then(|e| FieldName::parse(&e.id()));
    let typed_over = focused
        .and_then(|element| text_of(&element))
        .filter(|(field, _)| pulled.fields.contains(field))
        .and_then(|(field, text)| FieldEdit::of(field, &text.into()))
        .and_then(Result::ok);
    ui.dispatch(Msg::Pulled {
        pulled: Box::new(pulled),
        focused: focused_field,
    });
    if let Some(edit) = typed_over {
        state::run(ui.clone(), Action::Edit(edit));
    }
}

/// The field and text of a field's text control (one line or several).
fn text_of(element: &web_sys::Element) -> Option<(FieldName, String)> {
    use wasm_bindgen::JsCast;
    let field = FieldName::parse(&element.id())?;
    if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
        return Some((field, input.value()));
    }
    element
        .dyn_ref::<web_sys::HtmlTextAreaElement>()
        .map(|area| (field, area.value()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_window_listens_to_every_declared_event_and_nothing_else() {
        let mut listened = super::LISTENED.to_vec();
        let mut declared = ava_ipc::event::ALL.to_vec();
        listened.sort_unstable();
        declared.sort_unstable();
        assert_eq!(listened, declared);
    }
}
