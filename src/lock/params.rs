//! A design's own parameters: what a design declares ([`Param`]), the values a configuration
//! holds ([`Params`]), and the text `--param NAME=VALUE` gives ([`ParamSetting`]).
//!
//! A parameter travels with the configuration like any built-in setting: `--json` writes it,
//! `--config` reads it back, and a sweep lists its values (`--param grace=1ms,grace=2ms`). A
//! design reads it with [`Param::duration_in`] or [`Param::number_in`], which give the declared
//! default when the configuration does not set it (as in a configuration saved before the design
//! had the parameter).

use super::config::LockConfig;
use crate::input::Quoted;
use crate::time::{Exact, Nanos, parse_duration};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A parameter's value: a duration or a number, of the kind its declaration's default is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue {
    /// A duration, written as `--lease` takes it (`2ms`).
    Duration(Nanos),
    /// A number (`0.5`).
    Number(f64),
}

impl ParamValue {
    /// Parses `text` as a value of the same kind as `self`.
    pub fn parse_like(self, text: &str) -> Result<ParamValue, String> {
        match self {
            ParamValue::Duration(_) => {
                parse_duration(text).map(ParamValue::Duration).map_err(|e| e.to_string())
            }
            ParamValue::Number(_) => text
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(ParamValue::Number)
                .ok_or_else(|| format!("{} is not a number", Quoted(text))),
        }
    }

    fn kind(self) -> &'static str {
        match self {
            ParamValue::Duration(_) => "a duration",
            ParamValue::Number(_) => "a number",
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParamValue::Duration(n) => write!(f, "{}", Exact(n)),
            ParamValue::Number(x) => write!(f, "{x}"),
        }
    }
}

impl Serialize for ParamValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            ParamValue::Duration(_) => s.collect_str(self),
            ParamValue::Number(x) => s.serialize_f64(x),
        }
    }
}

/// A duration is written as text, a number as a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Written {
    Text(String),
    Number(f64),
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Written::deserialize(d)? {
            Written::Text(text) => {
                parse_duration(&text).map(ParamValue::Duration).map_err(serde::de::Error::custom)
            }
            Written::Number(x) => Ok(ParamValue::Number(x)),
        }
    }
}

/// A parameter a design declares ([`LockDesign::params`](super::LockDesign::params)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// The name `--param NAME=VALUE` and the configuration use: lowercase words joined by `-`.
    pub name: &'static str,
    /// One line for `faultline lock --help`.
    pub doc: &'static str,
    /// The value when the configuration sets none; its kind is the parameter's.
    pub default: ParamValue,
}

impl Param {
    /// A duration parameter.
    pub const fn duration(name: &'static str, doc: &'static str, default: Nanos) -> Param {
        Param { name, doc, default: ParamValue::Duration(default) }
    }

    /// A number parameter.
    pub const fn number(name: &'static str, doc: &'static str, default: f64) -> Param {
        Param { name, doc, default: ParamValue::Number(default) }
    }

    /// Its value in `cfg`: the one set, or the default.
    pub fn value_in(&self, cfg: &LockConfig) -> ParamValue {
        cfg.params.get(self.name).unwrap_or(self.default)
    }

    /// Its value in `cfg`, for a duration parameter. Validation keeps every value of the declared
    /// kind, so asking a number parameter for a duration is a bug in the design, and panics.
    pub fn duration_in(&self, cfg: &LockConfig) -> Nanos {
        match self.value_in(cfg) {
            ParamValue::Duration(n) => n,
            ParamValue::Number(_) => panic!("parameter {} is declared a number, not a duration", self.name),
        }
    }

    /// Its value in `cfg`, for a number parameter (panics like [`duration_in`](Self::duration_in)).
    pub fn number_in(&self, cfg: &LockConfig) -> f64 {
        match self.value_in(cfg) {
            ParamValue::Number(x) => x,
            ParamValue::Duration(_) => panic!("parameter {} is declared a duration, not a number", self.name),
        }
    }

    /// Its line in `faultline lock --help`.
    pub fn help(&self) -> String {
        let kind = match self.default {
            ParamValue::Duration(_) => "DUR",
            ParamValue::Number(_) => "X",
        };
        format!("--param {}={kind}: {} [default: {}]", self.name, self.doc, self.default)
    }
}

/// The values a configuration holds for its design's parameters, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(BTreeMap<String, ParamValue>);

impl Params {
    /// The declared parameters at their defaults.
    pub fn defaults(declared: &[Param]) -> Params {
        Params(declared.iter().map(|p| (p.name.to_string(), p.default)).collect())
    }

