//! What a screen reader is given, read outside the web engine: the AT-SPI tree of the running
//! window, on the accessibility bus of the tests' own D-Bus session (tests/atspi-tree.py with
//! Debian's python3-pyatspi). Orca and every Linux screen reader read this tree.

use crate::app::*;

/// The window's words in `lang`, from the same catalogs the window reads.
fn words(lang: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../ui/locales/{lang}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The AT-SPI tree of the window, once it holds every text in `wanted`: (role, name) per node.
async fn accessible_tree(wanted: &[String]) -> Vec<(String, String)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/atspi-tree.py");
    let output = Command::new("/usr/bin/python3")
        .arg(script)
        .args(wanted)
        .output()
        .await
        .expect("python3 runs (tests/setup.sh installs python3-pyatspi)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let node: Value = serde_json::from_str(line).unwrap();
            (
                node["role"].as_str().unwrap().to_owned(),
                node["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_screen_reader_is_given_the_steps_the_labels_and_the_status(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    for (lang, os_locale) in [("en", "en_US.UTF-8"), ("he", "he_IL.UTF-8")] {
        let t = words(lang);
        let say = |key: &str| t[key].as_str().unwrap().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let app = App::launch(&Env::offline(&world, os_locale), dir.path()).await;
        app.click("#continue-offline").await;
        app.on_step("profile").await;
        let steps: Vec<String> = ava_model::Step::NAMES
            .iter()
            .map(|s| say(&format!("step.{s}")))
            .collect();
        let labels: Vec<String> = [
            "field.full_name",
            "field.organization_name",
            "field.industry",
            "field.timezone",
            "field.accept_terms",
        ]
        .iter()
        .map(|k| say(k))
        .collect();
        let status = say("status.saved_locally");
        let mut wanted = steps.clone();
        wanted.extend(labels.iter().cloned());
        wanted.push(status.clone());
        let tree = accessible_tree(&wanted).await;
        for step in &steps {
            assert!(
                tree.iter()
                    .any(|(role, name)| role == "push button" && name.starts_with(step.as_str())),
                "{lang}: the rail's {step:?} is a button named by its visible text: {tree:#?}"
            );
        }
        for label in &labels {
            assert!(
                tree.iter().any(|(role, name)| name == label
                    && ["entry", "combo box", "check box", "text"].contains(&role.as_str())),
                "{lang}: a field named {label:?}: {tree:#?}"
            );
        }
        assert!(
            tree.iter().any(|(_, name)| name.contains(status.as_str())),
            "{lang}: the status pill says {status:?}: {tree:#?}"
        );
        app.quit().await;
    }
}
