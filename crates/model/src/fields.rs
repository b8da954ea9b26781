//! Reading a JSON object field by field, so one request reports every bad field at once and
//! a wrong type is a 422 naming the field rather than a generic parse failure.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::values::storable;
use crate::violation::{FieldError, FieldErrors, Violation};

/// What a PATCH does to one clearable field: absent or `null` keeps it, `""` clears it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }

    /// Applies this change to a stored optional value.
    pub fn apply_to(&self, slot: &mut Option<T>)
    where
        T: Clone,
    {
        match self {
            Change::Keep => {}
            Change::Clear => *slot = None,
            Change::Set(value) => *slot = Some(value.clone()),
        }
    }

    /// `later` wins unless it keeps: how queued edits to one field coalesce.
    pub fn then(self, later: Change<T>) -> Change<T> {
        match later {
            Change::Keep => self,
            other => other,
        }
    }

    /// What is still unsent once `sent` reached the server: nothing if this is what was
    /// sent, else this newer change.
    pub fn unsent_after(self, sent: &Change<T>) -> Change<T>
    where
        T: PartialEq,
    {
        if &self == sent { Change::Keep } else { self }
    }
}

/// `Clear` travels as `""`, the API's way to clear a text field.
impl<T: Serialize> Serialize for Change<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Change::Keep => serializer.serialize_none(),
            Change::Clear => serializer.serialize_str(""),
            Change::Set(value) => value.serialize(serializer),
        }
    }
}

pub(crate) struct ObjectReader<'a> {
    object: &'a Map<String, Value>,
    prefix: String,
    pub(crate) errors: Vec<FieldError>,
}

impl<'a> ObjectReader<'a> {
    /// Reads `body` as an object whose keys must all be in `known`.
    pub(crate) fn new(body: &'a Value, known: &[&str]) -> Result<Self, FieldErrors> {
        Self::nested(body, known, "", "body")
    }

    pub(crate) fn nested(
        value: &'a Value,
        known: &[&str],
        prefix: &str,
        name: &str,
    ) -> Result<Self, FieldErrors> {
        let Value::Object(object) = value else {
            return Err(FieldErrors::single(
                name,
                Violation::WrongType {
                    expected: "a JSON object",
                },
            ));
        };
        let errors = object
            .keys()
            .filter(|key| !known.contains(&key.as_str()))
            .map(|key| FieldError::new(format!("{prefix}{key}"), Violation::UnknownField))
            .collect();
        Ok(Self {
            object,
            prefix: prefix.to_owned(),
            errors,
        })
    }

    fn name(&self, field: &str) -> String {
        format!("{}{}", self.prefix, field)
    }

    pub(crate) fn fail(&mut self, field: &str, violation: Violation) {
        let name = self.name(field);
        self.errors.push(FieldError::new(name, violation));
    }

    pub(crate) fn absorb(&mut self, errors: FieldErrors) {
        self.errors.extend(errors.0);
    }

    /// The value, unless absent or `null`.
    pub(crate) fn value(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|v| !v.is_null())
    }

    pub(crate) fn string(&mut self, field: &str) -> Option<&'a str> {
        match self.value(field)? {
            Value::String(s) if storable(s).is_err() => {
                self.fail(field, Violation::ContainsNul);
                None
            }
            Value::String(s) => Some(s.as_str()),
            _ => {
                self.fail(
                    field,
                    Violation::WrongType {
                        expected: "a string",
                    },
                );
                None
            }
        }
    }

    pub(crate) fn required_string(&mut self, field: &str) -> Option<&'a str> {
        if self.value(field).is_none() {
            self.fail(field, Violation::Required);
            return None;
        }
        self.string(field)
    }

    /// A parsed optional string where `""` means "none".
    pub(crate) fn optional<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Option<T> {
        match self.clearable(field, parse) {
            Change::Set(value) => Some(value),
            Change::Keep | Change::Clear => None,
        }
    }

    pub(crate) fn required<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Option<T> {
        let raw = self.required_string(field)?;
        self.check(field, parse(raw))
    }

    pub(crate) fn clearable<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Change<T> {
        match self.string(field) {
            None => Change::Keep,
            Some(raw) if raw.trim().is_empty() => Change::Clear,
            Some(raw) => self
                .check(field, parse(raw))
                .map_or(Change::Keep, Change::Set),
        }
    }

    pub(crate) fn bool(&mut self, field: &str) -> Option<bool> {
        match self.value(field)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.fail(
                    field,
                    Violation::WrongType {
                        expected: "true or false",
                    },
                );
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, field: &str) -> Option<i64> {
        match self.value(field)? {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            Value::Number(n) if n.is_u64() => Some(i64::MAX),
            // JSON has one number type: `157.0` is the whole number JSON Schema says it is.
            Value::Number(n)
                if n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.is_finite()) =>
            {
                n.as_f64()
                    .map(|f| f.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
            }
            _ => {
                self.fail(
                    field,
                    Violation::WrongType {
                        expected: "a whole number",
                    },
                );
                None
            }
        }
    }

    pub(crate) fn number(&mut self, field: &str) -> Option<f64> {
        match self.value(field)? {
            Value::Number(n) => n.as_f64(),
            _ => {
                self.fail(
                    field,
                    Violation::WrongType {
                        expected: "a number",
                    },
                );
                None
            }
        }
    }

    /// A list of unique parsed strings; `[]` is a valid (clearing) value.
    pub(crate) fn list<T: PartialEq>(
        &mut self,
        field: &str,
        max_items: usize,
        parse: impl Fn(&str) -> Result<T, Violation>,
    ) -> Option<Vec<T>> {
        let items = match self.value(field)? {
            Value::Array(items) => items,
            _ => {
                self.fail(
                    field,
                    Violation::WrongType {
                        expected: "a list of strings",
                    },
                );
                return None;
            }
        };
        if items.len() > max_items {
            self.fail(field, Violation::TooManyItems { max: max_items });
            return None;
        }
        let mut parsed = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(raw) = item else {
                self.fail(
                    field,
                    Violation::WrongType {
                        expected: "a list of strings",
                    },
                );
                return None;
            };
            let value = self.check(field, storable(raw).and_then(|()| parse(raw)))?;
            if parsed.contains(&value) {
                self.fail(field, Violation::DuplicateItem);
                return None;
            }
            parsed.push(value);
        }
        Some(parsed)
    }

    /// A string that must parse (no clearing: the field always has a value).
    pub(crate) fn parsed<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Option<T> {
        let raw = self.string(field)?;
        self.check(field, parse(raw))
    }

    pub(crate) fn whole_number<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(i64) -> Result<T, Violation>,
    ) -> Option<T> {
        let n = self.integer(field)?;
        self.check(field, parse(n))
    }

    pub(crate) fn check<T>(&mut self, field: &str, result: Result<T, Violation>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(violation) => {
                self.fail(field, violation);
                None
            }
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(FieldErrors(self.errors))
        }
    }
}
