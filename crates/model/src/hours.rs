//! Business hours as a weekly schedule. The seed keeps them as free text (`business_hours`);
//! the wizard writes one canonical, readable form — `Mon–Fri 09:00–18:00; Sat 10:00–14:00` —
//! that this module prints and parses (hyphens and `9:00` are read too). Text that does not
//! parse stays free text, as the seed allows: [`WeeklySchedule::parse`] returns `None`.

use std::fmt;

use chrono::{Datelike, Timelike};

/// Monday first, as the schedule is written.
pub const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const MINUTES_PER_DAY: u16 = 24 * 60;

/// One day's opening, in minutes after midnight: `from < to ≤ 24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opening {
    from: u16,
    to: u16,
}

impl Opening {
    pub fn new(from: u16, to: u16) -> Option<Self> {
        (from < to && to <= MINUTES_PER_DAY).then_some(Self { from, to })
    }

    /// From `"09:00"` and `"18:00"` (what a time input gives).
    pub fn from_clock(from: &str, to: &str) -> Option<Self> {
        Self::new(parse_clock(from)?, parse_clock(to)?)
    }

    pub fn from(self) -> u16 {
        self.from
    }

    pub fn to(self) -> u16 {
        self.to
    }
}

impl fmt::Display for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", clock(self.from), clock(self.to))
    }
}

/// `HH:MM` for minutes after midnight (`24:00` for the end of the day).
pub fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_clock(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let valid = |s: &str, max_len| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !valid(hours, 2) || minutes.len() != 2 || !valid(minutes, 2) {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

/// Open or closed, and when, for each day of the week (Monday first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeeklySchedule {
    pub days: [Option<Opening>; 7],
}

/// Whether the business is open at an instant, as the home shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OpenNow {
    /// Open; closes at this minute of today.
    OpenUntil(u16),
    /// Closed; opens on this day (0 = Monday) at this minute (the next opening, up to a week
    /// ahead; today's if it is still to come).
    ClosedUntil { day: usize, at: u16 },
    /// No opening at all in the schedule.
    Closed,
}

impl WeeklySchedule {
    /// The wizard's starting point: Monday to Friday, 09:00–18:00.
    pub fn office_hours() -> Self {
        let mut days = [None; 7];
        for day in days.iter_mut().take(5) {
            *day = Opening::new(9 * 60, 18 * 60);
        }
        Self { days }
    }

    /// The canonical text, or `None` when the text is free-form (kept as written).
    pub fn parse(text: &str) -> Option<Self> {
        let mut days = [None; 7];
        let mut seen = [false; 7];
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        for segment in text.split(';') {
            let (day_part, hours) = segment.trim().rsplit_once(' ')?;
            let opening = parse_opening(hours)?;
            for day in parse_days(day_part.trim())? {
                if std::mem::replace(&mut seen[day], true) {
                    return None;
                }
                days[day] = Some(opening);
            }
        }
        Some(Self { days })
    }

    /// Open or closed at `instant` in the business's time zone.
    pub fn at(&self, instant: chrono::DateTime<chrono_tz::Tz>) -> OpenNow {
        let today = instant.weekday().num_days_from_monday() as usize;
        let minute = (instant.hour() * 60 + instant.minute()) as u16;
        if let Some(opening) = self.days[today]
            && opening.from <= minute
            && minute < opening.to
        {
            return OpenNow::OpenUntil(opening.to);
        }
        for ahead in 0..=7 {
            let day = (today + ahead) % 7;
            if let Some(opening) = self.days[day]
                && (ahead > 0 || opening.from > minute)
            {
                return OpenNow::ClosedUntil {
                    day,
                    at: opening.from,
                };
            }
        }
        OpenNow::Closed
    }

    /// Plain English for the assistant's instructions ("Monday to Friday 09:00–18:00;
    /// Saturday 10:00–14:00; closed on Sunday").
    pub fn for_instructions(&self) -> String {
        const NAMES: [&str; 7] = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        let mut parts = self.groups(&NAMES, " to ");
        let closed: Vec<&str> = (0..7)
            .filter(|d| self.days[*d].is_none())
            .map(|d| NAMES[d])
            .collect();
        match closed.split_last() {
            Some((last, [])) => parts.push(format!("closed on {last}")),
            Some((last, others)) => {
                parts.push(format!("closed on {} and {last}", others.join(", ")))
            }
            None => {}
        }
        parts.join("; ")
    }

    /// Each run of days as "Mon 09:00–17:00" or "Mon–Fri 09:00–17:00", with these day names
    /// and this between a run's first and last day.
    fn groups(&self, names: &[&str; 7], to: &str) -> Vec<String> {
        self.runs()
            .into_iter()
            .map(|(first, last, opening)| match first == last {
                true => format!("{} {opening}", names[first]),
                false => format!("{}{to}{} {opening}", names[first], names[last]),
            })
            .collect()
    }

    /// Consecutive days with the same opening, as (first day, last day, opening).
    fn runs(&self) -> Vec<(usize, usize, Opening)> {
        let mut runs: Vec<(usize, usize, Opening)> = Vec::new();
        for (day, opening) in self.days.iter().enumerate() {
            let Some(opening) = *opening else { continue };
            match runs.last_mut() {
                Some(run) if run.1 + 1 == day && run.2 == opening => run.1 = day,
                _ => runs.push((day, day, opening)),
            }
        }
        runs
    }
}

