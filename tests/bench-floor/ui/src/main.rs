//! One component that tells the shell it is drawn, as the wizard does once its draft is shown.

use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

#[component]
fn App() -> Html {
    use_effect_with((), |_| {
        wasm_bindgen_futures::spawn_local(async {
            let _ = invoke("ready", JsValue::UNDEFINED).await;
        });
    });
    html! { <h1>{ "Hello" }</h1> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
