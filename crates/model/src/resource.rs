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
}

/// A resource field type and the patch slot that changes it: an optional value can be
/// cleared ([`Change`]); a value that always exists (a flag, a list, the plan) is replaced or
/// kept (`Option`).
pub trait Patchable: Sized {
    type Slot: PatchSlot<Stored = Self>;
}

impl<T: Clone + PartialEq> PatchSlot for Change<T> {
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
}

impl<T: Clone + PartialEq> PatchSlot for Option<T> {
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
}

impl<T: Clone + PartialEq> Patchable for Option<T> {
    type Slot = Change<T>;
}

/// Types that always hold a value: a patch replaces them whole or keeps them.
macro_rules! replaced_whole {
    ($($ty:ty),+ $(,)?) => {
        $(impl Patchable for $ty { type Slot = Option<$ty>; })+
    };
}

replaced_whole!(bool, crate::Plan, crate::Seats);

impl<T: Clone + PartialEq> Patchable for Vec<T> {
    type Slot = Option<Vec<T>>;
}

/// Declares a resource and its patch. Each field reads as
/// `name: StoredType = reader(args…)`, where `reader` is an `ObjectReader` method called with
/// the field's name first (`clearable(Label::parse)`, `list(MAX, Slug::parse)`, `bool()`…).
macro_rules! resource {
    (
        $(#[$meta:meta])*
        pub struct $resource:ident;
        $(#[$patch_meta:meta])*
        pub struct $patch:ident;
        {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty = $read:ident ( $($arg:expr),* $(,)? )
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

        impl $patch {
            /// Every field, as the API names them.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            pub fn from_json(body: &serde_json::Value) -> Result<Self, crate::FieldErrors> {
                let mut r = crate::fields::ObjectReader::new(body, Self::FIELDS)?;
                let patch = Self {
                    $( $field: r.$read(stringify!($field) $(, $arg)*), )+
                };
                r.finish(patch)
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
            pub fn apply(&mut self, patch: &$patch) {
                $( crate::resource::PatchSlot::apply_to(&patch.$field, &mut self.$field); )+
            }
        }
    };
}
