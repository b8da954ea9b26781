//! Business hours as a weekly schedule (step 5 and the home): a row per day, open or closed,
//! from–to. Every change is written as the model's canonical text (`Mon–Fri 09:00–18:00`) to
//! the seed's `business_hours`. Text written elsewhere that the model cannot read stays as it
//! is, shown as free text with a way to switch to the schedule.

use ava_ipc::{HoursArgs, OpenNow, cmd};
use ava_model::{DAYS, Opening, StudioField, WeeklySchedule, clock};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::ctx::Ctx;
use crate::state::Msg;
use crate::widgets::{self, send, shown};

const FIELD: StudioField = StudioField::business_hours;

fn save(ctx: &Ctx, schedule: &WeeklySchedule) {
    let text = schedule.to_string();
    ctx.ui.dispatch(Msg::Typed(FIELD.into(), text.clone()));
    send(ctx, FIELD.into(), serde_json::Value::from(text));
}

/// The editor, from the saved (or just typed) text.
pub fn editor(ctx: &Ctx, saved: Option<String>) -> Html {
    let text = shown(ctx, FIELD.into(), saved);
    let schedule = if text.trim().is_empty() {
        Some(WeeklySchedule::default())
    } else {
        WeeklySchedule::parse(&text)
    };
    let error = ctx
        .ui
        .error_at(FIELD)
        .map(|e| crate::i18n::error_message(ctx.locale, &e));
    let body = match schedule {
        Some(schedule) => week(ctx, schedule),
        None => free_text(ctx, &text),
    };
    html! {
        <fieldset class="field hours" id="business-hours" aria-describedby="business_hours-msg">
            <legend>{ ctx.text("field.business_hours") }</legend>
            { body }
            { match error {
                Some(e) => html! { <span id="business_hours-msg" class="error" role="alert">{ e }</span> },
                None => html! { <span id="business_hours-msg" class="help">{ ctx.text("help.business_hours") }</span> },
            } }
        </fieldset>
    }
}

fn week(ctx: &Ctx, schedule: WeeklySchedule) -> Html {
    let office = WeeklySchedule::office_hours().days[0];
    let rows = DAYS.iter().enumerate().map(|(day, name)| {
        let opening = schedule.days[day];
        let toggle = {
            let ctx = ctx.clone();
            Callback::from(move |e: Event| {
                let mut next = schedule;
                next.days[day] = e
                    .target_unchecked_into::<HtmlInputElement>()
                    .checked()
                    .then_some(office)
                    .flatten();
                save(&ctx, &next);
            })
        };
        let set_time = |end: &'static str| {
            let ctx = ctx.clone();
            Callback::from(move |e: Event| {
                let value = e.target_unchecked_into::<HtmlSelectElement>().value();
                let Some(current) = schedule.days[day] else { return };
                let (from, to) = match end {
                    "from" => (value, clock(current.to())),
                    _ => (clock(current.from()), value),
                };
                // A "to" before the "from" is not saved: the row shows what is kept.
                if let Some(changed) = Opening::from_clock(&from, &to) {
                    let mut next = schedule;
                    next.days[day] = Some(changed);
                    save(&ctx, &next);
                } else {
                    ctx.ui.dispatch(Msg::Toast(
                        crate::state::ToastKind::Warning,
                        crate::state::ToastText::Key("hours.order"),
                    ));
                }
            })
        };
        let day_label = ctx.t(&format!("day.{}", name.to_ascii_lowercase()));
        html! {
            <div class={widgets::class_of(&["hours-row", if opening.is_none() { "closed" } else { "" }])} data-day={*name}>
                <label class="check hours-day">
                    <input type="checkbox" id={format!("hours-{name}")} checked={opening.is_some()} onchange={toggle} />
                    { day_label.clone() }
                </label>
                { match opening {
                    Some(opening) => html! { <>
                        { time_select(ctx, format!("{day_label} · {}", ctx.t("hours.from")), opening.from(), set_time("from")) }
                        <span aria-hidden="true">{ "–" }</span>
                        // The end of the day reads 23:59, as the schedule's text writes it.
                        { time_select(ctx, format!("{day_label} · {}", ctx.t("hours.to")), opening.to().min(23 * 60 + 59), set_time("to")) }
                    </> },
                    None => html! { <span class="hours-closed">{ ctx.text("hours.closed") }</span> },
                } }
            </div>
        }
    });
    html! { <div class="hours-week">{ for rows }</div> }
}

