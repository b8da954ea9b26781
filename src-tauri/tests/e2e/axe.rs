//! axe-core, Deque's accessibility rules, run inside the real window on what it draws: the
//! outside check of WCAG 2.1 A and AA that our own tests cannot be. The script is the pinned
//! npm package `tests/setup.sh` installs (`axe-core` 4.14.1); nothing is fetched at test time.

use std::sync::OnceLock;

use crate::app::*;

/// What axe could not decide ("needs review"), looked at by hand and found not to be a fault:
/// a rule, the end of the elements' selector, and why (also in docs/accessibility.md). Anything
/// else it cannot decide fails, so a new case is looked at too.
const TOAST_CLOSE: &str = "a toast's close button (its name in each language): its only content is \
     the × glyph, hidden from assistive technology, a symbol with no words for the name to \
     contain; the name says the action in the owner's language (WCAG 2.5.3 is about text labels)";

const REVIEWED: &[(&str, &str, &str)] = &[
    ("label-content-name-mismatch", ".toast-close", TOAST_CLOSE),
    (
        "label-content-name-mismatch",
        ".toast-close[aria-label=\"Close\"]",
        TOAST_CLOSE,
    ),
    (
        "label-content-name-mismatch",
        ".toast-close[aria-label=\"Fermer\"]",
        TOAST_CLOSE,
    ),
    (
        "label-content-name-mismatch",
        ".toast-close[aria-label=\"סגירה\"]",
        TOAST_CLOSE,
    ),
    (
        "color-contrast",
        ".num[aria-hidden=\"true\"]",
        "the rail's step number or ✓: one glyph, so axe cannot tell text from an icon; its \
         colours are token pairs tests/contrast.py checks (4.5:1 or more), and the step's state is \
         also said in words",
    ),
    (
        "color-contrast",
        ".mark[aria-hidden=\"true\"]",
        "the Done step's and the progress list's ✓ / – / ! marks: the same, one glyph in token \
         colours that tests/contrast.py checks, the state also said in words",
    ),
];

/// Every element of `item` is one a [`REVIEWED`] entry covers for its rule.
fn reviewed(item: &Value) -> bool {
    item["nodes"].as_array().is_some_and(|nodes| {
        nodes.iter().all(|node| {
            REVIEWED.iter().any(|(rule, ends, _)| {
                item["id"] == *rule && node.as_str().is_some_and(|n| n.ends_with(ends))
            })
        })
    })
}

fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let tools = std::env::var_os("AVA_TOOLS_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ava-desktop/tools"))
            })
            .expect("a tools folder");
        let path = tools.join("node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path:?}: {e} (tests/setup.sh installs axe-core)"))
    })
}

pub fn axe_dir() -> PathBuf {
    screenshots_dir().with_file_name("axe")
}

impl App {
    /// Runs axe on the window as it is now, saves what it found as `axe/<screen>.json`, and
    /// fails on any violation, or on anything it could not decide that is not [`REVIEWED`].
    pub async fn axe(&self, screen: &str) {
        let present = self
            .client
            .execute("return typeof axe !== 'undefined'", vec![])
            .await
            .unwrap();
        if present != Value::Bool(true) {
            self.client
                .execute(&format!("{}\n;return true;", axe_source()), vec![])
                .await
                .expect("axe-core loads in the window");
        }
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const brief = (items) => items.map(v => ({id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map(n => n.target.join(' '))}));
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                                    resultTypes: ['violations', 'incomplete']})
                    .then(r => done({violations: brief(r.violations), incomplete: brief(r.incomplete)}))
                    .catch(e => done({error: String(e)}));",
                vec![],
            )
            .await
            .expect("axe runs");
        assert!(
            found.get("error").is_none(),
            "{screen}: axe failed: {found}"
        );
        let _ = std::fs::create_dir_all(axe_dir());
        std::fs::write(
            axe_dir().join(format!("{screen}.json")),
            serde_json::to_string_pretty(&found).unwrap(),
        )
        .unwrap();
        // Every violation fails, minor ones included: the screens have none today.
        let violations = found["violations"].as_array().unwrap();
        assert!(
            violations.is_empty(),
            "{screen}: accessibility violations: {violations:#?}"
        );
        let unreviewed: Vec<&Value> = found["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| !reviewed(v))
            .collect();
        assert!(
            unreviewed.is_empty(),
            "{screen}: axe could not decide these; fix them or review them (REVIEWED): {unreviewed:#?}"
        );
    }
}
