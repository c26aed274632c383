//! The indicator catalogue (`geodata/indicators.toml`) and the mapping from SCB cells to
//! indicator observations.
//!
//! A cell maps when a `[[source]]` entry names its content code (or, for CSV headers that
//! carry only a label, one of the entry's `text` labels), its table is among the entry's
//! `tables` (if given; compared with the file name without extension), and its value of
//! every dimension fixed by the entry's `slice` equals the slice's value (a value written as
//! `code text`, as in SCB's CSV with codes and texts, matches by its code). A dimension of
//! the cell that the slice does not fix, other than `Region` and `Tid`, makes the cell
//! ambiguous, and that is an error, unless the dimension has a single value in the whole
//! file. Dimension names are compared case-insensitively and with SCB's label aliases
//! (`Kon` = `kön` = `sex`; `Bakgrund` = `BakgrVar` = `bakgrundsvariabel` = `background
//! variable`), so that CSV exports with text headers map too.
//!
//! Content codes that no entry names are counted in [`MappedTable::unmapped`], not errors;
//! a file where nothing maps is an error.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{invalid_at, Observation, StatCell, StatTable};
use crate::import::{ImportError, Location};
use crate::model::Level;

/// How values of an indicator combine over several areas (e.g. for a district).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Mean weighted by the indicator named in `weight` (e.g. `population`).
    WeightedMean,
    /// Sum of the areas' values (counts).
    Sum,
}

impl Aggregation {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::WeightedMean => "weighted_mean",
            Aggregation::Sum => "sum",
        }
    }
}

/// Units an indicator may have.
pub const UNITS: &[&str] = &["percent", "price_base_amounts", "persons", "days"];

/// One `[[indicator]]` of the catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub name_sv: String,
    pub name_en: String,
    pub unit: String,
    pub definition_en: String,
    #[serde(default)]
    pub definition_sv: Option<String>,
    /// `None` for neutral indicators such as population.
    #[serde(default)]
    pub higher_is_better: Option<bool>,
    pub aggregation: Aggregation,
    /// The indicator whose values weight a `weighted_mean`.
    #[serde(default)]
    pub weight: Option<String>,
    pub decimals: u8,
    pub source_table: Vec<String>,
    pub source: String,
    pub licence: String,
}

/// One `[[source]]`: which SCB cells give an indicator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// SCB content code, e.g. `000008AW`.
    pub content: String,
    /// Indicator id.
    pub indicator: String,
    /// Dimension code → value that the cell must have, e.g. `Kon = "1+2"`.
    #[serde(default)]
    pub slice: BTreeMap<String, String>,
    /// SCB table ids the entry is limited to (file name without extension).
    #[serde(default)]
    pub tables: Option<Vec<String>>,
    /// Content labels (English or Swedish) that CSV headers may carry instead of the code.
    #[serde(default)]
    pub text: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    indicator: Vec<Indicator>,
    #[serde(default)]
    source: Vec<Source>,
}

/// The validated catalogue and mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub file: PathBuf,
    pub indicators: Vec<Indicator>,
    pub sources: Vec<Source>,
}

/// The observations a statistics file gives, and what it held that the mapping ignores.
#[derive(Debug, Clone)]
pub struct MappedTable {
    pub file: PathBuf,
    pub title: Option<String>,
    pub observations: Vec<Observation>,
    /// Content codes (or CSV labels) of the file that no source names, with their number of
    /// cells, sorted by code.
    pub unmapped: Vec<(String, usize)>,
    /// Cells whose content maps but whose slice is not the mapped one (e.g. men, women,
    /// age groups): skipped.
    pub skipped_cells: usize,
}