/// A time of day picked from half-hour steps (and the current value, when it is off them),
/// written the way the app's language writes times ("18:00" in French and Hebrew, "6:00 PM" in
/// English). A `<input type="time">` would follow the computer's locale instead.
fn time_select(ctx: &Ctx, label: String, current: u16, onchange: Callback<Event>) -> Html {
    let mut minutes: Vec<u16> = (0..48).map(|half| half * 30).collect();
    minutes.push(23 * 60 + 59);
    if let Err(at) = minutes.binary_search(&current) {
        minutes.insert(at, current);
    }
    html! {
        <select class="hours-time" dir="ltr" aria-label={label} {onchange}>
            { for minutes.into_iter().map(|m| html! {
                <option value={clock(m)} selected={m == current}>{ crate::i18n::time_of_day(ctx.locale, m) }</option>
            }) }
        </select>
    }
}

fn free_text(ctx: &Ctx, text: &str) -> Html {
    let use_schedule = {
        let ctx = ctx.clone();
        Callback::from(move |_| save(&ctx, &WeeklySchedule::office_hours()))
    };
    html! { <>
        <p class="hours-free" id="business-hours-free" dir="auto">{ text.to_owned() }</p>
        <p class="help">{ ctx.text("hours.free_text") }</p>
        { widgets::button("use-weekly-hours", "btn", ctx.text("hours.use_schedule"), use_schedule) }
    </> }
}

/// "Open now · closes at 18:00" / "Closed · opens Monday at 09:00", on the business's clock.
/// The core answers (it holds the time-zone rules, which made the window's wasm 2.5× larger), when
/// the hours or the zone change and every 30 seconds while the line is shown.
#[derive(Properties, PartialEq)]
pub struct OpenNowProps {
    pub hours: Option<String>,
    /// Not sent (the core reads the draft's); a change asks again.
    pub timezone: Option<String>,
    pub locale: ava_model::Locale,
}

#[component]
pub fn OpenNowLine(props: &OpenNowProps) -> Html {
    let answer = use_state(|| None::<OpenNow>);
    // Only the latest question's answer is drawn, whatever order replies come back in.
    let asked = use_mut_ref(|| 0u32);
    {
        let answer = answer.clone();
        let hours = props.hours.clone().unwrap_or_default();
        use_effect_with((hours, props.timezone.clone()), move |(hours, _)| {
            let ask = {
                let hours = hours.clone();
                move || {
                    let (answer, asked, hours) = (answer.clone(), asked.clone(), hours.clone());
                    let this = {
                        let mut asked = asked.borrow_mut();
                        *asked = asked.wrapping_add(1);
                        *asked
                    };
                    wasm_bindgen_futures::spawn_local(async move {
                        let reply = crate::ipc::call::<cmd::IsOpenNow>(&HoursArgs { hours }).await;
                        if *asked.borrow() == this {
                            answer.set(reply.ok().flatten());
                        }
                    });
                }
            };
            ask();
            let interval = gloo_timers::callback::Interval::new(30_000, ask);
            move || drop(interval)
        });
    }
    let Some(open_now) = *answer else {
        return html!();
    };
    let t = |key: &str| crate::i18n::t(props.locale, key);
    let (state, text) = match open_now {
        OpenNow::OpenUntil(to) => (
            "open",
            t("hours.open_until").replace("{time}", &crate::i18n::time_of_day(props.locale, to)),
        ),
        OpenNow::ClosedUntil { day, at } => (
            "closed",
            t("hours.closed_until")
                .replace(
                    "{day}",
                    &t(&format!("day.{}", DAYS[day].to_ascii_lowercase())),
                )
                .replace("{time}", &crate::i18n::time_of_day(props.locale, at)),
        ),
        OpenNow::Closed => ("closed", t("hours.closed_all_week")),
    };
    html! {
        <p id="open-now" class={widgets::class_of(&["open-now", state])} data-state={state}>
            <span class="dot" aria-hidden="true"></span>{ text }
        </p>
    }
}
