//! One component that tells the shell it is painted, as the wizard does once its draft is:
//! a frame after the one that drew it.

use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = requestAnimationFrame)]
    fn request_animation_frame(callback: &js_sys::Function) -> i32;
}

async fn next_frame() {
    let frame = js_sys::Promise::new(&mut |resolve, _| {
        request_animation_frame(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(frame).await;
}

#[component]
fn App() -> Html {
    use_effect_with((), |_| {
        wasm_bindgen_futures::spawn_local(async {
            next_frame().await;
            next_frame().await;
            let _ = invoke("ready", JsValue::UNDEFINED).await;
        });
    });
    html! { <h1>{ "Hello" }</h1> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
