//! The providers' own published OpenAPI documents (`crates/fakes/contracts/`: Vapi's and
//! Twilio's, vendored with their source in that folder's README) as the rules of the fakes and of the contract tests. What a fake accepts, and the
//! shape of what it answers, is read from the spec, not listed by hand: a request body, query
//! or path that the spec does not allow is refused as Vapi's NestJS validation refuses it, and
//! an answer of the fake's own that the spec does not describe is recorded as drift.
//!
//! An OpenAPI 3.0 schema is not quite JSON Schema, so each document is prepared once:
//! - `nullable: true` becomes a `null` alternative;
//! - every object that lists its properties gets `additionalProperties: false`: Vapi's
//!   validation pipe forbids unknown fields ("property X should not exist"), which its schemas
//!   do not say;
//! - `oneOf` becomes `anyOf` (Vapi's unions are not exclusive: a Deepgram `model` is "one of
//!   the listed names, or any string"), and a union whose branches each require a different
//!   constant `provider` or `type` dispatches on it, as the server does, so a wrong field in
//!   a transcriber is reported at that field rather than as "matches no branch";
//! - patterns written as JavaScript literals (`/^…$/u`) lose their slashes and flags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::{Map, Value, json};

/// Where the providers' documents are: `AVA_CONTRACTS_DIR` (to try a newer spec before vendoring
/// it), else the copies this crate vendors, so a clone needs nothing beside it.
pub fn contracts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AVA_CONTRACTS_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts")
}

/// Vapi's document (`vapi-openapi.json`), loaded and prepared once per process.
pub fn vapi() -> &'static Contract {
    static VAPI: OnceLock<Contract> = OnceLock::new();
    VAPI.get_or_init(|| Contract::load_or_explain("vapi-openapi.json"))
}

/// Twilio's REST API 2010-04-01 (`twilio_api_v2010.json`). Its schemas say `format: uri`
/// where its own examples (and Twilio's answers) hold paths relative to the API's host and
/// empty strings (`"uri": "/2010-04-01/Accounts/…json"`, `"sms_url": ""`): such a field is read
/// as a URI reference, which both are.
pub fn twilio() -> &'static Contract {
    static TWILIO: OnceLock<Contract> = OnceLock::new();
    TWILIO.get_or_init(|| {
        let mut contract = Contract::load_or_explain("twilio_api_v2010.json");
        contract.rename_format("uri", "uri-reference");
        contract
    })
}

/// One provider's API as its OpenAPI document describes it.
pub struct Contract {
    /// The prepared document: `{"components": {"schemas": …}}`, what every `$ref` points into.
    components: Value,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

struct Operation {
    method: String,
    template: Vec<Segment>,
    parameters: Vec<Parameter>,
    body: Option<Value>,
    /// Status (`"200"`) → the schema of its JSON body.
    responses: HashMap<String, Value>,
}

/// A piece of a path template: `Accounts`, `{id}`, or `{Sid}.json`.
struct Segment {
    prefix: String,
    parameter: Option<String>,
    suffix: String,
}

struct Parameter {
    name: String,
    location: String,
    required: bool,
    schema: Value,
}

impl Contract {
    fn load_or_explain(file: &str) -> Contract {
        let path = contracts_dir().join(file);
        Contract::load(&path).unwrap_or_else(|error| {
            panic!(
                "the provider contract {} could not be read ({error}); the fakes take their rules \
                 from it. The repository vendors it in crates/fakes/contracts (AVA_CONTRACTS_DIR \
                 points elsewhere)",
                path.display()
            )
        })
    }

    pub fn load(path: &Path) -> Result<Contract, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let document: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok(Contract::from_document(&document))
    }

    pub fn from_document(document: &Value) -> Contract {
        let mut schemas = document["components"]["schemas"].clone();
        let raw = schemas.clone();
        if let Value::Object(all) = &mut schemas {
            for schema in all.values_mut() {
                prepare(schema, &raw);
            }
        }
        let mut operations = Vec::new();
        if let Some(paths) = document["paths"].as_object() {
            for (template, item) in paths {
                let shared = item["parameters"].as_array().cloned().unwrap_or_default();
                for method in ["get", "post", "patch", "put", "delete"] {
                    let Some(op) = item.get(method) else { continue };
                    operations.push(Operation::read(method, template, op, &shared, &raw));
                }
            }
        }
        Contract {
            components: json!({ "components": { "schemas": schemas } }),
            operations,
            validators: Mutex::default(),
        }
    }

