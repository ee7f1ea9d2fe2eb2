//! A sweep's output: one row per grid point and repetition, written as CSV and JSON.
//!
//! A row is text cells under a header. Everything that produces or reads rows goes through this
//! one form, so a table written by one run, by shards merged later, or read back for a resume or a
//! plot is the same bytes: the JSON beside a CSV is made from the CSV's cells (numbers and
//! booleans recognised from their text), never from the values the cells were made from, with
//! the sweep's identity before them ([`super::identity`]).
//! Files are written to a temporary name beside the target and renamed into place, so a reader
//! never sees half a file and a failure leaves none behind.

use super::identity::{self, Identity};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The key of the rows in a sweep's JSON.
pub const ROWS: &str = "rows";

/// The columns every sweep's rows start with.
pub const POINT: &str = "point";
/// The repetition of the point, from 0.
pub const REPETITION: &str = "repetition";

/// Header and rows of text cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header, in (point, repetition) order.
    pub rows: Vec<Vec<String>>,
}

/// Why a table could not be read, merged or written.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: io::Error,
    },
    /// The file is not a sweep's CSV.
    #[error("{path}: not a sweep's CSV: {why}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// Shards of different sweeps.
    #[error("{path} has other columns than {first}: shards of different sweeps cannot be merged")]
    Mismatch {
        /// The file that differs.
        path: String,
        /// The first file.
        first: String,
    },
    /// Rows missing from the merged table: a shard was left out.
    #[error("point {point} repetition {repetition} is in no shard: are all N shards of the sweep given?")]
    Missing {
        /// The point.
        point: u64,
        /// The repetition.
        repetition: u64,
    },
    /// The files a table is to be written to cannot be: checked before anything is written.
    #[error("cannot write {path}: {why}")]
    Target {
        /// The CSV named.
        path: String,
        /// What is in the way.
        why: String,
    },
    /// The same row in two shards.
    #[error("point {point} repetition {repetition} appears twice: the shards overlap")]
    Duplicate {
        /// The point.
        point: String,
        /// The repetition.
        repetition: String,
    },
}

impl Table {
    /// An empty table with `header`.
    pub fn new(header: Vec<String>) -> Self {
        Table { header, rows: Vec::new() }
    }

    /// Sorts the rows into (point, repetition) order and refuses a row that appears twice.
    pub fn sort(&mut self) -> Result<(), TableError> {
        let key = |row: &Vec<String>| -> (u64, u64) {
            let number = |i: usize| row.get(i).and_then(|c| c.parse().ok()).unwrap_or(u64::MAX);
            (number(0), number(1))
        };
        self.rows.sort_by_key(key);
        if let Some(w) = self.rows.windows(2).find(|w| key(&w[0]) == key(&w[1])) {
            return Err(TableError::Duplicate { point: w[0][0].clone(), repetition: w[0][1].clone() });
        }
        Ok(())
    }

