//! Finding an assistant's newest calls in Vapi, which lists calls in no stated order and
//! filters them only by creation-time windows (`createdAtGe`/`createdAtLt`, with a `limit`).
//! Asking for "20 calls" would return any 20; so the search walks back from now through
//! growing windows, and a window that comes back full (it may hold more than it returned) is
//! halved, newer half first, until every window it keeps was returned whole. Each request asks
//! for twice what is still missing, so a window holding a few more than that comes back whole
//! at once instead of being halved again and again; with fewer than 40 calls in the last day
//! the home costs one request.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

/// A half-open span of creation times, `[from, until)`.
pub type Window = (DateTime<Utc>, DateTime<Utc>);

/// The first window looked at; each further one is four times as long.
const FIRST_SPAN: Duration = Duration::days(1);

/// The `need` newest items created in `[floor, until)` (all of them when there are fewer),
/// newest first. `fetch(window, limit)` asks the provider for at most `limit` items of a
/// window, in any order.
pub async fn newest<T, E, F, Fut>(
    mut fetch: F,
    (floor, until): Window,
    need: usize,
    created_at: impl Fn(&T) -> DateTime<Utc>,
) -> Result<Vec<T>, E>
where
    F: FnMut(Window, usize) -> Fut,
    Fut: Future<Output = Result<Vec<T>, E>>,
{
    let mut found: Vec<T> = Vec::new();
    // Windows still to look at, the newest last.
    let mut pending: Vec<Window> = Vec::new();
    let (mut older_than, mut span) = (until, FIRST_SPAN);
    while found.len() < need {
        let Some((from, to)) = pending.pop().or_else(|| {
            (older_than > floor).then(|| {
                let from = (older_than - span).max(floor);
                let window = (from, older_than);
                older_than = from;
                span = span * 4;
                window
            })
        }) else {
            break;
        };
        let limit = 2 * (need - found.len());
        let items = fetch((from, to), limit).await?;
        if items.len() < limit || to - from <= Duration::milliseconds(1) {
            found.extend(items);
        } else {
            let middle = from + (to - from) / 2;
            pending.push((from, middle));
            pending.push((middle, to));
        }
    }
    found.sort_by_key(|item| std::cmp::Reverse(created_at(item)));
    found.truncate(need);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// A provider holding `calls` (creation times), answering in a scrambled order and
    /// cutting at `limit` there, as Vapi may; counts the requests.
    struct Provider {
        calls: Vec<DateTime<Utc>>,
        requests: RefCell<usize>,
    }

    impl Provider {
        async fn fetch(
            &self,
            (from, until): Window,
            limit: usize,
        ) -> Result<Vec<DateTime<Utc>>, ()> {
            *self.requests.borrow_mut() += 1;
            let mut inside: Vec<DateTime<Utc>> = self
                .calls
                .iter()
                .copied()
                .filter(|t| *t >= from && *t < until)
                .collect();
            // Oldest first: the worst order for a client that trusts it.
            inside.sort();
            inside.truncate(limit);
            Ok(inside)
        }
    }

    fn run(
        provider: &Provider,
        floor: DateTime<Utc>,
        now: DateTime<Utc>,
        need: usize,
    ) -> Vec<DateTime<Utc>> {
        let search = newest(|w, l| provider.fetch(w, l), (floor, now), need, |t| *t);
        block_on(search).unwrap()
    }

    /// Drives a future that never waits on anything outside it.
    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn finds_exactly_the_newest_calls_across_months_in_any_order() {
        let now = Utc::now();
        let floor = now - Duration::days(400);
        // 300 calls over a year, unevenly: a busy last hour, quiet months.
        let mut calls: Vec<DateTime<Utc>> = (0..120)
            .map(|i| now - Duration::seconds(i * 7 + 1))
            .collect();
        calls.extend((0..180).map(|i| now - Duration::hours(i * 40 + 30)));
        let provider = Provider {
            calls: calls.clone(),
            requests: RefCell::new(0),
        };
        let found = run(&provider, floor, now, 20);
        calls.sort_by_key(|t| std::cmp::Reverse(*t));
        assert_eq!(found, calls[..20]);

        let quiet: Vec<DateTime<Utc>> = (0..5).map(|i| now - Duration::days(i * 70 + 2)).collect();
        let provider = Provider {
            calls: quiet.clone(),
            requests: RefCell::new(0),
        };
        let found = run(&provider, floor, now, 20);
        assert_eq!(found.len(), 5, "fewer than asked: all of them");
        assert!(found.windows(2).all(|w| w[0] > w[1]), "newest first");
        assert!(
            *provider.requests.borrow() <= 6,
            "{} requests",
            provider.requests.borrow()
        );
    }

    #[test]
    fn a_quiet_day_costs_one_request_and_nothing_before_the_floor_is_asked() {
        let now = Utc::now();
        let calls = vec![now - Duration::hours(2), now - Duration::hours(5)];
        let provider = Provider {
            calls,
            requests: RefCell::new(0),
        };
        let found = run(&provider, now - Duration::hours(6), now, 20);
        assert_eq!(found.len(), 2);
        assert_eq!(*provider.requests.borrow(), 1);
    }
}
