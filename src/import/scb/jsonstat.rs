//! JSON-stat 2.0 datasets, as PX-Web API v2 (SCB's `api.scb.se/ov0104/v2beta/api/v2/tables/
//! {id}/data?outputFormat=json-stat2`) returns them.
//!
//! What is read (JSON-stat 2.0, <https://json-stat.org/format/>):
//! - `class` must be `"dataset"`, `version` must start with `2` (absent is accepted);
//! - `id` (dimension ids, in value order) and `size` (their lengths), equal in length;
//! - `dimension.{id}.category.index`, an object `code → position` or an array of codes; when
//!   it is absent the dimension must have a single category, taken from `category.label`;
//! - `role`: `geo`, `time` and `metric` name the region, year and content dimensions; where
//!   `role` lacks one, the ids `Region`, `Tid` and `ContentsCode` are used;
//! - `value`: an array in row-major order (the last dimension varies fastest) whose length is
//!   the product of `size`, or a sparse object `"position" → value` (absent positions are
//!   missing); values are numbers, `null` (missing) or strings such as `".."`;
//! - `status`: one string for all values, an array, or a sparse object. A status of one to
//!   six dots marks the value missing (`None`, even if a number is given); `-` with a null
//!   value is a true zero; other statuses (e.g. provisional) do not change a value.
//! - `label` is the title. `extension`, `note`, `link`, `updated` and `source` are ignored.
//!
//! Each value becomes one [`StatCell`] with item `value[n]` (0-based position).

use std::path::Path;

use serde_json::{Map, Value as Json};

use super::{invalid_at, parse_json, parse_value, parse_year, StatCell, StatTable};
use crate::import::{ImportError, Location};

struct Dim {
    id: String,
    /// Category codes in index order.
    codes: Vec<String>,
}

/// Parses a JSON-stat 2.0 dataset.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<StatTable, ImportError> {
    let doc: Json = parse_json(file, bytes)?;
    let top = |field: &str, msg: String| {
        ImportError::invalid(Location::file(file).item("dataset").field(field), msg)
    };
    let root = doc
        .as_object()
        .ok_or_else(|| top("(document)", "expected a JSON-stat dataset object".into()))?;
    match root.get("class").and_then(Json::as_str) {
        Some("dataset") => {}
        other => {
            return Err(top(
                "class",
                format!(
                    "expected \"dataset\", found {}",
                    other.map_or("nothing".into(), |c| format!("\"{c}\""))
                ),
            ))
        }
    }
    if let Some(v) = root.get("version") {
        if !v.as_str().is_some_and(|v| v.starts_with('2')) {
            return Err(top("version", format!("{v} is not JSON-stat 2.x")));
        }
    }
    let ids: Vec<String> = root
        .get("id")
        .and_then(Json::as_array)
        .ok_or_else(|| top("id", "missing or not an array".into()))?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| top("id", "must be an array of strings".into()))?;
    let sizes: Vec<usize> = root
        .get("size")
        .and_then(Json::as_array)
        .ok_or_else(|| top("size", "missing or not an array".into()))?
        .iter()
        .map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| top("size", "must be an array of non-negative integers".into()))?;
    if ids.len() != sizes.len() {
        return Err(top(
            "size",
            format!(
                "{} sizes for {} dimension ids ({})",
                sizes.len(),
                ids.len(),
                ids.join(", ")
            ),
        ));
    }
    let dims_obj = root
        .get("dimension")
        .and_then(Json::as_object)
        .ok_or_else(|| top("dimension", "missing or not an object".into()))?;
    let mut dims = Vec::with_capacity(ids.len());
    for (id, &size) in ids.iter().zip(&sizes) {
        let field = format!("dimension.{id}");
        let d = dims_obj
            .get(id)
            .and_then(Json::as_object)
            .ok_or_else(|| top(&field, format!("dimension '{id}' of 'id' is not described")))?;
        let codes = categories(d).map_err(|m| top(&format!("{field}.category"), m))?;
        if codes.len() != size {
            return Err(top(
                &format!("{field}.category"),
                format!("{} categories but size says {size}", codes.len()),
            ));
        }
        dims.push(Dim {
            id: id.clone(),
            codes,
        });
    }
    let role = |r: &str, fallback: &str| -> Result<usize, ImportError> {
        let named = root
            .get("role")
            .and_then(|x| x.get(r))
            .and_then(Json::as_array)
            .and_then(|a| a.first())
            .and_then(Json::as_str);
        let want = named.unwrap_or(fallback);
        ids.iter().position(|i| i == want).ok_or_else(|| {
            top(
                &format!("role.{r}"),
                match named {
                    Some(n) => format!("role {r} names '{n}', which is not in 'id'"),
                    None => format!(
                        "no {r} dimension: no role.{r} and no dimension '{fallback}' (ids: {})",
                        ids.join(", ")
                    ),
                },
            )
        })
    };
    let geo = role("geo", "Region")?;
    let time = role("time", "Tid")?;
    let metric = role("metric", "ContentsCode")?;

    let total = sizes
        .iter()
        .try_fold(1usize, |a, &s| a.checked_mul(s))
        .ok_or_else(|| top("size", "the product of size overflows".into()))?;
    let values = values_of(root.get("value"), total).map_err(|m| top("value", m))?;
    let status = status_of(root.get("status"), total).map_err(|m| top("status", m))?;

    let years: Vec<i16> = dims[time]
        .codes
        .iter()
        .map(|c| parse_year(c))
        .collect::<Result<_, _>>()
        .map_err(|m| top(&format!("dimension.{}.category.index", ids[time]), m))?;

    let mut cells = Vec::with_capacity(total);
    let mut coord = vec![0usize; dims.len()];
    for n in 0..total {
        // Row-major: the last dimension varies fastest.
        let mut rest = n;
        for k in (0..dims.len()).rev() {
            coord[k] = rest % sizes[k];
            rest /= sizes[k];
        }
        let item = format!("value[{n}]");
        let content = &dims[metric].codes[coord[metric]];
        let st = status[n].as_deref();
        let value =
            match (&values[n], st) {
                (_, Some(s)) if is_dots(s) => None,
                (Json::Null, Some(s)) => parse_value(s, false)
                    .map_err(|m| invalid_at(file, &item, content.as_str(), m))?,
                (Json::Null, None) => None,
                (Json::Number(x), _) => Some(x.as_f64().ok_or_else(|| {
                    invalid_at(
                        file,
                        &item,
                        content.as_str(),
                        format!("'{x}' is out of range"),
                    )
                })?),
                (Json::String(s), _) => parse_value(s, false)
                    .map_err(|m| invalid_at(file, &item, content.as_str(), m))?,
                (other, _) => {
                    return Err(invalid_at(
                        file,
                        &item,
                        content.as_str(),
                        format!("'{other}' is not a number"),
                    ))
                }
            };
        let slice = dims
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != geo && *k != time && *k != metric)
            .map(|(k, d)| (d.id.clone(), d.codes[coord[k]].clone()))
            .collect();
        cells.push(StatCell {
            item,
            region: dims[geo].codes[coord[geo]].clone(),
            year: years[coord[time]],
            content: content.clone(),
            slice,
            value,
        });
    }
    Ok(StatTable {
        file: file.to_path_buf(),
        title: root.get("label").and_then(Json::as_str).map(str::to_string),
        cells,
    })
}