    /// The table as CSV text.
    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let records = std::iter::once(&self.header).chain(&self.rows);
        for record in records {
            w.write_record(record).expect("writing CSV to memory cannot fail");
        }
        w.into_inner().expect("flushing CSV to memory cannot fail")
    }

    /// The table as JSON: an object with the sweep's identity under `sweep` (when known) and the
    /// rows under `rows`, an array of objects, one per row, keyed by column, each cell a number
    /// or boolean when its text is one, `null` when empty, else a string.
    pub fn json(&self, sweep: Option<&Identity>) -> Vec<u8> {
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|row| {
                serde_json::Value::Object(
                    self.header.iter().cloned().zip(row.iter().map(|c| infer(c))).collect(),
                )
            })
            .collect();
        let mut document = serde_json::Map::new();
        if let Some(sweep) = sweep {
            document.insert(identity::KEY.into(), sweep.to_json());
        }
        document.insert(ROWS.into(), rows.into());
        let mut text = serde_json::to_vec_pretty(&document).expect("JSON values serialise");
        text.push(b'\n');
        text
    }

    /// Fails unless a table can be written to `path` (CSV) and the JSON beside it: the directory
    /// exists, and neither file is a directory or the other. Checked before a sweep starts, so
    /// that a bad `--out` costs nothing and leaves nothing.
    pub fn check_target(path: &Path) -> Result<(), TableError> {
        let json = json_path(path);
        let refuse = |why: String| Err(TableError::Target { path: path.display().to_string(), why });
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if json == path {
            return refuse("the CSV must not end in .json, which names the JSON beside it".into());
        }
        if !dir.is_dir() {
            return refuse(format!("there is no directory {}", dir.display()));
        }
        for target in [path, json.as_path()] {
            if target.is_dir() {
                return refuse(format!("{} is a directory; name the CSV file to write", target.display()));
            }
        }
        Ok(())
    }

    /// Writes `path` (CSV) and the JSON beside it, without an identity: a table that is no
    /// sweep's, or whose sweep is not known.
    pub fn write(&self, path: &Path) -> Result<(), TableError> {
        self.write_as(path, None)
    }

    /// Writes `path` (CSV) and the JSON beside it (same name, `.json`, with `sweep` in it) as a
    /// pair: both are written to temporary files first, and renamed into place only once both
    /// are whole.
    pub fn write_as(&self, path: &Path, sweep: Option<&Identity>) -> Result<(), TableError> {
        Table::check_target(path)?;
        let json = json_path(path);
        let csv_tmp = temporary(path, &self.csv())?;
        let json_tmp = match temporary(&json, &self.json(sweep)) {
            Ok(t) => t,
            Err(e) => {
                let _ = std::fs::remove_file(&csv_tmp);
                return Err(e);
            }
        };
        // The JSON first: should the CSV then fail, the JSON is taken back, so that no half of a
        // pair is left (a JSON beside no CSV is nobody's output).
        if let Err(source) = std::fs::rename(&json_tmp, &json) {
            let _ = std::fs::remove_file(&csv_tmp);
            let _ = std::fs::remove_file(&json_tmp);
            return Err(TableError::Io { path: json.display().to_string(), source });
        }
        if let Err(source) = std::fs::rename(&csv_tmp, path) {
            let _ = std::fs::remove_file(&csv_tmp);
            let _ = std::fs::remove_file(&json);
            return Err(TableError::Io { path: path.display().to_string(), source });
        }
        Ok(())
    }

    /// Reads a table written by [`Table::write`].
    pub fn read(path: &Path) -> Result<Table, TableError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| TableError::Io { path: shown.clone(), source })?;
        Table::parse(&bytes).map_err(|why| TableError::Format { path: shown, why })
    }

    /// Parses CSV text with the first two columns `point` and `repetition`.
    pub fn parse(bytes: &[u8]) -> Result<Table, String> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
        let mut records = reader.records();
        let header: Vec<String> = match records.next() {
            Some(Ok(r)) => r.iter().map(str::to_string).collect(),
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("it is empty".into()),
        };
        if header.len() < 2 || header[0] != POINT || header[1] != REPETITION {
            return Err(format!("the first columns must be {POINT},{REPETITION}"));
        }
        let mut rows = Vec::new();
        for record in records {
            let record = record.map_err(|e| e.to_string())?;
            if record.len() != header.len() {
                return Err(format!("a row has {} cells for {} columns", record.len(), header.len()));
            }
            rows.push(record.iter().map(str::to_string).collect());
        }
        Ok(Table { header, rows })
    }

    /// Joins tables with the same header (shards of one sweep) into one, in row order.
    pub fn merge(parts: Vec<(String, Table)>) -> Result<Table, TableError> {
        let mut parts = parts.into_iter();
        let Some((first, mut merged)) = parts.next() else {
            return Err(TableError::Format { path: "merge".into(), why: "no files to merge".into() });
        };
        for (path, table) in parts {
            if table.header != merged.header {
                return Err(TableError::Mismatch { path, first });
            }
            merged.rows.extend(table.rows);
        }
        merged.sort()?;
        // Shards take runs modulo N, so a missing shard leaves holes in the grid of points and
        // repetitions; the rows present must fill it.
        let number = |row: &Vec<String>, i: usize| row[i].parse::<u64>().unwrap_or(0);
        let points = merged.rows.iter().map(|r| number(r, 0)).max().map_or(0, |p| p + 1);
        let reps = merged.rows.iter().map(|r| number(r, 1)).max().map_or(0, |r| r + 1);
        let mut rows = merged.rows.iter();
        for point in 0..points {
            for repetition in 0..reps {
                match rows.next() {
                    Some(r) if number(r, 0) == point && number(r, 1) == repetition => {}
                    _ => return Err(TableError::Missing { point, repetition }),
                }
            }
        }
        Ok(merged)
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// The JSON file written beside the CSV at `path`.
pub fn json_path(path: &Path) -> PathBuf {
    path.with_extension("json")
}

/// A cell's JSON value: what its text reads as.
fn infer(text: &str) -> serde_json::Value {
    use serde_json::Value;
    if text.is_empty() {
        return Value::Null;
    }
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(n) = text.parse::<u64>() {
        return Value::from(n);
    }
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && text.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) => {
            Value::from(x)
        }
        _ => Value::String(text.to_string()),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed into place.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), TableError> {
    let tmp = temporary(path, bytes)?;
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        TableError::Io { path: path.display().to_string(), source }
    })
}

