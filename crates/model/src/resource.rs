//! A resource the wizard edits and its PATCH body, declared once ([`resource!`]): each field
//! is one line naming its stored type and how a request reads it, and everything that walks
//! the fields (the patch type, its field list, reading, applying, coalescing, acknowledging,
//! counting, restricting) is generated from that line, so no list of fields can fall behind
//! another and nothing needs JSON as reflection.

use crate::fields::Change;

/// What a patch carries for one field.
pub trait PatchSlot: Default + PartialEq {
    /// The field's type in the resource.
    type Stored;
    /// Says nothing about the field (left out of the JSON body).
    fn is_keep(&self) -> bool;
    /// `later` wins unless it keeps: how queued edits to one field coalesce.
    fn then(self, later: Self) -> Self;
    /// What is still unsent once `sent` reached the server: nothing if this is what was
    /// sent, else this newer change.
    fn unsent_after(self, sent: &Self) -> Self;
    fn apply_to(&self, stored: &mut Self::Stored);
    /// What the change writes into a stored copy of the resource (a database column): the new
    /// value, or `null` for a cleared one.
    fn stored(&self) -> serde_json::Value;
}

/// A resource field type and the patch slot that changes it: an optional value can be
/// cleared ([`Change`]); a value that always exists (a flag, a list, the plan) is replaced or
/// kept (`Option`).
pub trait Patchable: Sized {
    type Slot: PatchSlot<Stored = Self>;
}

impl<T: Clone + PartialEq + serde::Serialize> PatchSlot for Change<T> {
    type Stored = Option<T>;

    fn is_keep(&self) -> bool {
        Change::is_keep(self)
    }

    fn then(self, later: Self) -> Self {
        Change::then(self, later)
    }

    fn unsent_after(self, sent: &Self) -> Self {
        Change::unsent_after(self, sent)
    }

    fn apply_to(&self, stored: &mut Option<T>) {
        Change::apply_to(self, stored);
    }

    fn stored(&self) -> serde_json::Value {
        match self {
            Change::Set(value) => serde_json::to_value(value).unwrap_or_default(),
            Change::Keep | Change::Clear => serde_json::Value::Null,
        }
    }
}

impl<T: Clone + PartialEq + serde::Serialize> PatchSlot for Option<T> {
    type Stored = T;

    fn is_keep(&self) -> bool {
        self.is_none()
    }

    fn then(self, later: Self) -> Self {
        later.or(self)
    }

    fn unsent_after(self, sent: &Self) -> Self {
        if &self == sent { None } else { self }
    }

    fn apply_to(&self, stored: &mut T) {
        if let Some(value) = self {
            *stored = value.clone();
        }
    }