    /// Reads every `format: from` as `format: to`, for a document whose own examples use a
    /// looser format than its schemas say.
    fn rename_format(&mut self, from: &str, to: &str) {
        fn walk(value: &mut Value, from: &str, to: &str) {
            match value {
                Value::Object(object) => {
                    if object.get("format").and_then(Value::as_str) == Some(from) {
                        object.insert("format".to_owned(), Value::from(to));
                    }
                    object.values_mut().for_each(|v| walk(v, from, to));
                }
                Value::Array(items) => items.iter_mut().for_each(|v| walk(v, from, to)),
                _ => {}
            }
        }
        walk(&mut self.components, from, to);
        for op in &mut self.operations {
            op.body.iter_mut().for_each(|b| walk(b, from, to));
            op.responses.values_mut().for_each(|r| walk(r, from, to));
            op.parameters
                .iter_mut()
                .for_each(|p| walk(&mut p.schema, from, to));
        }
    }

    /// A component schema as prepared (`CreateAssistantDTO`), for reading enums and fields.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.components["components"]["schemas"].get(name)
    }

    /// Every way `instance` breaks the component schema `name`, in Vapi's words.
    pub fn errors_against(&self, name: &str, instance: &Value) -> Vec<String> {
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        self.errors(&schema, instance)
    }

    /// Every way `instance` breaks `schema` (a prepared schema, `$ref`s into this document).
    pub fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        match self.validator(schema) {
            Ok(validator) => validator
                .iter_errors(instance)
                .flat_map(|e| describe(&e))
                .collect(),
            Err(error) => vec![format!("the contract's schema does not compile: {error}")],
        }
    }

    fn validator(&self, schema: &Value) -> Result<Arc<Validator>, String> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(validator) = cache.get(&key) {
            return Ok(validator.clone());
        }
        let mut root = self.components.clone();
        if let (Value::Object(root), Value::Object(schema)) = (&mut root, schema) {
            root.extend(schema.clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&root)
            .map_err(|e| e.to_string())?;
        let validator = Arc::new(validator);
        cache.insert(key, validator.clone());
        Ok(validator)
    }

    fn operation(&self, method: &str, path: &str) -> Option<(&Operation, Vec<(String, String)>)> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method))
            .find_map(|op| op.matches(&segments).map(|params| (op, params)))
    }

    /// Whether the document has this route at all.
    pub fn has_route(&self, method: &str, path: &str) -> bool {
        self.operation(method, path).is_some()
    }

    /// What is wrong with a request, in Vapi's class-validator words (empty: it is allowed).
    /// `query` is the raw query string; `body` the parsed JSON body, if one was sent.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&Value>,
    ) -> Vec<String> {
        let Some((op, path_params)) = self.operation(method, path) else {
            return vec![format!("Cannot {} {path}", method.to_uppercase())];
        };
        let mut errors = Vec::new();
        for (name, value) in &path_params {
            if let Some(param) = op.parameter(name, "path") {
                errors.extend(self.check_parameter(param, value));
            }
        }
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
        for (name, value) in &pairs {
            match op.parameter(name, "query") {
                Some(param) => errors.extend(self.check_parameter(param, value)),
                None => errors.push(format!("property {name} should not exist")),
            }
        }
        for param in op
            .parameters
            .iter()
            .filter(|p| p.required && p.location == "query")
        {
            if !pairs.iter().any(|(name, _)| *name == param.name) {
                errors.push(format!("{} should not be empty", param.name));
            }
        }
        match (&op.body, body) {
            (Some(schema), Some(body)) => errors.extend(self.errors(schema, body)),
            (None, Some(body)) if !body.is_null() => {
                errors.push("this route takes no body".to_owned());
            }
            _ => {}
        }
        errors
    }

    /// What is wrong with an answer: a status the route does not declare, or a body its
    /// schema does not describe.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Vec<String> {
        let Some((op, _)) = self.operation(method, path) else {
            return vec![format!(
                "no route {} {path} in the contract",
                method.to_uppercase()
            )];
        };
        match op.responses.get(&status.to_string()) {
            Some(schema) => self
                .errors(schema, body)
                .into_iter()
                .map(|e| format!("{} {path} → {status}: {e}", method.to_uppercase()))
                .collect(),
            None => vec![format!(
                "{} {path} answered {status}, a status the contract does not declare",
                method.to_uppercase()
            )],
        }
    }

    fn check_parameter(&self, param: &Parameter, raw: &str) -> Vec<String> {
        // Query and path values are text; the schema's type says how the server reads them.
        let value = match param.schema["type"].as_str() {
            Some("number" | "integer") => match raw.parse::<f64>() {
                Ok(n) => json!(n),
                Err(_) => return vec![format!("{} must be a number", param.name)],
            },
            Some("boolean") => match raw {
                "true" => json!(true),
                "false" => json!(false),
                _ => return vec![format!("{} must be a boolean value", param.name)],
            },
            _ => json!(raw),
        };
        // Checked as the one property of an object, so messages name the parameter.
        let schema = json!({"type": "object", "properties": {&param.name: &param.schema}});
        self.errors(&schema, &json!({ &param.name: value }))
    }
}