fn is_dots(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b == b'.')
}

/// Category codes of a dimension, in index order.
fn categories(d: &Map<String, Json>) -> Result<Vec<String>, String> {
    let cat = d
        .get("category")
        .and_then(Json::as_object)
        .ok_or("missing or not an object")?;
    match cat.get("index") {
        Some(Json::Array(a)) => a
            .iter()
            .map(|c| c.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| "index must be an array of strings".to_string()),
        Some(Json::Object(o)) => {
            let mut codes: Vec<Option<String>> = vec![None; o.len()];
            for (code, pos) in o {
                let p = pos
                    .as_u64()
                    .and_then(|p| usize::try_from(p).ok())
                    .filter(|&p| p < codes.len())
                    .ok_or_else(|| {
                        format!(
                            "index of '{code}' is {pos}, not a position below {}",
                            o.len()
                        )
                    })?;
                if codes[p].replace(code.clone()).is_some() {
                    return Err(format!("two categories at index position {p}"));
                }
            }
            codes
                .into_iter()
                .collect::<Option<_>>()
                .ok_or_else(|| "index positions are not 0..n".to_string())
        }
        Some(_) => Err("index must be an object or an array".into()),
        None => match cat.get("label").and_then(Json::as_object) {
            Some(l) if l.len() == 1 => Ok(l.keys().cloned().collect()),
            _ => Err("no index, and label does not name exactly one category".into()),
        },
    }
}

fn position(key: &str, total: usize) -> Result<usize, String> {
    key.parse::<usize>()
        .ok()
        .filter(|&p| p < total)
        .ok_or_else(|| format!("key '{key}' is not a position below {total}"))
}

fn values_of(v: Option<&Json>, total: usize) -> Result<Vec<Json>, String> {
    match v {
        Some(Json::Array(a)) if a.len() == total => Ok(a.clone()),
        Some(Json::Array(a)) => Err(format!(
            "{} values, but the product of size is {total}",
            a.len()
        )),
        Some(Json::Object(o)) => {
            let mut out = vec![Json::Null; total];
            for (k, x) in o {
                out[position(k, total)?] = x.clone();
            }
            Ok(out)
        }
        _ => Err("missing, or neither an array nor an object".into()),
    }
}