    /// True when it holds no value (a design without parameters).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<ParamValue> {
        self.0.get(name).copied()
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &str, value: ParamValue) {
        self.0.insert(name.to_string(), value);
    }

    /// These values carried to another design, which declares `declared`: a value changed from
    /// `was` (the old design's defaults) is kept where the new design declares a parameter of
    /// that name and kind; every other parameter takes the new design's default.
    pub fn carry(&self, was: &Params, declared: &[Param]) -> Params {
        let mut params = Params::defaults(declared);
        for (name, &value) in &self.0 {
            let changed = was.get(name) != Some(value);
            if changed && declared.iter().any(|p| p.name == name && same_kind(p.default, value)) {
                params.set(name, value);
            }
        }
        params
    }

    /// The first value that `declared` does not allow: a name it lacks, or a value of another
    /// kind than the declaration's.
    pub fn check(&self, declared: &[Param]) -> Result<(), ParamError> {
        for (name, value) in &self.0 {
            let param = declared.iter().find(|p| p.name == name).ok_or_else(|| unknown(name, declared))?;
            if !same_kind(*value, param.default) {
                return Err(ParamError::Kind {
                    name: name.clone(),
                    kind: param.default.kind(),
                    got: value.to_string(),
                });
            }
        }
        Ok(())
    }
}

fn same_kind(a: ParamValue, b: ParamValue) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

fn unknown(name: &str, declared: &[Param]) -> ParamError {
    let names: Vec<&str> = declared.iter().map(|p| p.name).collect();
    ParamError::Unknown { name: name.to_string(), known: names.join(", ") }
}

/// What is wrong with a parameter or its value; [`ConfigError::Param`](super::ConfigError::Param)
/// puts the design's name in front ("the grace-lease design has no parameter ...").
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A name the design does not declare.
    #[error("has no parameter {} (it has {known})", Quoted(.name))]
    Unknown {
        /// The name given.
        name: String,
        /// The names it declares.
        known: String,
    },
    /// A value of the wrong kind, or text that does not parse as the declared kind.
    #[error("takes {kind} for {name}: {got}")]
    Kind {
        /// The parameter.
        name: String,
        /// What it takes.
        kind: &'static str,
        /// What was given, or why it did not parse.
        got: String,
    },
}

/// Parses `text` as the value of `name` among `declared`.
pub fn parse(declared: &[Param], name: &str, text: &str) -> Result<ParamValue, ParamError> {
    let param = declared.iter().find(|p| p.name == name).ok_or_else(|| unknown(name, declared))?;
    param.default.parse_like(text).map_err(|got| ParamError::Kind {
        name: name.to_string(),
        kind: param.default.kind(),
        got,
    })
}

/// `--param NAME=VALUE` as given, before the design it applies to is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSetting {
    /// The parameter's name.
    pub name: String,
    /// Its value's text.
    pub value: String,
}

impl ParamSetting {
    /// Parses `NAME=VALUE`, with VALUE a duration or a number. One parameter per `--param`, so
    /// that in a sweep `--param grace=1ms,grace=2ms` is a list of two values.
    pub fn parse(text: &str) -> Result<ParamSetting, String> {
        let usage = || format!("{} is not a parameter: expected NAME=VALUE, e.g. grace=2ms", Quoted(text));
        let (name, value) = text.split_once('=').ok_or_else(usage)?;
        if name.is_empty() || value.is_empty() {
            return Err(usage());
        }
        if parse_duration(value).is_err() && !value.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(format!(
                "{}: a parameter's value is a duration or a number (a sweep lists values: {name}=1ms,{name}=2ms)",
                Quoted(text)
            ));
        }
        Ok(ParamSetting { name: name.to_string(), value: value.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MS;

    const GRACE: Param = Param::duration("grace", "a grace", 5 * MS);
    const SHARE: Param = Param::number("share", "a share", 0.5);

    #[test]
    fn values_parse_as_their_declared_kind_and_read_back() {
        let declared = [GRACE, SHARE];
        assert_eq!(parse(&declared, "grace", "2ms"), Ok(ParamValue::Duration(2 * MS)));
        assert_eq!(parse(&declared, "share", "0.25"), Ok(ParamValue::Number(0.25)));
        assert!(matches!(parse(&declared, "grace", "0.25"), Err(ParamError::Kind { .. })));
        assert!(matches!(parse(&declared, "grase", "2ms"), Err(ParamError::Unknown { .. })));
        let mut params = Params::defaults(&declared);
        params.set("grace", ParamValue::Duration(1_500_000));
        let json = serde_json::to_string(&params).unwrap();
        assert_eq!(json, r#"{"grace":"1.5ms","share":0.5}"#);
        let back: Params = serde_json::from_str(&json).unwrap();
        assert_eq!(back, params);
        assert_eq!(back.check(&declared), Ok(()));
        assert!(back.check(&[GRACE]).is_err(), "share is not declared");
        let swapped: Params = serde_json::from_str(r#"{"grace":2.0}"#).unwrap();
        assert!(matches!(swapped.check(&declared), Err(ParamError::Kind { .. })));
    }

    #[test]
    fn a_setting_is_one_name_and_one_value() {
        assert_eq!(
            ParamSetting::parse("grace=2ms"),
            Ok(ParamSetting { name: "grace".into(), value: "2ms".into() })
        );
        for bad in ["grace", "=2ms", "grace=", "grace=1ms..8ms:4", "grace=fast"] {
            assert!(ParamSetting::parse(bad).is_err(), "{bad}");
        }
    }
}
