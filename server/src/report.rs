//! `ava-server report funnel`: the onboarding funnel for whoever runs the service, from the
//! events in PostgreSQL. The cohort is every owner whose `onboarding_started` falls in the
//! window; all of their events count, whenever they happened.
//!
//! Per step: *reached* is the owners who got to it (step 1: everyone who started; step k: those
//! who pressed Continue or Skip on step k−1 or any later step, since the rail lets them jump),
//! *completed* and *skipped* those who pressed Continue or Skip on it (on Done, completing is
//! launching: `onboarding_completed`).

use std::fmt::Write as _;

use ava_model::{Step, step_number};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "{0}\n\nusage: ava-server report funnel [--since DATE] [--until DATE] [--format table|json|csv|html]\n(DATE: 2026-11-30 or an RFC 3339 time; the window is [since, until))"
    )]
    Usage(String),
    #[error("DATABASE_URL is required: the report reads the events from PostgreSQL")]
    NoDatabase,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Debug)]
pub struct FunnelArgs {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub format: Format,
}

impl FunnelArgs {
    /// Reads what follows `report funnel`.
    pub fn parse(args: &[String]) -> Result<Self, ReportError> {
        let mut parsed = FunnelArgs {
            since: None,
            until: None,
            format: Format::Table,
        };
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let mut value = || {
                rest.next()
                    .ok_or_else(|| ReportError::Usage(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "--since" => parsed.since = Some(parse_time("--since", value()?)?),
                "--until" => parsed.until = Some(parse_time("--until", value()?)?),
                "--format" => {
                    parsed.format = match value()?.as_str() {
                        "table" => Format::Table,
                        "json" => Format::Json,
                        "csv" => Format::Csv,
                        "html" => Format::Html,
                        other => {
                            return Err(ReportError::Usage(format!(
                                "--format {other:?}: choose table, json, csv or html"
                            )));
                        }
                    }
                }
                other => return Err(ReportError::Usage(format!("unknown argument {other:?}"))),
            }
        }
        Ok(parsed)
    }
}

fn parse_time(flag: &str, raw: &str) -> Result<DateTime<Utc>, ReportError> {
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ReportError::Usage(format!(
                "{flag} {raw:?} is not a date (2026-11-30) or an RFC 3339 time"
            ))
        })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    pub step_number: u8,
    pub step_id: &'static str,
    pub reached: u64,
    pub completed: u64,
    pub skipped: u64,
    /// `reached` over the owners who started, in percent.
    pub conversion_from_start: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedStep {
    pub step_id: &'static str,
    pub skipped: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub started: u64,
    pub steps: Vec<StepRow>,
    pub vapi_inline: u64,
    pub vapi_settings: u64,
    pub assistants_created: u64,
    pub completions: u64,
    pub median_seconds_to_complete: Option<f64>,
    /// Most skipped first; steps nobody skipped are left out.
    pub most_skipped: Vec<SkippedStep>,
}

/// One row per owner of the cohort: how far they got and what they did.
#[derive(sqlx::FromRow)]
struct OwnerRow {
    furthest: i32,
    completed: Option<Vec<i32>>,
    skipped: Option<Vec<i32>>,
    vapi_inline: bool,
    vapi_settings: bool,
    assistant: bool,
    launched: bool,
    duration: Option<i64>,
}

const OWNERS: &str = "
WITH cohort AS (
    SELECT user_id FROM onboarding_events
    WHERE name = 'onboarding_started'
      AND ($1::timestamptz IS NULL OR occurred_at >= $1)
      AND ($2::timestamptz IS NULL OR occurred_at < $2)
    GROUP BY user_id)
SELECT
    coalesce(max((e.properties->>'step_number')::int) FILTER (
        WHERE e.name IN ('onboarding_step_completed', 'onboarding_step_skipped')), 0) AS furthest,
    array_agg(DISTINCT (e.properties->>'step_number')::int) FILTER (
        WHERE e.name = 'onboarding_step_completed') AS completed,
    array_agg(DISTINCT (e.properties->>'step_number')::int) FILTER (
        WHERE e.name = 'onboarding_step_skipped') AS skipped,
    coalesce(bool_or(e.name = 'vapi_configured' AND e.properties->>'method' = 'inline'), false) AS vapi_inline,
    coalesce(bool_or(e.name = 'vapi_configured' AND e.properties->>'method' = 'settings'), false) AS vapi_settings,
    coalesce(bool_or(e.name = 'assistant_created'), false) AS assistant,
    coalesce(bool_or(e.name = 'onboarding_completed'), false) AS launched,
    min((e.properties->>'duration_seconds')::bigint) FILTER (
        WHERE e.name = 'onboarding_completed') AS duration