impl Mapping {
    /// Reads and validates a mapping file. Errors name the file and the entry
    /// (`indicator[2] (employment_rate)`, `source[4] (000008AW)`) and the field.
    pub fn load(path: &Path) -> Result<Mapping, ImportError> {
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::read(path, e))?;
        Mapping::parse(path, &text)
    }

    /// Validates a mapping given as TOML text; `path` is used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Mapping, ImportError> {
        let file: MappingFile = toml::from_str(text).map_err(|e| {
            let mut loc = Location::file(path);
            if let Some(span) = e.span() {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                loc = loc.item(format!("line {line}"));
            }
            ImportError::invalid(loc, format!("invalid mapping: {}", e.message()))
        })?;
        let m = Mapping {
            file: path.to_path_buf(),
            indicators: file.indicator,
            sources: file.source,
        };
        m.validate()?;
        Ok(m)
    }

    fn validate(&self) -> Result<(), ImportError> {
        let path = &self.file;
        if self.indicators.is_empty() {
            return Err(ImportError::invalid(
                Location::file(path).field("indicator"),
                "the mapping defines no [[indicator]]",
            ));
        }
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            let item = format!("indicator[{i}] ({})", ind.id);
            let bad = |field: &str, msg: String| invalid_at(path, &item, field, msg);
            if !is_snake_case(&ind.id) {
                return Err(bad("id", format!("'{}' is not snake_case", ind.id)));
            }
            if let Some(first) = ids.insert(&ind.id, i) {
                return Err(bad(
                    "id",
                    format!("duplicate id '{}' (also indicator[{first}])", ind.id),
                ));
            }
            for (field, v) in [
                ("name_sv", &ind.name_sv),
                ("name_en", &ind.name_en),
                ("definition_en", &ind.definition_en),
                ("source", &ind.source),
                ("licence", &ind.licence),
            ] {
                if v.trim().is_empty() {
                    return Err(bad(field, "must not be empty".into()));
                }
            }
            if !UNITS.contains(&ind.unit.as_str()) {
                return Err(bad(
                    "unit",
                    format!("unknown unit '{}' (known: {})", ind.unit, UNITS.join(", ")),
                ));
            }
            if ind.decimals > 6 {
                return Err(bad("decimals", format!("{} is more than 6", ind.decimals)));
            }
            if ind.source_table.is_empty() {
                return Err(bad("source_table", "lists no SCB table".into()));
            }
        }
        for (i, ind) in self.indicators.iter().enumerate() {
            let item = format!("indicator[{i}] ({})", ind.id);
            match (ind.aggregation, &ind.weight) {
                (Aggregation::WeightedMean, None) => {
                    return Err(invalid_at(
                        path,
                        item,
                        "weight",
                        "aggregation 'weighted_mean' needs a weight (e.g. weight = \"population\")",
                    ))
                }
                (Aggregation::WeightedMean, Some(w)) => {
                    let ok = self
                        .indicator(w)
                        .is_some_and(|x| x.aggregation == Aggregation::Sum && x.id != ind.id);
                    if !ok {
                        return Err(invalid_at(
                            path,
                            item,
                            "weight",
                            format!("weight '{w}' is not another indicator with aggregation 'sum'"),
                        ));
                    }
                }
                (Aggregation::Sum, Some(_)) => {
                    return Err(invalid_at(
                        path,
                        item,
                        "weight",
                        "aggregation 'sum' takes no weight",
                    ))
                }
                (Aggregation::Sum, None) => {}
            }
        }
        let mut labels: HashMap<String, usize> = HashMap::new();
        for (i, src) in self.sources.iter().enumerate() {
            let item = format!("source[{i}] ({})", src.content);
            if src.content.trim().is_empty() {
                return Err(invalid_at(path, item, "content", "must not be empty"));
            }
            if self.indicator(&src.indicator).is_none() {
                return Err(invalid_at(
                    path,
                    item,
                    "indicator",
                    format!("unknown indicator '{}'", src.indicator),
                ));
            }
            for t in &src.text {
                if let Some(first) = labels.insert(norm_text(t), i) {
                    if self.sources[first].indicator != src.indicator {
                        return Err(invalid_at(
                            path,
                            item,
                            "text",
                            format!("label '{t}' is also used by source[{first}]"),
                        ));
                    }
                }
            }
            for (j, other) in self.sources[..i].iter().enumerate() {
                if other.content == src.content
                    && other.indicator == src.indicator
                    && other.slice == src.slice
                    && other.tables == src.tables
                {
                    return Err(invalid_at(
                        path,
                        item,
                        "content",
                        format!("same content, slice and indicator as source[{j}]"),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// Content codes the mapping knows, sorted.
    pub fn content_codes(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self.sources.iter().map(|s| s.content.as_str()).collect();
        set.into_iter().collect()
    }

    /// Turns the cells of a table that the mapping names into observations (see the module
    /// documentation for the rules).
    pub fn apply(&self, table: &StatTable) -> Result<MappedTable, ImportError> {
        let file = table.file.as_path();
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();

        // Values of each dimension in the whole file.
        let mut dim_values: HashMap<String, BTreeSet<&str>> = HashMap::new();
        for c in &table.cells {
            for (d, v) in &c.slice {
                dim_values.entry(canon_dim(d)).or_default().insert(v);
            }
        }

        let mut observations = Vec::new();
        let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
        let mut skipped_cells = 0;
        let mut seen: HashMap<(Level, String, String, i16), &StatCell> = HashMap::new();
        for cell in &table.cells {
            let candidates: Vec<&Source> = self
                .sources
                .iter()
                .filter(|s| content_matches(s, &cell.content) && table_matches(s, &stem))
                .collect();
            if candidates.is_empty() {
                *unmapped.entry(cell.content.clone()).or_default() += 1;
                continue;
            }
            let mut matched = false;
            for src in candidates {
                if !slice_matches(file, cell, src)? {
                    continue;
                }
                for (d, v) in &cell.slice {
                    let cd = canon_dim(d);
                    if cd == "region" || cd == "tid" {
                        continue;
                    }
                    if src.slice.keys().any(|k| canon_dim(k) == cd) {
                        continue;
                    }
                    let values = dim_values.get(&cd).map_or(0, BTreeSet::len);
                    if values > 1 {
                        return Err(invalid_at(
                            file,
                            &cell.item,
                            d.as_str(),
                            format!(
                                "content {} maps to '{}' but the mapping's slice does not fix dimension '{d}' (this cell: '{v}'; the file has {values} values), so the cell is ambiguous: add {d} to the source's slice in {}",
                                cell.content, src.indicator, self.file.display()
                            ),
                        ));
                    }
                }
                matched = true;
                let (level, code) = Level::classify_scb_code(&cell.region).ok_or_else(|| {
                    invalid_at(
                        file,
                        &cell.item,
                        "Region",
                        format!(
                            "'{}' is not an SCB region code (country 00, kommun 0180, RegSO 0180R001, DeSO 0180C1010)",
                            cell.region
                        ),
                    )
                })?;
                let key = (level, code.clone(), src.indicator.clone(), cell.year);
                if let Some(first) = seen.get(&key) {
                    return Err(invalid_at(
                        file,
                        &cell.item,
                        cell.content.as_str(),
                        format!(
                            "second value for {level} {code}, indicator '{}', year {}: also at {} ({})",
                            src.indicator, cell.year, first.item, first.content
                        ),
                    ));
                }
                seen.insert(key, cell);
                observations.push(Observation {
                    item: format!("{} {}", cell.item, cell.content),
                    level,
                    region: code,
                    indicator: src.indicator.clone(),
                    year: cell.year,
                    value: cell.value,
                });
            }
            if !matched {
                skipped_cells += 1;
            }
        }
        if observations.is_empty() {
            let message = if skipped_cells > 0 {
                format!(
                    "no cell of {} matches a mapped slice (e.g. Kon = \"1+2\"); {skipped_cells} cells of mapped content codes were skipped; check the slices in {}",
                    file.display(),
                    self.file.display()
                )
            } else {
                format!(
                    "no value column of {} maps to an indicator; known content codes: {}",
                    file.display(),
                    self.content_codes().join(", ")
                )
            };
            return Err(ImportError::invalid(Location::file(file), message));
        }
        Ok(MappedTable {
            file: file.to_path_buf(),
            title: table.title.clone(),
            observations,
            unmapped: unmapped.into_iter().collect(),
            skipped_cells,
        })
    }
}

fn content_matches(src: &Source, content: &str) -> bool {
    if src.content.eq_ignore_ascii_case(content.trim()) {
        return true;
    }
    let n = norm_text(content);
    src.text.iter().any(|t| norm_text(t) == n)
}

fn table_matches(src: &Source, stem: &str) -> bool {
    match &src.tables {
        None => true,
        Some(tables) => tables.iter().any(|t| {
            stem.eq_ignore_ascii_case(t)
                || (stem.len() > t.len()
                    && stem.is_char_boundary(t.len())
                    && stem[..t.len()].eq_ignore_ascii_case(t)
                    && !stem[t.len()..].starts_with(|c: char| c.is_ascii_alphanumeric()))
        }),
    }
}

/// Does the cell lie in the source's slice? A slice dimension the cell does not have at all
/// is an error (the mapping expects another table layout).
fn slice_matches(file: &Path, cell: &StatCell, src: &Source) -> Result<bool, ImportError> {
    for (dim, want) in &src.slice {
        let cd = canon_dim(dim);
        let Some((_, have)) = cell.slice.iter().find(|(d, _)| canon_dim(d) == cd) else {
            return Err(invalid_at(
                file,
                &cell.item,
                dim.as_str(),
                format!(
                    "the mapping of content {} to '{}' fixes {dim} = \"{want}\" but the file has no dimension {dim} (dimensions: {})",
                    cell.content,
                    src.indicator,
                    cell.slice.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let have = have.trim();
        let code = have.split_whitespace().next().unwrap_or("");
        if have != want && code != want {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Canonical dimension name: lower case, SCB's Swedish and English labels folded onto the
/// codes used in the mapping.
pub fn canon_dim(d: &str) -> String {
    let l = d.trim().to_lowercase();
    match l.as_str() {
        "kon" | "kön" | "sex" => "kon".into(),
        "bakgrund" | "bakgrvar" | "bakgrundsvariabel" | "background variable" => "bakgrund".into(),
        "tid" | "år" | "year" => "tid".into(),
        _ => l,
    }
}

fn norm_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn is_snake_case(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && !s.ends_with('_')
        && !s.contains("__")
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::scb::pxweb;
    use crate::import::scb::testdata::real;

    fn catalogue() -> Mapping {
        Mapping::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/indicators.toml"))
            .unwrap()
    }

    fn read(rel: &str) -> StatTable {
        let p = real(rel);
        pxweb::parse(&p, &std::fs::read(&p).unwrap()).unwrap()
    }

    fn obs<'a>(m: &'a MappedTable, region: &str, ind: &str) -> &'a Observation {
        let v: Vec<_> = m
            .observations
            .iter()
            .filter(|o| o.region == region && o.indicator == ind)
            .collect();
        assert_eq!(v.len(), 1, "{region} {ind}");
        v[0]
    }

    #[test]
    fn catalogue_is_valid() {
        let m = catalogue();
        assert_eq!(m.indicators.len(), 12);
        assert_eq!(m.sources.len(), 12);
        assert!(m
            .indicator("population")
            .unwrap()
            .higher_is_better
            .is_none());
    }

    #[test]
    fn maps_real_labour_market_table() {
        let m = catalogue()
            .apply(&read("stockholm/IntGr1RegSOBASN.json"))
            .unwrap();
        // 127 areas × 3 indicators (Kon 1+2, BakgrVar TOT).
        assert_eq!(m.observations.len(), 127 * 3);
        let o = obs(&m, "0180R001", "employment_rate");
        assert_eq!((o.level, o.year, o.value), (Level::Regso, 2024, Some(83.4)));
        assert!(
            o.item.starts_with("data[") && o.item.ends_with("] 000008AW"),
            "{}",
            o.item
        );
        assert_eq!(
            obs(&m, "0180R001", "registered_unemployed").value,
            Some(10.1)
        );
        assert_eq!(obs(&m, "0180R001", "long_term_unemployed").value, Some(1.9));
        let codes: Vec<&str> = m.unmapped.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "000008AX", "000008AY", "000008AZ", "000008B0", "000008B2", "000008B3", "000008B5",
                "000008B6"
            ]
        );
        assert!(m.unmapped.iter().all(|(_, n)| *n == 9525));
    }

    #[test]
    fn maps_real_eligibility_and_income_tables() {
        let map = catalogue();
        let m = map.apply(&read("stockholm/IntGr8RegSOKon2.json")).unwrap();
        assert_eq!(m.observations.len(), 127 * 2);
        let o = obs(&m, "0180R001", "eligible_upper_secondary");
        assert_eq!((o.year, o.value), (2023, Some(96.0)));
        assert!(m.unmapped.is_empty());
        assert_eq!(m.skipped_cells, 127 * 2 * 2);

        let m = map.apply(&read("vaxjo/IntGr5RegSOKon.json")).unwrap();
        assert_eq!(obs(&m, "0780R001", "low_earned_income").value, Some(16.2));
        assert_eq!(
            obs(&m, "0780R001", "median_disposable_income").value,
            Some(3.6)
        );
        assert_eq!(
            obs(&m, "0780R001", "long_term_income_support").value,
            Some(4.4)
        );
        let m = map.apply(&read("vaxjo/IntGr4RegSOKon.json")).unwrap();
        assert_eq!(obs(&m, "0780R001", "income_support").value, Some(3.9));
        let m = map.apply(&read("vaxjo/IntGr8RegSOKON1N.json")).unwrap();
        assert_eq!(obs(&m, "0780R001", "neet_20_64").value, Some(28.9));
        let m = map.apply(&read("goteborg/FolkmangdRegSO.json")).unwrap();
        assert_eq!(m.observations.len(), 147);
        assert!(m.observations.iter().all(|o| o.year == 2009));
        let m = map.apply(&read("kalmar/IntGr8RegSOKON3.json")).unwrap();
        assert_eq!(m.observations.len(), 17);
        assert!(m.observations.iter().any(|o| o.value.is_none()));
    }

    #[test]
    fn unmappable_file_is_an_error() {
        let err = catalogue()
            .apply(&read("vaxjo/IntGr3RegSOKONU.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("IntGr3RegSOKONU.json"), "{err}");
        assert!(err.contains("no value column of"), "{err}");
        assert!(err.contains("known content codes: 000004UZ"), "{err}");
    }

    fn cell(item: &str, region: &str, slice: &[(&str, &str)]) -> StatCell {
        StatCell {
            item: item.into(),
            region: region.into(),
            year: 2023,
            content: "000004VC".into(),
            slice: slice
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            value: Some(1.0),
        }
    }

    fn table(cells: Vec<StatCell>) -> StatTable {
        StatTable {
            file: "x.json".into(),
            title: None,
            cells,
        }
    }

    #[test]
    fn ambiguous_unknown_region_and_duplicates() {
        let map = catalogue();
        // A dimension the slice does not fix, with two values.
        let err = map
            .apply(&table(vec![
                cell(
                    "data[0]",
                    "0180R001",
                    &[("Bakgrund", "1+2"), ("Alder", "0-19")],
                ),
                cell(
                    "data[1]",
                    "0180R001",
                    &[("Bakgrund", "1+2"), ("Alder", "20-64")],
                ),
            ]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.json, data[0], field 'Alder': content 000004VC"),
            "{err}"
        );
        assert!(err.contains("ambiguous"), "{err}");
        // ... with one value it is fine.
        let m = map
            .apply(&table(vec![cell(
                "data[0]",
                "0180R001",
                &[("Bakgrund", "1+2"), ("Alder", "0-19")],
            )]))
            .unwrap();
        assert_eq!(m.observations.len(), 1);
        // Unknown region code shape.
        let err = map
            .apply(&table(vec![cell(
                "data[3]",
                "Rinkeby",
                &[("Bakgrund", "1+2")],
            )]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.json, data[3], field 'Region': 'Rinkeby' is not an SCB region code"),
            "{err}"
        );
        // The same area twice (with and without the version suffix).
        let err = map
            .apply(&table(vec![
                cell("data[0]", "0180R001", &[("Bakgrund", "1+2")]),
                cell("data[5]", "0180R001_RegSO2025", &[("Bakgrund", "1+2")]),
            ]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "x.json, data[5], field '000004VC': second value for regso 0180R001, indicator 'eligible_upper_secondary', year 2023: also at data[0] (000004VC)"
        );
        // A slice dimension the file does not have.
        let err = map
            .apply(&table(vec![cell("data[0]", "0180R001", &[("Kon", "1+2")])]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.json, data[0], field 'Bakgrund':"),
            "{err}"
        );
    }

    #[test]
    fn invalid_mappings_name_file_entry_and_field() {
        let ind = |id: &str, extra: &str| {
            format!(
                "[[indicator]]\nid = \"{id}\"\nname_sv = \"a\"\nname_en = \"a\"\nunit = \"persons\"\ndefinition_en = \"a\"\naggregation = \"sum\"\ndecimals = 0\nsource_table = [\"T\"]\nsource = \"s\"\nlicence = \"CC0\"\n{extra}\n"
            )
        };
        let p = Path::new("ind.toml");
        let err = |t: String| Mapping::parse(p, &t).unwrap_err().to_string();
        let e = err(ind("pop", "") + &ind("pop", ""));
        assert_eq!(
            e,
            "ind.toml, indicator[1] (pop), field 'id': duplicate id 'pop' (also indicator[0])"
        );
        let e = err(ind("Pop", ""));
        assert_eq!(
            e,
            "ind.toml, indicator[0] (Pop), field 'id': 'Pop' is not snake_case"
        );
        let e = err(ind("pop", "") + "[[source]]\ncontent = \"X\"\nindicator = \"nope\"\n");
        assert_eq!(
            e,
            "ind.toml, source[0] (X), field 'indicator': unknown indicator 'nope'"
        );
        let e = err(ind("pop", "").replace("\"sum\"", "\"median\""));
        assert!(
            e.starts_with("ind.toml, line 7: invalid mapping: unknown variant `median`"),
            "{e}"
        );
        let e = err(ind("rate", "weight = \"nope\"").replace("\"sum\"", "\"weighted_mean\""));
        assert!(
            e.starts_with("ind.toml, indicator[0] (rate), field 'weight'"),
            "{e}"
        );
    }
}