impl Operation {
    fn read(method: &str, template: &str, op: &Value, shared: &[Value], raw: &Value) -> Operation {
        let mut parameters: Vec<Parameter> = Vec::new();
        for param in shared
            .iter()
            .chain(op["parameters"].as_array().into_iter().flatten())
        {
            let param = resolve(param, raw);
            let mut schema = param["schema"].clone();
            prepare(&mut schema, raw);
            parameters.push(Parameter {
                name: param["name"].as_str().unwrap_or_default().to_owned(),
                location: param["in"].as_str().unwrap_or_default().to_owned(),
                required: param["required"].as_bool().unwrap_or(false),
                schema,
            });
        }
        let body = op["requestBody"]["content"]["application/json"]["schema"]
            .as_object()
            .map(|schema| {
                let mut schema = Value::Object(schema.clone());
                prepare(&mut schema, raw);
                schema
            });
        let mut responses = HashMap::new();
        if let Some(all) = op["responses"].as_object() {
            for (status, response) in all {
                let response = resolve(response, raw);
                if let Some(schema) = response["content"]["application/json"]["schema"].as_object()
                {
                    let mut schema = Value::Object(schema.clone());
                    prepare(&mut schema, raw);
                    responses.insert(status.clone(), schema);
                }
            }
        }
        Operation {
            method: method.to_uppercase(),
            template: template
                .trim_start_matches('/')
                .split('/')
                .map(Segment::parse)
                .collect(),
            parameters,
            body,
            responses,
        }
    }

    fn matches(&self, segments: &[&str]) -> Option<Vec<(String, String)>> {
        if segments.len() != self.template.len() {
            return None;
        }
        let mut params = Vec::new();
        for (segment, pattern) in segments.iter().zip(&self.template) {
            let inner = segment
                .strip_prefix(pattern.prefix.as_str())?
                .strip_suffix(pattern.suffix.as_str())?;
            match &pattern.parameter {
                Some(name) if !inner.is_empty() => params.push((name.clone(), inner.to_owned())),
                Some(_) => return None,
                None if inner.is_empty() => {}
                None => return None,
            }
        }
        Some(params)
    }

    fn parameter(&self, name: &str, location: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.name == name && p.location == location)
    }
}

impl Segment {
    fn parse(text: &str) -> Segment {
        match (text.find('{'), text.find('}')) {
            (Some(open), Some(close)) if open < close => Segment {
                prefix: text[..open].to_owned(),
                parameter: Some(text[open + 1..close].to_owned()),
                suffix: text[close + 1..].to_owned(),
            },
            _ => Segment {
                prefix: text.to_owned(),
                parameter: None,
                suffix: String::new(),
            },
        }
    }
}

/// `{"$ref": "#/components/…"}` followed to what it names (parameters and responses).
fn resolve<'a>(value: &'a Value, raw_schemas: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(pointer) => pointer
            .strip_prefix("#/components/schemas/")
            .and_then(|name| raw_schemas.get(name))
            .unwrap_or(value),
        None => value,
    }
}

