//! A clone of the repository builds and tests with nothing beside it: no file of the workspace,
//! its scripts, docs or workflows reaches out of the checkout to the team's `shared` folder
//! (which only our own machines have), and the providers' documents the fakes read are in the
//! repository. Found the hard way: a fresh clone failed the README's test command after 19
//! minutes because the fakes read the contracts from a folder beside the checkout.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Build outputs and installed tools are not the repository's files.
const NOT_OURS: [&str; 5] = [".git", "target", "node_modules", "dist", "e2e-screenshots"];

fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name();
        if entry.file_type().unwrap().is_dir() {
            if !NOT_OURS.iter().any(|skip| name == *skip) {
                text_files(&path, out);
            }
        } else if entry.file_type().unwrap().is_file() {
            out.push(path);
        }
    }
}

/// Spelled in two pieces so that this file does not find itself.
fn outside_paths() -> [String; 3] {
    let shared = ["sha", "red"].concat();
    [
        format!("../{shared}"),
        format!("..\\{shared}"),
        format!("{shared}/contracts"),
    ]
}

#[test]
fn no_file_of_the_repository_reaches_outside_it() {
    let root = workspace();
    let mut files = Vec::new();
    text_files(&root, &mut files);
    assert!(
        files.len() > 100,
        "walked only {} files under {}",
        files.len(),
        root.display()
    );
    let patterns = outside_paths();
    let mut offenders = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        // The vendored documents are the providers' text, not ours.
        if file
            .parent()
            .is_some_and(|dir| dir.ends_with("crates/fakes/contracts"))
            && file.extension().is_some_and(|ext| ext == "json")
        {
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            if patterns
                .iter()
                .any(|pattern| line.contains(pattern.as_str()))
            {
                let relative = file.strip_prefix(&root).unwrap().display();
                offenders.push(format!("{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "these lines point outside the repository, which a clone does not have; vendor what \
         they need (as crates/fakes/contracts does):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_fakes_read_the_providers_documents_from_the_repository() {
    let dir = ava_fakes::contract::contracts_dir().canonicalize().unwrap();
    if std::env::var_os("AVA_CONTRACTS_DIR").is_none() {
        assert!(
            dir.starts_with(workspace()),
            "contracts read from {}",
            dir.display()
        );
    }
    for file in ["vapi-openapi.json", "twilio_api_v2010.json"] {
        assert!(
            dir.join(file).is_file(),
            "{file} is not vendored in {}",
            dir.display()
        );
    }
    // Parsing both proves the copies are whole documents, not Git LFS pointers or truncations.
    assert!(
        ava_fakes::contract::vapi()
            .schema("CreateAssistantDTO")
            .is_some()
    );
    assert!(
        ava_fakes::contract::twilio()
            .schema("api.v2010.account")
            .is_some()
    );
}
