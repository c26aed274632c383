//! PX-Web API v1 JSON, as SCB's `api.scb.se/OV0104/v1/...` returns it for `"format": "json"`:
//!
//! ```json
//! {"columns": [{"code": "Region", "text": "region", "type": "d"},
//!              {"code": "Tid", "text": "year", "type": "t"},
//!              {"code": "000004W5", "text": "...", "comment": "...", "type": "c"}],
//!  "comments": [],
//!  "data": [{"key": ["0180R001", "2023"], "values": ["31.1"]}],
//!  "metadata": [{"label": "...", "updated": "...", "source": "Statistics Sweden"}]}
//! ```
//!
//! Columns of type `d` (dimension) and `t` (time) are the key, in the order of `key`;
//! columns of type `c` are value columns named by SCB content code, in the order of
//! `values`. The key must have a `Region` and a time column (type `t`, or code `Tid`).
//! Each `values[i]` becomes one [`StatCell`] with item `data[n]` (0-based, as in the JSON).

use std::path::Path;

use serde_json::Value as Json;

use super::{invalid_at, parse_json, parse_value, parse_year, StatCell, StatTable};
use crate::import::{ImportError, Location};

/// Parses a PX-Web API v1 JSON answer.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<StatTable, ImportError> {
    let doc: Json = parse_json(file, bytes)?;
    let root = doc.as_object().ok_or_else(|| {
        ImportError::invalid(
            Location::file(file).field("(document)"),
            "expected a JSON object with 'columns' and 'data' (PX-Web API v1)",
        )
    })?;
    let columns = root
        .get("columns")
        .and_then(Json::as_array)
        .ok_or_else(|| missing(file, "columns"))?;
    let data = root
        .get("data")
        .and_then(Json::as_array)
        .ok_or_else(|| missing(file, "data"))?;

    let mut keys: Vec<String> = Vec::new();
    let mut time_col = None;
    let mut values: Vec<String> = Vec::new();
    for (i, col) in columns.iter().enumerate() {
        let item = format!("columns[{i}]");
        let code = col
            .get("code")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid_at(file, &item, "code", "missing or not a string"))?;
        let kind = col.get("type").and_then(Json::as_str).unwrap_or("d");
        match kind {
            "c" => values.push(code.to_string()),
            "d" | "t" | "a" => {
                if kind == "t" || (time_col.is_none() && code == "Tid") {
                    time_col = Some(keys.len());
                }
                keys.push(code.to_string());
            }
            other => {
                return Err(invalid_at(
                    file,
                    item,
                    "type",
                    format!("unknown column type '{other}' (expected d, t or c)"),
                ))
            }
        }
    }
    let region_col = keys.iter().position(|k| k == "Region").ok_or_else(|| {
        invalid_at(
            file,
            "columns",
            "code",
            format!("no key column 'Region' (key columns: {})", keys.join(", ")),
        )
    })?;
    let time_col = time_col.ok_or_else(|| {
        invalid_at(
            file,
            "columns",
            "type",
            "no time column (type 't' or code 'Tid')",
        )
    })?;
    if values.is_empty() {
        return Err(invalid_at(
            file,
            "columns",
            "type",
            "no value column (type 'c')",
        ));
    }

    let title = root
        .get("metadata")
        .and_then(Json::as_array)
        .and_then(|m| m.first())
        .and_then(|m| m.get("label"))
        .and_then(Json::as_str)
        .map(str::to_string);

    let mut cells = Vec::with_capacity(data.len() * values.len());
    for (n, row) in data.iter().enumerate() {
        let item = format!("data[{n}]");
        let key = row
            .get("key")
            .and_then(Json::as_array)
            .ok_or_else(|| invalid_at(file, &item, "key", "missing or not an array"))?;
        if key.len() != keys.len() {
            return Err(invalid_at(
                file,
                &item,
                "key",
                format!(
                    "{} key values for {} key columns ({})",
                    key.len(),
                    keys.len(),
                    keys.join(", ")
                ),
            ));
        }
        let key: Vec<&str> = key
            .iter()
            .enumerate()
            .map(|(i, k)| {
                k.as_str().ok_or_else(|| {
                    invalid_at(
                        file,
                        &item,
                        format!("key[{i}] ({})", keys[i]),
                        "not a string",
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let vals = row
            .get("values")
            .and_then(Json::as_array)
            .ok_or_else(|| invalid_at(file, &item, "values", "missing or not an array"))?;
        if vals.len() != values.len() {
            return Err(invalid_at(
                file,
                &item,
                "values",
                format!(
                    "{} values for {} value columns ({})",
                    vals.len(),
                    values.len(),
                    values.join(", ")
                ),
            ));
        }
        let year = parse_year(key[time_col]).map_err(|m| {
            invalid_at(
                file,
                &item,
                format!("key[{time_col}] ({})", keys[time_col]),
                m,
            )
        })?;
        let slice: Vec<(String, String)> = keys
            .iter()
            .zip(&key)
            .enumerate()
            .filter(|(i, _)| *i != time_col && *i != region_col)
            .map(|(_, (k, v))| (k.clone(), v.to_string()))
            .collect();
        for (content, raw) in values.iter().zip(vals) {
            let value = match raw {
                Json::String(s) => parse_value(s, false),
                Json::Number(x) => x
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| format!("'{x}' is out of range")),
                Json::Null => Ok(None),
                other => Err(format!("'{other}' is not a number")),
            }
            .map_err(|m| invalid_at(file, &item, content.as_str(), m))?;
            cells.push(StatCell {
                item: item.clone(),
                region: key[region_col].to_string(),
                year,
                content: content.clone(),
                slice: slice.clone(),
                value,
            });
        }
    }
    Ok(StatTable {
        file: file.to_path_buf(),
        title,
        cells,
    })
}

fn missing(file: &Path, member: &str) -> ImportError {
    ImportError::invalid(
        Location::file(file).field(member),
        format!("missing or not an array: a PX-Web API v1 answer has '{member}'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::scb::testdata::{fixture, real};

    fn read(path: &Path) -> Result<StatTable, ImportError> {
        let bytes = std::fs::read(path).map_err(|e| ImportError::read(path, e))?;
        parse(path, &bytes)
    }

    fn cell<'a>(
        t: &'a StatTable,
        region: &str,
        content: &str,
        slice: &[(&str, &str)],
    ) -> &'a StatCell {
        let found: Vec<_> = t
            .cells
            .iter()
            .filter(|c| {
                c.region == region
                    && c.content == content
                    && slice
                        .iter()
                        .all(|(k, v)| c.slice.iter().any(|(a, b)| a == k && b == v))
            })
            .collect();
        assert_eq!(found.len(), 1, "{region} {content} {slice:?}");
        found[0]
    }

    #[test]
    fn reads_real_eligibility_table() {
        let t = read(&real("stockholm/IntGr8RegSOKon2.json")).unwrap();
        assert_eq!(t.cells.len(), 381 * 2);
        assert_eq!(
            t.title.as_deref(),
            Some("Proportion of persons eligible for upper secondary school and higher education by region, background variable, year and observations")
        );
        let c = cell(&t, "0180R001", "000004VC", &[("Bakgrund", "1+2")]);
        assert_eq!(c.year, 2023);
        assert_eq!(c.value, Some(96.0));
        assert_eq!(c.item, "data[0]");
        assert_eq!(
            cell(&t, "0180R001", "000004VD", &[("Bakgrund", "1+2")]).value,
            Some(86.1)
        );
        // Suppressed: too few persons.
        assert_eq!(
            cell(&t, "0180R001", "000004VC", &[("Bakgrund", "1")]).value,
            None
        );
        assert_eq!(t.cells.iter().filter(|c| c.value.is_none()).count(), 199);
    }

    #[test]
    fn reads_real_labour_market_table() {
        let t = read(&real("stockholm/IntGr1RegSOBASN.json")).unwrap();
        assert_eq!(t.cells.len(), 9525 * 11);
        let c = cell(
            &t,
            "0180R001_RegSO2025",
            "000008AW",
            &[("Kon", "1+2"), ("BakgrVar", "TOT")],
        );
        assert_eq!((c.year, c.value), (2024, Some(83.4)));
        assert_eq!(
            c.slice,
            vec![
                ("Kon".into(), "1+2".into()),
                ("BakgrVar".into(), "TOT".into())
            ]
        );
        let c = cell(
            &t,
            "0180R001_RegSO2025",
            "000008B1",
            &[("Kon", "1+2"), ("BakgrVar", "TOT")],
        );
        assert_eq!(c.value, Some(10.1));
        assert_eq!(t.cells.iter().filter(|c| c.value.is_none()).count(), 28610);
    }

    #[test]
    fn reads_every_real_file() {
        for city in [
            "goteborg",
            "kalmar",
            "malmo",
            "norrkoping",
            "stockholm",
            "uppsala",
            "vaxjo",
        ] {
            let dir = real(city);
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if name == "index.json" {
                    continue;
                }
                let t = read(&path).unwrap_or_else(|e| panic!("{e}"));
                assert!(!t.cells.is_empty(), "{name}");
            }
        }
    }

    #[test]
    fn truncated_json_names_file_and_position() {
        let path = fixture("bad_truncated.json");
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("bad_truncated.json"), "{err}");
        assert!(err.contains("line 4, column"), "{err}");
        assert!(err.contains("malformed JSON"), "{err}");
    }

    fn parse_str(json: &str) -> String {
        parse(Path::new("t.json"), json.as_bytes())
            .unwrap_err()
            .to_string()
    }

    const COLS: &str = r#""columns":[{"code":"Region","type":"d"},{"code":"Kon","type":"d"},{"code":"Tid","type":"t"},{"code":"000004VC","type":"c"},{"code":"000004VD","type":"c"}]"#;

    #[test]
    fn structural_errors_name_cell_and_field() {
        let e = parse_str(r#"{"data":[]}"#);
        assert_eq!(
            e,
            "t.json, field 'columns': missing or not an array: a PX-Web API v1 answer has 'columns'"
        );
        let e = parse_str(&format!("{{{COLS}}}"));
        assert!(e.starts_with("t.json, field 'data'"), "{e}");
        let e = parse_str(&format!(
            r#"{{{COLS},"data":[{{"key":["0180R001","1+2","2023"],"values":["1","2"]}},{{"key":["0180R001","2023"],"values":["1","2"]}}]}}"#
        ));
        assert_eq!(
            e,
            "t.json, data[1], field 'key': 2 key values for 3 key columns (Region, Kon, Tid)"
        );
        let e = parse_str(&format!(
            r#"{{{COLS},"data":[{{"key":["0180R001","1+2","2023"],"values":["1"]}}]}}"#
        ));
        assert_eq!(
            e,
            "t.json, data[0], field 'values': 1 values for 2 value columns (000004VC, 000004VD)"
        );
        let e = parse_str(&format!(
            r#"{{{COLS},"data":[{{"key":["0180R001","1+2","2023K1"],"values":["1","2"]}}]}}"#
        ));
        assert_eq!(
            e,
            "t.json, data[0], field 'key[2] (Tid)': '2023K1' is not a year (only annual tables are read)"
        );
        let e = parse_str(&format!(
            r#"{{{COLS},"data":[{{"key":["0180R001","1+2","2023"],"values":["1","12,3x"]}}]}}"#
        ));
        assert_eq!(
            e,
            "t.json, data[0], field '000004VD': '12,3x' is not a number (nor one of SCB's markers '..', '.', '-')"
        );
    }
}