FROM cohort JOIN onboarding_events e USING (user_id)
GROUP BY cohort.user_id";

pub async fn funnel(
    db: &PgPool,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Funnel, sqlx::Error> {
    let owners: Vec<OwnerRow> = sqlx::query_as(OWNERS)
        .bind(since)
        .bind(until)
        .fetch_all(db)
        .await?;
    Ok(summarize(since, until, &owners))
}

fn summarize(
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    owners: &[OwnerRow],
) -> Funnel {
    let started = owners.len() as u64;
    let count = |f: &dyn Fn(&OwnerRow) -> bool| owners.iter().filter(|o| f(o)).count() as u64;
    let has = |list: &Option<Vec<i32>>, n: i32| list.as_ref().is_some_and(|l| l.contains(&n));
    let steps: Vec<StepRow> = Step::ALL
        .iter()
        .map(|&step| {
            let n = i32::from(step_number(step));
            let reached = if n == 1 {
                started
            } else {
                count(&|o| o.furthest >= n - 1 || o.launched)
            };
            let completed = if step == Step::Done {
                count(&|o| o.launched)
            } else {
                count(&|o| has(&o.completed, n))
            };
            StepRow {
                step_number: step_number(step),
                step_id: step.key(),
                reached,
                completed,
                skipped: count(&|o| has(&o.skipped, n)),
                conversion_from_start: percent(reached, started),
            }
        })
        .collect();
    let mut most_skipped: Vec<SkippedStep> = steps
        .iter()
        .filter(|s| s.skipped > 0)
        .map(|s| SkippedStep {
            step_id: s.step_id,
            skipped: s.skipped,
        })
        .collect();
    most_skipped.sort_by_key(|s| std::cmp::Reverse(s.skipped));
    let mut durations: Vec<i64> = owners.iter().filter_map(|o| o.duration).collect();
    durations.sort_unstable();
    Funnel {
        since,
        until,
        started,
        steps,
        vapi_inline: count(&|o| o.vapi_inline),
        vapi_settings: count(&|o| o.vapi_settings),
        assistants_created: count(&|o| o.assistant),
        completions: count(&|o| o.launched),
        median_seconds_to_complete: median(&durations),
        most_skipped,
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// "1 h 05 min", "3 d 2 h", "42 s".
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.round() as i64;
    match s {
        _ if s < 60 => format!("{s} s"),
        _ if s < 3_600 => format!("{} min {:02} s", s / 60, s % 60),
        _ if s < 86_400 => format!("{} h {:02} min", s / 3_600, (s % 3_600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3_600),
    }
}

fn window(f: &Funnel) -> String {
    let show = |t: Option<DateTime<Utc>>, none: &str| {
        t.map_or(none.to_owned(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    format!(
        "{} → {}",
        show(f.since, "the beginning"),
        show(f.until, "now")
    )
}

pub fn render(f: &Funnel, format: Format) -> String {
    match format {
        Format::Table => table(f),
        Format::Json => serde_json::to_string_pretty(f).unwrap_or_default() + "\n",
        Format::Csv => csv(f),
        Format::Html => html(f),
    }
}

fn table(f: &Funnel) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Onboarding funnel, owners who started in {}",
        window(f)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>2}  {:<13} {:>8} {:>10} {:>8} {:>11}",
        "#", "step", "reached", "completed", "skipped", "from start"
    );
    for s in &f.steps {
        let _ = writeln!(
            out,
            "{:>2}  {:<13} {:>8} {:>10} {:>8} {:>10.1}%",
            s.step_number, s.step_id, s.reached, s.completed, s.skipped, s.conversion_from_start
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "started               {}", f.started);
    let _ = writeln!(
        out,
        "Vapi key saved        {} on the step, {} in Settings",
        f.vapi_inline, f.vapi_settings
    );
    let _ = writeln!(out, "assistants created    {}", f.assistants_created);
    let _ = writeln!(
        out,
        "completed (launched)  {} ({:.1}%)",
        f.completions,
        percent(f.completions, f.started)
    );
    let _ = writeln!(
        out,
        "median time to launch {}",
        f.median_seconds_to_complete
            .map_or("–".to_owned(), human_duration)
    );
    let skipped: Vec<String> = f
        .most_skipped
        .iter()
        .map(|s| format!("{} ({})", s.step_id, s.skipped))
        .collect();
    let _ = writeln!(
        out,
        "most skipped          {}",
        if skipped.is_empty() {
            "none".to_owned()
        } else {
            skipped.join(", ")
        }
    );
    out
}

fn csv(f: &Funnel) -> String {
    let mut out = String::from(
        "row,step_number,step_id,reached,completed,skipped,conversion_from_start,value\n",
    );
    for s in &f.steps {
        let _ = writeln!(
            out,
            "step,{},{},{},{},{},{:.1},",
            s.step_number, s.step_id, s.reached, s.completed, s.skipped, s.conversion_from_start
        );
    }
    let median = f
        .median_seconds_to_complete
        .map_or(String::new(), |m| m.to_string());
    for (name, value) in [
        ("started", f.started.to_string()),
        ("vapi_inline", f.vapi_inline.to_string()),
        ("vapi_settings", f.vapi_settings.to_string()),
        ("assistants_created", f.assistants_created.to_string()),
        ("completions", f.completions.to_string()),
        ("median_seconds_to_complete", median),
    ] {
        let _ = writeln!(out, "{name},,,,,,,{value}");
    }
    for s in &f.most_skipped {
        let _ = writeln!(out, "most_skipped,,{},,,{},,", s.step_id, s.skipped);
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One self-contained page: inline CSS and an inline SVG chart, no script, nothing fetched.
fn html(f: &Funnel) -> String {
    const BAR_WIDTH: f64 = 520.0;
    const ROW: usize = 34;
    let scale = |n: u64| {
        if f.started == 0 {
            0.0
        } else {
            BAR_WIDTH * n as f64 / f.started as f64
        }
    };
    let mut bars = String::new();
    for (i, s) in f.steps.iter().enumerate() {
        let y = i * ROW + 8;
        let _ = write!(
            bars,
            r##"<text x="0" y="{ty}" class="label">{n}. {id}</text>
<rect x="150" y="{y}" width="{reached:.1}" height="22" rx="3" class="reached"><title>reached: {r}</title></rect>
<rect x="150" y="{y}" width="{completed:.1}" height="22" rx="3" class="completed"><title>completed: {c}</title></rect>
<rect x="{sx:.1}" y="{y}" width="{skipped:.1}" height="22" class="skipped"><title>skipped: {k}</title></rect>
<text x="{vx:.1}" y="{ty}" class="value">{r} · {p:.1}%</text>
"##,
            ty = y + 16,
            n = s.step_number,
            id = escape(s.step_id),
            reached = scale(s.reached),
            completed = scale(s.completed),
            sx = 150.0 + scale(s.completed),
            skipped = scale(s.skipped.min(s.reached.saturating_sub(s.completed))),
            vx = 158.0 + scale(s.reached),
            r = s.reached,
            c = s.completed,
            k = s.skipped,
            p = s.conversion_from_start,
        );
    }
    let height = f.steps.len() * ROW + 12;
    let mut rows = String::new();
    for s in &f.steps {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td></tr>",
            s.step_number,
            escape(s.step_id),
            s.reached,
            s.completed,
            s.skipped,
            s.conversion_from_start
        );
    }
    let skipped: Vec<String> = f
        .most_skipped
        .iter()
        .map(|s| format!("{} ({})", escape(s.step_id), s.skipped))
        .collect();
    let card = |label: &str, value: String| {
        format!(
            r#"<div class="card"><div class="card-value">{value}</div><div class="card-label">{label}</div></div>"#
        )
    };
    let cards = [
        card("owners started", f.started.to_string()),
        card(
            "launched",
            format!(
                "{} · {:.1}%",
                f.completions,
                percent(f.completions, f.started)
            ),
        ),
        card("assistants created", f.assistants_created.to_string()),
        card(
            "Vapi key: on the step / in Settings",
            format!("{} / {}", f.vapi_inline, f.vapi_settings),
        ),
        card(
            "median time to launch",
            f.median_seconds_to_complete
                .map_or("–".to_owned(), human_duration),
        ),
        card(
            "most skipped",
            if skipped.is_empty() {
                "none".to_owned()
            } else {
                skipped.join(", ")
            },
        ),
    ]
    .concat();
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Ava onboarding funnel</title>
<style>
body {{ font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #212529; margin: 32px; background: #f6f7f9; }}
main {{ max-width: 900px; margin: 0 auto; }}
h1 {{ font-size: 24px; margin: 0 0 4px; }}
.window {{ color: #6c757d; margin: 0 0 24px; }}
.cards {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 24px; }}
.card {{ background: #fff; border: 1px solid #e9ecef; border-radius: 8px; padding: 12px 16px; }}
.card-value {{ font-size: 20px; font-weight: 600; }}
.card-label {{ color: #6c757d; font-size: 13px; }}
section {{ background: #fff; border: 1px solid #e9ecef; border-radius: 8px; padding: 16px 20px; margin-bottom: 24px; }}
h2 {{ font-size: 16px; margin: 0 0 12px; }}
svg .label {{ font-size: 13px; fill: #343a40; }}
svg .value {{ font-size: 12px; fill: #6c757d; }}
svg .reached {{ fill: #dbe4ff; }}
svg .completed {{ fill: #3b5bdb; }}
svg .skipped {{ fill: #f59f00; }}
.legend span {{ display: inline-flex; align-items: center; gap: 6px; margin-inline-end: 16px; font-size: 13px; color: #495057; }}
.legend i {{ width: 12px; height: 12px; border-radius: 2px; display: inline-block; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: end; padding: 6px 10px; border-bottom: 1px solid #e9ecef; }}
th:nth-child(2), td:nth-child(2) {{ text-align: start; }}
th {{ font-size: 13px; color: #6c757d; font-weight: 600; }}
</style>
</head>
<body>
<main>
<h1>Ava onboarding funnel</h1>
<p class="window">Owners who started between {window}</p>
<div class="cards">{cards}</div>
<section>
<h2>Where owners get to</h2>
<p class="legend"><span><i style="background:#dbe4ff"></i>reached</span><span><i style="background:#3b5bdb"></i>completed (Continue; on Done, launched)</span><span><i style="background:#f59f00"></i>skipped</span></p>
<svg role="img" aria-label="Onboarding funnel: owners reaching each step" width="100%" viewBox="0 0 800 {height}" xmlns="http://www.w3.org/2000/svg">
{bars}</svg>
</section>
<section>
<h2>Per step</h2>
<table>
<thead><tr><th>#</th><th>step</th><th>reached</th><th>completed</th><th>skipped</th><th>from start</th></tr></thead>
<tbody>{rows}</tbody>
</table>
</section>
</main>
</body>
</html>
"##,
        window = escape(&window(f)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(furthest: i32, completed: &[i32], skipped: &[i32], launched: Option<i64>) -> OwnerRow {
        OwnerRow {
            furthest,
            completed: (!completed.is_empty()).then(|| completed.to_vec()),
            skipped: (!skipped.is_empty()).then(|| skipped.to_vec()),
            vapi_inline: furthest >= 2,
            vapi_settings: false,
            assistant: launched.is_some(),
            launched: launched.is_some(),
            duration: launched,
        }
    }

    #[test]
    fn the_figures_follow_the_definitions() {
        let owners = [
            owner(8, &[1, 2, 3, 5, 6, 7, 8], &[4], Some(600)),
            owner(8, &[1, 2, 3, 4, 5, 6, 7, 8], &[], Some(1_800)),
            owner(1, &[1], &[], None),
            owner(0, &[], &[], None),
        ];
        let f = summarize(None, None, &owners);
        assert_eq!(f.started, 4);
        let reached: Vec<u64> = f.steps.iter().map(|s| s.reached).collect();
        assert_eq!(reached, [4, 3, 2, 2, 2, 2, 2, 2, 2]);
        assert_eq!(f.steps[3].skipped, 1);
        assert_eq!(f.steps[3].completed, 1);
        assert_eq!(f.steps[8].completed, 2, "on Done, completing is launching");
        assert_eq!(f.steps[1].conversion_from_start, 75.0);
        assert_eq!(f.median_seconds_to_complete, Some(1_200.0));
        assert_eq!(
            f.most_skipped,
            vec![SkippedStep {
                step_id: "twilio",
                skipped: 1
            }]
        );
        assert_eq!(human_duration(1_200.0), "20 min 00 s");
    }

    #[test]
    fn arguments_are_read_or_refused_with_the_usage() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let parsed =
            FunnelArgs::parse(&args(&["--since", "2026-11-01", "--format", "csv"])).unwrap();
        assert_eq!(parsed.format, Format::Csv);
        assert_eq!(
            parsed.since.unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        let refused = FunnelArgs::parse(&args(&["--format", "pdf"]))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("usage: ava-server report funnel"),
            "{refused}"
        );
        assert!(FunnelArgs::parse(&args(&["--until"])).is_err());
        assert!(FunnelArgs::parse(&args(&["--since", "yesterday"])).is_err());
    }

    #[test]
    fn the_page_is_self_contained() {
        let f = summarize(None, None, &[owner(3, &[1, 2, 3], &[], None)]);
        let page = render(&f, Format::Html);
        assert!(page.contains("<svg"));
        for outside in ["<script", "src=", "href=", "@import", "url("] {
            assert!(!page.contains(outside), "{outside} in the page");
        }
    }
}