impl fmt::Display for WeeklySchedule {
    /// The canonical text: consecutive days with the same hours grouped (`Mon–Fri`), closed
    /// days left out, `; ` between groups. Empty when closed all week.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups = self.groups(&DAYS, "–");
        f.write_str(&groups.join("; "))
    }
}

fn parse_opening(text: &str) -> Option<Opening> {
    let (from, to) = split_dash(text)?;
    Opening::from_clock(from, to)
}

fn split_dash(text: &str) -> Option<(&str, &str)> {
    text.split_once('–').or_else(|| text.split_once('-'))
}

fn day_index(name: &str) -> Option<usize> {
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(name.trim()))
}

/// `Mon`, `Mon–Fri` or `Mon, Wed, Fri` (ranges inside lists too).
fn parse_days(text: &str) -> Option<Vec<usize>> {
    let mut days = Vec::new();
    for item in text.split(',') {
        match split_dash(item) {
            Some((first, last)) => {
                let (first, last) = (day_index(first)?, day_index(last)?);
                if first > last {
                    return None;
                }
                days.extend(first..=last);
            }
            None => days.push(day_index(item)?),
        }
    }
    Some(days)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn hours(text: &str) -> WeeklySchedule {
        WeeklySchedule::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn the_canonical_form_groups_days_and_leaves_closed_ones_out() {
        let mut schedule = WeeklySchedule::office_hours();
        schedule.days[5] = Opening::new(10 * 60, 14 * 60);
        assert_eq!(schedule.to_string(), "Mon–Fri 09:00–18:00; Sat 10:00–14:00");
        assert_eq!(
            schedule.for_instructions(),
            "Monday to Friday 09:00–18:00; Saturday 10:00–14:00; closed on Sunday"
        );
        assert_eq!(WeeklySchedule::default().to_string(), "");
        assert_eq!(
            WeeklySchedule::office_hours().for_instructions(),
            "Monday to Friday 09:00–18:00; closed on Saturday and Sunday"
        );
    }

    #[test]
    fn hyphens_short_hours_and_day_lists_are_read_too() {
        assert_eq!(hours("mon-fri 9:00-18:00"), WeeklySchedule::office_hours());
        let listed = hours("Mon, Wed 08:30–12:00; Sun 00:00–24:00");
        assert_eq!(listed.days[0], Opening::new(510, 720));
        assert_eq!(listed.days[1], None);
        assert_eq!(listed.days[6], Opening::new(0, 1440));
    }

    #[test]
    fn free_text_stays_free_text() {
        for text in [
            "",
            "Mon-Fri 9-18",
            "Weekdays 9 to 6, Saturday mornings",
            "Mon–Fri 18:00–09:00",
            "Mon 09:00–12:00; Mon 14:00–18:00",
            "Fri–Mon 09:00–18:00",
            "Mon 09:60–10:00",
            "Mon 09:00–25:00",
        ] {
            assert_eq!(WeeklySchedule::parse(text), None, "{text}");
        }
    }

    #[test]
    fn open_now_and_the_next_opening_in_the_business_time_zone() {
        let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        let schedule = hours("Mon–Fri 09:00–18:00; Sat 10:00–14:00");
        // Wednesday 2026-12-02.
        let at = |d, h, m| paris.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        assert_eq!(schedule.at(at(2, 10, 0)), OpenNow::OpenUntil(18 * 60));
        assert_eq!(
            schedule.at(at(2, 8, 59)),
            OpenNow::ClosedUntil { day: 2, at: 9 * 60 }
        );
        assert_eq!(
            schedule.at(at(2, 18, 0)),
            OpenNow::ClosedUntil { day: 3, at: 9 * 60 }
        );
        // Saturday after closing: Monday.
        assert_eq!(
            schedule.at(at(5, 15, 0)),
            OpenNow::ClosedUntil { day: 0, at: 9 * 60 }
        );
        assert_eq!(WeeklySchedule::default().at(at(2, 10, 0)), OpenNow::Closed);
    }

    fn any_schedule() -> impl Strategy<Value = WeeklySchedule> {
        let opening = (0u16..1440, 1u16..=1440).prop_filter_map("from < to", |(from, len)| {
            Opening::new(from, from.saturating_add(len).min(1440))
        });
        proptest::array::uniform7(proptest::option::of(opening))
            .prop_map(|days| WeeklySchedule { days })
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_schedule(schedule in any_schedule()) {
            let text = schedule.to_string();
            if schedule.days.iter().all(Option::is_none) {
                prop_assert_eq!(text, "");
            } else {
                prop_assert_eq!(WeeklySchedule::parse(&text), Some(schedule));
                // And the text is already canonical.
                prop_assert_eq!(WeeklySchedule::parse(&text).unwrap().to_string(), text);
            }
        }

        #[test]
        fn any_text_either_parses_to_its_canonical_form_or_stays_free(text in "\\PC{0,40}") {
            if let Some(schedule) = WeeklySchedule::parse(&text) {
                let canonical = schedule.to_string();
                prop_assert_eq!(WeeklySchedule::parse(&canonical), Some(schedule));
            }
        }
    }
}