/// `bytes` in a temporary file beside `path`, synced; none is left behind on failure.
fn temporary(path: &Path, bytes: &[u8]) -> Result<PathBuf, TableError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written =
        std::fs::File::create(&tmp).and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
    match written {
        Ok(()) => Ok(tmp),
        Err(source) => {
            let _ = std::fs::remove_file(&tmp);
            Err(TableError::Io { path: path.display().to_string(), source })
        }
    }
}

/// Flattens a JSON value into `(column, text)` cells: objects by dotted paths, a pair of numbers
/// (a 95% interval) as `.lo` and `.hi`, any other array as its JSON text, `null` as empty.
pub fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let join = |key: &str| if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) if items.len() == 2 && items.iter().all(Value::is_number) => {
            out.push((join("lo"), items[0].to_string()));
            out.push((join("hi"), items[1].to_string()));
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let header = ["point", "repetition", "name", "rate", "ok"].map(String::from).to_vec();
        let rows = vec![
            ["1", "0", "lease, fenced", "0.25", "true"].map(String::from).to_vec(),
            ["0", "1", "", "1e-5", "false"].map(String::from).to_vec(),
            ["0", "0", "10ms", "3", ""].map(String::from).to_vec(),
            ["1", "1", "x", "0.5", "true"].map(String::from).to_vec(),
        ];
        Table { header, rows }
    }

    #[test]
    fn csv_reads_back_and_json_types_its_cells() {
        let mut t = table();
        t.sort().unwrap();
        assert_eq!(t.rows[0][0..2], ["0", "0"]);
        let back = Table::parse(&t.csv()).unwrap();
        assert_eq!(back, t);
        let json: serde_json::Value = serde_json::from_slice(&t.json(None)).unwrap();
        assert_eq!(json.get("sweep"), None);
        let json = &json["rows"];
        assert_eq!(json[0]["rate"], 3);
        assert_eq!(json[0]["name"], "10ms");
        assert_eq!(json[0]["ok"], serde_json::Value::Null);
        assert_eq!(json[1]["rate"], 1e-5);
        assert_eq!(json[2]["name"], "lease, fenced");
        assert_eq!(json[2]["ok"], true);
    }

    #[test]
    fn shards_merge_into_the_whole_and_refuse_overlaps_and_strangers() {
        let mut whole = table();
        whole.sort().unwrap();
        let (mut a, mut b) = (table(), table());
        a.rows.retain(|r| r[0] == "0");
        b.rows.retain(|r| r[0] == "1");
        let merged = Table::merge(vec![("b".into(), b.clone()), ("a".into(), a.clone())]).unwrap();
        assert_eq!(merged.csv(), whole.csv());
        assert!(matches!(
            Table::merge(vec![("a".into(), a.clone()), ("a2".into(), a.clone())]),
            Err(TableError::Duplicate { .. })
        ));
        let mut half = b.clone();
        half.rows.retain(|r| r[1] == "1");
        assert!(
            matches!(
                Table::merge(vec![("a".into(), a.clone()), ("half".into(), half)]),
                Err(TableError::Missing { .. })
            ),
            "a missing shard leaves a hole"
        );
        let mut other = b;
        other.header[2] = "nom".into();
        assert!(matches!(
            Table::merge(vec![("a".into(), a), ("o".into(), other)]),
            Err(TableError::Mismatch { .. })
        ));
    }

    #[test]
    fn flattening_names_intervals_and_nested_fields() {
        let v = serde_json::json!({"a": {"b": 1, "ci": [0.1, 0.2]}, "c": null, "d": [{"x": 1}], "e": "s"});
        let mut cells = Vec::new();
        flatten("", &v, &mut cells);
        let names: Vec<&str> = cells.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.b", "a.ci.lo", "a.ci.hi", "c", "d", "e"]);
        assert_eq!(cells[4].1, r#"[{"x":1}]"#);
        assert_eq!(cells[3].1, "");
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = std::env::temp_dir().join(format!("faultline-table-{}", std::process::id()));
        let path = dir.join("missing-subdir").join("out.csv");
        assert!(table().write(&path).is_err());
        assert!(!path.exists());
    }
}
