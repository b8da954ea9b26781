//! [`Ctx`]: what every screen draws from and acts through, handed down from the app's root.

use ava_ipc::WizardView;
use ava_model::Locale;
use yew::prelude::*;

use crate::i18n;
use crate::state::{Action, Ui};

/// Everything a screen needs to draw itself and to ask for changes.
#[derive(Clone, PartialEq)]
pub struct Ctx {
    pub ui: UseReducerHandle<Ui>,
    pub view: std::rc::Rc<WizardView>,
    pub locale: Locale,
    /// Runs an action on the latest state; the same callback for the window's whole life, so
    /// components holding it are not redrawn for its sake.
    pub actions: Callback<Action>,
}

impl Ctx {
    pub fn view(&self) -> &WizardView {
        &self.view
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

    pub fn callback<E>(&self, action: impl Fn() -> Action + 'static) -> Callback<E> {
        let ctx = self.clone();
        Callback::from(move |_| ctx.act(action()))
    }
}