    fn stored(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl<T: Clone + PartialEq + serde::Serialize> Patchable for Option<T> {
    type Slot = Change<T>;
}

/// Whether a field read by `reader` may be cleared (an optional value) rather than only
/// replaced.
pub const fn clears(reader: &str) -> bool {
    let (a, b) = (reader.as_bytes(), b"clearable");
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Types that always hold a value: a patch replaces them whole or keeps them.
macro_rules! replaced_whole {
    ($($ty:ty),+ $(,)?) => {
        $(impl Patchable for $ty { type Slot = Option<$ty>; })+
    };
}

replaced_whole!(bool, crate::Plan, crate::Seats);

impl<T: Clone + PartialEq + serde::Serialize> Patchable for Vec<T> {
    type Slot = Option<Vec<T>>;
}

/// What a field accepts, as the rules of its reader say it: how the server's OpenAPI document
/// describes each field without listing them again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Free text, not blank, at most `max` characters.
    Text {
        max: usize,
    },
    /// A name: trimmed, then 1 to `max` characters.
    Name {
        max: usize,
    },
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// An IANA time zone name.
    Timezone,
    Email,
    /// E.164: `+` then 7 to 15 digits, no leading 0.
    PhoneNumber,
    Bool,
    /// At most `max` unique items, each an ISO 639-1 code.
    Languages {
        max: usize,
    },
    /// At most `max` unique slugs (`[a-z0-9_-]{1,40}`).
    Slugs {
        max: usize,
    },
    /// A whole number from `min` to `max`.
    WholeNumber {
        min: i64,
        max: i64,
    },
}

/// Declares a resource and its patch. Each field reads as
/// `name: StoredType = reader(args…) as Shape`, where `reader` is an `ObjectReader` method
/// called with the field's name first (`clearable(Label::parse)`, `list(MAX, Slug::parse)`,
/// `bool()`…) and the shape says what it accepts, for the documents that describe it.
macro_rules! resource {
    (
        $(#[$meta:meta])*
        pub struct $resource:ident;
        $(#[$patch_meta:meta])*
        pub struct $patch:ident;
        pub enum $field_enum:ident;
        {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty = $read:ident ( $($arg:expr),* $(,)? ) as $shape:expr
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $resource {
            $( $(#[$field_meta])* pub $field: $ty, )+
        }

        $(#[$patch_meta])*
        pub struct $patch {
            $(
                #[serde(skip_serializing_if = "crate::resource::PatchSlot::is_keep")]
                pub $field: <$ty as crate::resource::Patchable>::Slot,
            )+
        }

        /// One field of the resource, named as the API names it: how the window says which
        /// field an edit is for (a misspelt name does not compile).
        #[allow(non_camel_case_types)]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum $field_enum {
            $( $field, )+
        }

        impl $field_enum {
            pub const ALL: &'static [$field_enum] = &[$($field_enum::$field),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( $field_enum::$field => stringify!($field), )+
                }
            }

            /// The locale key of the field's label (`field.<name>`).
            pub fn label_key(self) -> &'static str {
                match self {
                    $( $field_enum::$field => concat!("field.", stringify!($field)), )+
                }
            }
        }

        impl $patch {
            /// Every field, as the API names them.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            /// Every field with what it accepts, and whether `""` (or `null`) clears it.
            pub const SHAPES: &'static [(&'static str, crate::resource::Shape, bool)] = &[
                $( (stringify!($field), $shape, crate::resource::clears(stringify!($read))), )+
            ];

            /// A patch of one field, its value as the window's control holds it, judged by the
            /// rules. A whole number typed into a text box arrives as text: it is read as the
            /// number it holds, so the rule judges its range (other text stays text, and is
            /// refused as not a whole number).
            pub fn of(
                field: $field_enum,
                value: &serde_json::Value,
            ) -> Result<Self, crate::FieldErrors> {
                let whole_number = Self::SHAPES.iter().any(|(name, shape, _)| {
                    *name == field.as_str()
                        && matches!(shape, crate::resource::Shape::WholeNumber { .. })
                });
                let value = match value {
                    serde_json::Value::String(text) if whole_number => text
                        .trim()
                        .parse::<i64>()
                        .map_or_else(|_| value.clone(), serde_json::Value::from),
                    _ => value.clone(),
                };
                let mut body = serde_json::Map::new();
                body.insert(field.as_str().to_owned(), value);
                Self::from_json(&serde_json::Value::Object(body))
            }

            pub fn from_json(body: &serde_json::Value) -> Result<Self, crate::FieldErrors> {
                let (patch, errors) = Self::from_json_lenient(body)?;
                if errors.is_empty() {
                    Ok(patch)
                } else {
                    Err(crate::FieldErrors(errors))
                }
            }

            /// Every field that passes its rule, and what was wrong with the others (which
            /// the patch keeps as they are). Only a body that is not an object of known
            /// fields is refused whole.
            pub fn from_json_lenient(
                body: &serde_json::Value,
            ) -> Result<(Self, Vec<crate::FieldError>), crate::FieldErrors> {
                let mut r = crate::fields::ObjectReader::new(body, Self::FIELDS)?;
                let patch = Self {
                    $( $field: r.$read(stringify!($field) $(, $arg)*), )+
                };
                Ok((patch, r.errors))
            }

            /// The fields this patch sets or clears as they are stored (a column each, named
            /// as the field): the value, or `null` for a cleared one.
            pub fn to_stored(&self) -> serde_json::Map<String, serde_json::Value> {
                let mut columns = serde_json::Map::new();
                $(
                    if !crate::resource::PatchSlot::is_keep(&self.$field) {
                        columns.insert(
                            stringify!($field).to_owned(),
                            crate::resource::PatchSlot::stored(&self.$field),
                        );
                    }
                )+
                columns
            }

            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// How many fields this patch sets or clears.
            pub fn len(&self) -> usize {
                0 $( + usize::from(!crate::resource::PatchSlot::is_keep(&self.$field)) )+
            }

            /// The fields this patch sets or clears.
            pub fn field_names(&self) -> Vec<&'static str> {
                let mut names = Vec::new();
                $(
                    if !crate::resource::PatchSlot::is_keep(&self.$field) {
                        names.push(stringify!($field));
                    }
                )+
                names
            }

            /// The fields this patch sets or clears, as fields of the window.
            pub fn fields(&self) -> Vec<crate::FieldName> {
                let mut fields = Vec::new();
                $(
                    if !crate::resource::PatchSlot::is_keep(&self.$field) {
                        fields.push(crate::FieldName::from($field_enum::$field));
                    }
                )+
                fields
            }

            /// This patch restricted to `fields`.
            pub fn only(&self, fields: &[&str]) -> Self {
                Self {
                    $(
                        $field: if fields.contains(&stringify!($field)) {
                            self.$field.clone()
                        } else {
                            Default::default()
                        },
                    )+
                }
            }

            /// One patch with the latest value of every field: how an offline queue collapses.
            pub fn then(self, later: Self) -> Self {
                Self {
                    $( $field: crate::resource::PatchSlot::then(self.$field, later.$field), )+
                }
            }

            /// What is left to send once `sent` was accepted while newer edits may have
            /// arrived.
            pub fn unsent_after(self, sent: &Self) -> Self {
                Self {
                    $(
                        $field: crate::resource::PatchSlot::unsent_after(
                            self.$field,
                            &sent.$field,
                        ),
                    )+
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $patch {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let body = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                Self::from_json(&body).map_err(serde::de::Error::custom)
            }
        }

        impl $resource {
            /// The fields whose values differ between `self` and `other`: what another
            /// computer changed, once its copy is merged here.
            pub fn changed_fields(&self, other: &Self) -> Vec<$field_enum> {
                let mut changed = Vec::new();
                $(
                    if self.$field != other.$field {
                        changed.push($field_enum::$field);
                    }
                )+
                changed
            }

            /// Takes the value of each of `fields` from `other`.
            pub fn copy_fields(&mut self, other: &Self, fields: &[&str]) {
                $(
                    if fields.contains(&stringify!($field)) {
                        self.$field = other.$field.clone();
                    }
                )+
            }

            pub fn apply(&mut self, patch: &$patch) {
                $( crate::resource::PatchSlot::apply_to(&patch.$field, &mut self.$field); )+
            }

            /// The resource from a stored copy (a JSON object of its fields, one per column):
            /// a value that no longer passes its rule (edited by hand, or a rule tightened
            /// since) reads as empty and is reported, rather than failing the whole read.
            pub fn from_stored(stored: &serde_json::Value) -> (Self, Vec<crate::FieldError>) {
                let mut resource = Self::default();
                match $patch::from_json_lenient(stored) {
                    Ok((patch, errors)) => {
                        resource.apply(&patch);
                        (resource, errors)
                    }
                    Err(errors) => (resource, errors.0),
                }
            }
        }
    };
}