/// Turns one OpenAPI schema (and everything under it) into the JSON Schema described in the
/// module's documentation. `raw` is the document's unprepared `components.schemas`, read to
/// find what a union's branches require.
fn prepare(schema: &mut Value, raw: &Value) {
    let Value::Object(object) = schema else {
        return;
    };
    for (key, child) in object.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" => {
                if let Value::Object(children) = child {
                    for child in children.values_mut() {
                        prepare(child, raw);
                    }
                }
            }
            "items" | "additionalProperties" | "not" => prepare(child, raw),
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(branches) = child {
                    for branch in branches {
                        prepare(branch, raw);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(pattern) = object.get("pattern").and_then(Value::as_str) {
        match javascript_pattern(pattern) {
            Some(pattern) => {
                object.insert("pattern".to_owned(), Value::from(pattern));
            }
            None => {
                object.remove("pattern");
            }
        }
    }
    if object.contains_key("properties") && !object.contains_key("additionalProperties") {
        object.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    if let Some(Value::Array(branches)) = object.remove("oneOf") {
        match discriminator(&branches, raw) {
            Some((property, values)) => {
                let dispatch: Vec<Value> = branches
                    .iter()
                    .zip(&values)
                    .map(|(branch, value)| {
                        json!({
                            "if": {"properties": {&property: {"const": value}}, "required": [&property]},
                            "then": branch,
                        })
                    })
                    .collect();
                object.insert("type".to_owned(), json!("object"));
                object.insert("required".to_owned(), json!([&property]));
                object.insert(
                    "properties".to_owned(),
                    json!({ &property: {"enum": values} }),
                );
                object.insert("allOf".to_owned(), Value::Array(dispatch));
            }
            None => {
                object.insert("anyOf".to_owned(), Value::Array(branches));
            }
        }
    }
    if object.remove("nullable") == Some(Value::Bool(true)) {
        allow_null(object);
    }
}

/// `nullable: true`: the value may also be `null`.
fn allow_null(object: &mut Map<String, Value>) {
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.push(Value::Null);
    }
    match object.get("type").cloned() {
        Some(Value::String(kind)) => {
            object.insert("type".to_owned(), json!([kind, "null"]));
        }
        _ => {
            let inner = Value::Object(std::mem::take(object));
            object.insert("anyOf".to_owned(), json!([inner, {"type": "null"}]));
        }
    }
}

/// A JavaScript regex literal `/body/flags` as a plain pattern; a placeholder that is not a
/// pattern at all (`ORG_ROLE_OR_CUSTOM_ROLE_PATTERN`) is dropped.
fn javascript_pattern(pattern: &str) -> Option<String> {
    if let Some(rest) = pattern.strip_prefix('/') {
        let end = rest.rfind('/')?;
        return Some(rest[..end].to_owned());
    }
    (pattern.starts_with('^') || pattern.ends_with('$')).then(|| pattern.to_owned())
}

/// The property each branch of a union requires with a single value of its own (`provider`,
/// `type`…), and those values, when there is one.
fn discriminator(branches: &[Value], raw: &Value) -> Option<(String, Vec<Value>)> {
    let resolved: Vec<&Value> = branches.iter().map(|b| resolve(b, raw)).collect();
    let first = resolved.first()?;
    let candidates = first["required"].as_array()?;
    candidates
        .iter()
        .filter_map(Value::as_str)
        .find_map(|property| {
            let values: Vec<Value> = resolved
                .iter()
                .map(|branch| {
                    let required = branch["required"].as_array()?;
                    if !required.iter().any(|r| r == property) {
                        return None;
                    }
                    match branch["properties"][property]["enum"]
                        .as_array()?
                        .as_slice()
                    {
                        [only] => Some(only.clone()),
                        _ => None,
                    }
                })
                .collect::<Option<_>>()?;
            let mut unique = values.clone();
            unique.sort_by_key(Value::to_string);
            unique.dedup();
            (unique.len() == values.len()).then(|| (property.to_owned(), values))
        })
}

/// `/model/messages/0/role` as class-validator names it: `model.messages.0.role`.
fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

fn prefixed(path: &str, rest: &str) -> String {
    if path.is_empty() {
        rest.to_owned()
    } else {
        format!("{path}.{rest}")
    }
}

/// One validation error in Vapi's (class-validator's) words, with the field's dotted path.
fn describe(error: &ValidationError<'_>) -> Vec<String> {
    let path = dotted(error.instance_path().as_str());
    let subject = if path.is_empty() {
        "value".to_owned()
    } else {
        path.clone()
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| prefixed(&path, &format!("property {name} should not exist")))
            .collect(),
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                .collect();
            vec![format!(
                "{subject} must be one of the following values: {}",
                allowed.join(", ")
            )]
        }
        ValidationErrorKind::MaxLength { limit } => vec![format!(
            "{subject} must be shorter than or equal to {limit} characters"
        )],
        ValidationErrorKind::MinLength { limit } => vec![format!(
            "{subject} must be longer than or equal to {limit} characters"
        )],
        ValidationErrorKind::Maximum { limit } => {
            vec![format!("{subject} must not be greater than {limit}")]
        }
        ValidationErrorKind::Minimum { limit } => {
            vec![format!("{subject} must not be less than {limit}")]
        }
        ValidationErrorKind::Required { property } => vec![prefixed(
            &path,
            &format!(
                "{} should not be empty",
                property.as_str().unwrap_or_default()
            ),
        )],
        ValidationErrorKind::Type { kind } => {
            let kind = match kind {
                TypeKind::Single(kind) => kind.to_string(),
                TypeKind::Multiple(kinds) => kinds
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            vec![format!("{subject} must be a {kind}")]
        }
        ValidationErrorKind::Format { format } if format == "date-time" => {
            vec![format!("{subject} must be a valid ISO 8601 date string")]
        }
        ValidationErrorKind::Format { format } => vec![format!("{subject} must be a {format}")],
        // A union that matched no branch: the branch that came closest says why.
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match context.iter().min_by_key(|branch| branch.len()) {
                Some(closest) if !closest.is_empty() => closest.iter().flat_map(describe).collect(),
                _ => vec![format!("{subject} matches none of its allowed shapes")],
            }
        }
        _ => vec![format!("{subject}: {error}")],
    }
}

