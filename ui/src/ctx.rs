//! [`Ctx`]: what every screen draws from and acts through, handed down from the app's root.

use ava_ipc::WizardView;
use ava_model::Locale;
use yew::prelude::*;

use crate::i18n;
use crate::state::{Action, Ui};

/// Everything a screen needs to draw itself and to ask for changes.
#[derive(Clone)]
pub struct Ctx {
    pub ui: UseReducerHandle<Ui>,
    /// `ui.revision` when this was made.
    pub revision: u64,
    pub view: std::rc::Rc<WizardView>,
    pub locale: Locale,
    /// Runs an action on the latest state; the same callback for the window's whole life, so
    /// components holding it are not redrawn for its sake.
    pub actions: Callback<Action>,
}

/// The same state and the same view as when drawn: the state's revision and the view's
/// identity say it without comparing the whole state (nor compiling that comparison into the
/// wasm). Not the handle's contents: a `UseReducerHandle` reads the latest state, so an old
/// handle would always look equal to a new one.
impl PartialEq for Ctx {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision
            && std::rc::Rc::ptr_eq(&self.view, &other.view)
            && self.locale == other.locale
            && self.actions == other.actions
    }
}

impl Ctx {
    pub fn view(&self) -> &WizardView {
        &self.view
    }

    /// The words at `key` as a text node ([`i18n::text`]).
    pub fn text(&self, key: &str) -> Html {
        i18n::text(self.locale, key)
    }

    pub fn t(&self, key: &str) -> String {
        i18n::t(self.locale, key)
    }

    /// A count in words, by the language's plural rules ("1 seat", "שני מושבים").
    pub fn count(&self, key: &str, n: u64) -> String {
        i18n::count(self.locale, key, n)
    }

    pub fn act(&self, action: Action) {
        self.actions.emit(action);
    }

    /// A control's callback that runs `action`. A plain `fn` (a closure that captures nothing),
    /// so the ~20 controls that use it share one compiled callback.
    pub fn callback<E>(&self, action: fn() -> Action) -> Callback<E> {
        self.actions.reform(move |_| action())
    }

    /// [`Ctx::callback`] for an action made from values the control holds (its step, its id).
    pub fn callback_with<E>(&self, action: impl Fn() -> Action + 'static) -> Callback<E> {
        self.actions.reform(move |_| action())
    }
}
