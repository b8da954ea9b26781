//! The one `invoke` binding (with `catch`, so a command's `Err` is a value, not a panic),
//! wrapped once into a typed `Result`.

use ava_ipc::{Command, Event, UiError};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], catch)]
    async fn listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>)
    -> Result<JsValue, JsValue>;
}

fn broken(detail: impl std::fmt::Display) -> UiError {
    UiError::new(
        ava_ipc::ErrorCode::IpcFailed,
        format!("The app's window lost contact with Ava: {detail}"),
    )
}

/// Calls the shell's command `C` with its argument (sent as the function's `args` parameter).
pub fn call<C: Command>(args: &C::Args) -> Reply<C::Reply> {
    #[derive(Serialize)]
    struct Payload<'a, A> {
        args: &'a A,
    }
    let pending: Pending = match serde_wasm_bindgen::to_value(&Payload { args }) {
        Ok(payload) => invoke_command(C::NAME, payload),
        Err(error) => Box::pin(std::future::ready(Err(broken(error)))),
    };
    Reply {
        pending,
        settled: None,
        decoded: std::marker::PhantomData,
    }
}

type Pending = Pin<Box<dyn Future<Output = Result<JsValue, UiError>>>>;
/// What the caller runs once the reply is read: a busy button's end.
type Settled = Box<dyn FnOnce(Option<&UiError>)>;

/// A command's reply on its way. Not an `async fn`: the waiting is one boxed future shared by
/// every command, so awaiting a command compiles to its decoder and nothing more (an async
/// state machine per command and per caller was 12 KB of the wasm).
pub struct Reply<T> {
    pending: Pending,
    settled: Option<Settled>,
    decoded: std::marker::PhantomData<T>,
}

impl<T> Reply<T> {
    /// Runs `hook` once the reply is read (with its error, if any), before it is handed on.
    pub fn settled(mut self, hook: impl FnOnce(Option<&UiError>) + 'static) -> Self {
        self.settled = Some(Box::new(hook));
        self
    }
}

impl<T> Unpin for Reply<T> {}

impl<T: serde::de::DeserializeOwned> Future for Reply<T> {
    type Output = Result<T, UiError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Poll::Ready(reply) = self.pending.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        let reply = reply.and_then(|reply| serde_wasm_bindgen::from_value(reply).map_err(broken));
        if let Some(hook) = self.settled.take() {
            hook(reply.as_ref().err());
        }
        Poll::Ready(reply)
    }
}

/// What every command shares, compiled once (boxed, so each command's own code is only its
/// argument's and reply's): the call, and a refusal read as the shell's `UiError`.
fn invoke_command(name: &'static str, payload: JsValue) -> Pending {
    Box::pin(async move {
        invoke(name, payload).await.map_err(|error| {
            serde_wasm_bindgen::from_value(error.clone())
                .unwrap_or_else(|_| broken(error.as_string().unwrap_or_default()))
        })
    })
}

/// Calls `on_event` with each payload of the shell's event `E`, for the life of the page; a
/// payload that does not decode as `E`'s (a shell and window of different builds) goes to
/// `on_error`, as does a subscription the shell refused.
pub fn subscribe<E: Event + 'static>(
    on_event: impl Fn(E::Payload) + 'static,
    on_error: impl Fn(UiError) + 'static,
) -> impl Future<Output = ()> {
    let on_error: std::rc::Rc<dyn Fn(UiError)> = std::rc::Rc::new(on_error);
    let in_handler = on_error.clone();
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
        let decoded = js_sys::Reflect::get(&message, &JsValue::from_str("payload"))
            .map_err(|_| broken(format!("{} came without a payload", E::NAME)))
            .and_then(|payload| {
                serde_wasm_bindgen::from_value::<E::Payload>(payload)
                    .map_err(|e| broken(format!("{} could not be read: {e}", E::NAME)))
            });
        match decoded {
            Ok(payload) => on_event(payload),
            Err(error) => in_handler(error),
        }
    });
    attach(E::NAME, handler, on_error)
}

// The waiting every subscription shares, compiled once (only decoding is each event's own).
async fn attach(
    name: &'static str,
    handler: Closure<dyn FnMut(JsValue)>,
    on_error: std::rc::Rc<dyn Fn(UiError)>,
) {
    match listen(name, &handler).await {
        Ok(_) => handler.forget(),
        Err(error) => on_error(broken(format!(
            "{name} cannot be listened to: {}",
            error.as_string().unwrap_or_default()
        ))),
    }
}

/// Resolves before the browser paints its next frame (`requestAnimationFrame`).
pub async fn next_frame() {
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = requestAnimationFrame)]
        fn request_animation_frame(callback: &js_sys::Function) -> i32;
    }
    let frame = js_sys::Promise::new(&mut |resolve, _| {
        request_animation_frame(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(frame).await;
}

/// Puts `text` on the clipboard (the page is a secure context, so the web clipboard works).
pub fn copy_text(text: &str) {
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText)]
        fn write_text(text: &str) -> js_sys::Promise;
    }
    // The promise settles on its own; a refusal leaves the id on screen, selectable.
    let _ = write_text(text);
}