/// What a fake's answers said that its provider's contract does not: each entry is a test
/// failure waiting to be reported ([`Drift::take`]).
#[derive(Clone, Default)]
pub struct Drift(Arc<Mutex<Vec<String>>>);

impl Drift {
    fn record(&self, what: impl IntoIterator<Item = String>) {
        let mut drift = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for line in what {
            tracing::error!(%line, "a fake stepped off its provider's contract");
            drift.push(line);
        }
    }

    /// Everything recorded so far, emptied.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// How a fake holds requests and answers to its contract.
#[derive(Clone)]
pub(crate) struct Enforcement {
    pub contract: fn() -> &'static Contract,
    /// The provider's own refusal of a request its contract does not allow (Vapi's 400);
    /// `None` where the provider ignores what it does not know (Twilio's query parameters),
    /// which is then drift of our client's, recorded.
    pub refuse: Option<fn(Vec<String>) -> axum::response::Response>,
    pub drift: Drift,
}

const BODY_LIMIT: usize = 4 << 20;

/// Middleware: a request the contract does not allow is refused (or recorded); the handler's
/// answer, when it is a success, is checked against the route's response schema.
pub(crate) async fn enforce(
    axum::extract::State(rules): axum::extract::State<Enforcement>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::{Body, to_bytes};
    use axum::response::IntoResponse;

    let contract = (rules.contract)();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if !contract.has_route(&method, &path) {
        rules.drift.record([format!(
            "the fake serves {method} {path}, which the contract does not have"
        )]);
    } else {
        // A body that is not JSON is the handler's to refuse, in the provider's words.
        let json = serde_json::from_slice::<Value>(&bytes).ok();
        let errors = contract.check_request(&method, &path, query.as_deref(), json.as_ref());
        if !errors.is_empty() {
            match rules.refuse {
                Some(refuse) => return refuse(errors),
                None => rules.drift.record(
                    errors
                        .into_iter()
                        .map(|e| format!("{method} {path}: the request breaks the contract: {e}")),
                ),
            }
        }
    }
    let response = next
        .run(axum::extract::Request::from_parts(parts, Body::from(bytes)))
        .await;
    if !response.status().is_success() {
        return response;
    }
    let status = response.status().as_u16();
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(answer) => rules
            .drift
            .record(contract.check_response(&method, &path, status, &answer)),
        Err(_) if bytes.is_empty() => {}
        Err(e) => rules.drift.record([format!(
            "{method} {path} answered a body that is not JSON: {e}"
        )]),
    }
    axum::response::Response::from_parts(parts, Body::from(bytes))
}
