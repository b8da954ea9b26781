//! Business hours as a weekly schedule (step 5 and the home): a row per day, open or closed,
//! from–to. Every change is written as the model's canonical text (`Mon–Fri 09:00–18:00`) to
//! the seed's `business_hours`. Text written elsewhere that the model cannot read stays as it
//! is, shown as free text with a way to switch to the schedule.

use ava_model::{DAYS, OpenNow, Opening, WeeklySchedule, clock};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::Ctx;
use crate::state::{Action, Msg};
use crate::widgets::shown;

const FIELD: &str = "business_hours";

fn save(ctx: &Ctx, schedule: &WeeklySchedule) {
    let text = schedule.to_string();
    ctx.ui.dispatch(Msg::Typed(FIELD.to_owned(), text.clone()));
    ctx.act(Action::Studio(FIELD, serde_json::json!({ FIELD: text })));
}

/// The editor, from the saved (or just typed) text.
pub fn editor(ctx: &Ctx, saved: Option<String>) -> Html {
    let text = shown(ctx, FIELD, saved);
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
            <legend>{ ctx.t("field.business_hours") }</legend>
            { body }
            { match error {
                Some(e) => html! { <span id="business_hours-msg" class="error" role="alert">{ e }</span> },
                None => html! { <span id="business_hours-msg" class="help">{ ctx.t("help.business_hours") }</span> },
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
                let value = e.target_unchecked_into::<HtmlInputElement>().value();
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
            <div class={classes!("hours-row", opening.is_none().then_some("closed"))} data-day={*name}>
                <label class="check hours-day">
                    <input type="checkbox" id={format!("hours-{name}")} checked={opening.is_some()} onchange={toggle} />
                    { day_label.clone() }
                </label>
                { match opening {
                    Some(opening) => html! { <>
                        <input type="time" class="hours-time" dir="ltr" aria-label={format!("{day_label} · {}", ctx.t("hours.from"))}
                            value={clock(opening.from())} onchange={set_time("from")} />
                        <span aria-hidden="true">{ "–" }</span>
                        // A time input cannot show 24:00: the end of the day reads 23:59.
                        <input type="time" class="hours-time" dir="ltr" aria-label={format!("{day_label} · {}", ctx.t("hours.to"))}
                            value={clock(opening.to().min(23 * 60 + 59))} onchange={set_time("to")} />
                    </> },
                    None => html! { <span class="hours-closed">{ ctx.t("hours.closed") }</span> },
                } }
            </div>
        }
    });
    html! { <div class="hours-week">{ for rows }</div> }
}

fn free_text(ctx: &Ctx, text: &str) -> Html {
    let use_schedule = {
        let ctx = ctx.clone();
        Callback::from(move |_| save(&ctx, &WeeklySchedule::office_hours()))
    };
    html! { <>
        <p class="hours-free" id="business-hours-free" dir="auto">{ text.to_owned() }</p>
        <p class="help">{ ctx.t("hours.free_text") }</p>
        <button type="button" class="btn" id="use-weekly-hours" onclick={use_schedule}>{ ctx.t("hours.use_schedule") }</button>
    </> }
}

/// "Open now · closes at 18:00" / "Closed · opens Monday at 09:00", in the business's time
/// zone, redrawn every 30 seconds while it is shown.
#[derive(Properties, PartialEq)]
pub struct OpenNowProps {
    pub hours: Option<String>,
    pub timezone: Option<String>,
    pub locale: ava_model::Locale,
}

#[component]
pub fn OpenNowLine(props: &OpenNowProps) -> Html {
    let tick = use_state(|| 0u32);
    {
        let tick = tick.clone();
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(30_000, move || {
                tick.set(tick.wrapping_add(1))
            });
            move || drop(interval)
        });
    }
    let Some(schedule) = props.hours.as_deref().and_then(WeeklySchedule::parse) else {
        return html!();
    };
    let zone: chrono_tz::Tz = props
        .timezone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let Some(now) = chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64) else {
        return html!();
    };
    let t = |key: &str| crate::i18n::t(props.locale, key);
    let (state, text) = match schedule.at(now.with_timezone(&zone)) {
        OpenNow::OpenUntil(to) => ("open", t("hours.open_until").replace("{time}", &clock(to))),
        OpenNow::ClosedUntil { day, at } => (
            "closed",
            t("hours.closed_until")
                .replace(
                    "{day}",
                    &t(&format!("day.{}", DAYS[day].to_ascii_lowercase())),
                )
                .replace("{time}", &clock(at)),
        ),
        OpenNow::Closed => ("closed", t("hours.closed_all_week")),
    };
    html! {
        <p id="open-now" class={classes!("open-now", state)} data-state={state}>
            <span class="dot" aria-hidden="true"></span>{ text }
        </p>
    }
}