fn status_of(s: Option<&Json>, total: usize) -> Result<Vec<Option<String>>, String> {
    let text = |x: &Json| match x {
        Json::String(s) => Ok(Some(s.clone())),
        Json::Null => Ok(None),
        other => Err(format!("status {other} is not a string")),
    };
    match s {
        None | Some(Json::Null) => Ok(vec![None; total]),
        Some(Json::String(s)) => Ok(vec![Some(s.clone()); total]),
        Some(Json::Array(a)) if a.len() == total => a.iter().map(text).collect(),
        Some(Json::Array(a)) if a.len() == 1 => Ok(vec![text(&a[0])?; total]),
        Some(Json::Array(a)) => Err(format!(
            "{} statuses, but the product of size is {total}",
            a.len()
        )),
        Some(Json::Object(o)) => {
            let mut out = vec![None; total];
            for (k, x) in o {
                out[position(k, total)?] = text(x)?;
            }
            Ok(out)
        }
        Some(other) => Err(format!(
            "{other} is neither a string, an array nor an object"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::scb::mapping::Mapping;
    use crate::import::scb::testdata::fixture;
    use crate::import::scb::{read_table, StatFormat};

    #[test]
    fn reads_derived_scb_v2_fixture() {
        let path = fixture("IntGr1RegSOBASN_subset.jsonstat.json");
        let t = read_table(&path, StatFormat::Auto).unwrap();
        assert_eq!(t.cells.len(), 3 * 3 * 2 * 3);
        assert!(t
            .title
            .as_deref()
            .unwrap()
            .starts_with("Statistics geared to the labour market"));
        let c = &t.cells[0];
        assert_eq!(c.item, "value[0]");
        assert_eq!(c.region, "0180R001_RegSO2025");
        assert_eq!((c.year, c.content.as_str()), (2024, "000008AW"));
        assert_eq!(
            c.slice,
            vec![
                ("Kon".into(), "1+2".into()),
                ("BakgrVar".into(), "TOT".into())
            ]
        );
        assert_eq!(c.value, Some(83.4));
        assert_eq!(t.cells[1].value, Some(10.1));
        assert_eq!(t.cells[5].value, None); // status ".."
        assert_eq!(t.cells.iter().filter(|c| c.value.is_none()).count(), 4);

        // Same numbers as the v1 answer it was derived from, through the mapping.
        let m =
            Mapping::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/indicators.toml"))
                .unwrap()
                .apply(&t)
                .unwrap();
        assert_eq!(m.observations.len(), 9);
        let rinkeby = m
            .observations
            .iter()
            .find(|o| o.region == "0180R076" && o.indicator == "employment_rate")
            .unwrap();
        assert_eq!(rinkeby.year, 2024);
    }

    fn err(json: &str) -> String {
        parse(Path::new("s.json"), json.as_bytes())
            .unwrap_err()
            .to_string()
    }

    const DIMS: &str = r#""dimension":{"Region":{"category":{"index":["0180R001","0180R002"]}},"ContentsCode":{"category":{"index":{"000004VC":0}}},"Tid":{"category":{"label":{"2023":"2023"}}}}"#;

    #[test]
    fn sparse_values_status_and_errors() {
        let ok = format!(
            r#"{{"version":"2.0","class":"dataset","id":["Region","ContentsCode","Tid"],"size":[2,1,1],{DIMS},"value":{{"0":96.0}},"status":{{"1":".."}}}}"#
        );
        let t = parse(Path::new("s.json"), ok.as_bytes()).unwrap();
        assert_eq!(t.cells[0].value, Some(96.0));
        assert_eq!(t.cells[1].value, None);
        assert_eq!(t.cells[1].region, "0180R002");

        let e = err(&ok.replace("\"dataset\"", "\"collection\""));
        assert_eq!(
            e,
            "s.json, dataset, field 'class': expected \"dataset\", found \"collection\""
        );
        let e = err(&ok.replace("[2,1,1]", "[2,1]"));
        assert_eq!(e, "s.json, dataset, field 'size': 2 sizes for 3 dimension ids (Region, ContentsCode, Tid)");
        let e = err(&ok.replace("[2,1,1]", "[3,1,1]"));
        assert_eq!(
            e,
            "s.json, dataset, field 'dimension.Region.category': 2 categories but size says 3"
        );
        let e = err(&ok.replace("\"Tid\"]", "\"Kon\"]"));
        assert_eq!(
            e,
            "s.json, dataset, field 'dimension.Kon': dimension 'Kon' of 'id' is not described"
        );
        let e = err(&ok.replace(r#"{"0":96.0},"status":{"1":".."}"#, r#"[96.0,"12,3x"]"#));
        assert_eq!(
            e,
            "s.json, value[1], field '000004VC': '12,3x' is not a number (nor one of SCB's markers '..', '.', '-')"
        );
        let e = err(&ok.replace(r#"{"0":96.0}"#, r#"{"2":1}"#));
        assert_eq!(
            e,
            "s.json, dataset, field 'value': key '2' is not a position below 2"
        );
    }

    #[test]
    fn size_mismatch_fixture() {
        let path = fixture("bad_size_mismatch.jsonstat.json");
        let e = read_table(&path, StatFormat::Auto).unwrap_err().to_string();
        assert!(e.contains("bad_size_mismatch.jsonstat.json, dataset, field 'value': 53 values, but the product of size is 54"), "{e}");
    }
}
