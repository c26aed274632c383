//! The district registry: `programmes.csv`, `districts.csv` and `memberships.csv`.
//!
//! A registry is complete: importing one replaces the districts, programmes and memberships
//! in the database. Every row is checked (ids, codes, references between the three files,
//! and that every RegSO code and municipality exists in the database) before anything is
//! written.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sqlx::{Acquire, Postgres};

use super::batch::{Batch, ImportReport};
use super::{ImportError, Location};

pub const PROGRAMMES: &str = "programmes.csv";
pub const DISTRICTS: &str = "districts.csv";
pub const MEMBERSHIPS: &str = "memberships.csv";

#[derive(Debug, Clone, Deserialize)]
pub struct Programme {
    pub programme_id: String,
    pub name: String,
    pub period: String,
    pub description: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DistrictRow {
    pub district_id: String,
    pub name: String,
    pub kommun_code: String,
    #[serde(default)]
    pub kommun_name: Option<String>,
    pub regso_codes: String,
    pub mapping: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MembershipRow {
    pub district_id: String,
    pub programme_id: String,
    pub evidence: String,
    #[serde(default)]
    pub note: Option<String>,
    /// Optional: where the membership is documented. Defaults to the programme's source.
    #[serde(default)]
    pub source: Option<String>,
}

/// A parsed, internally consistent registry (not yet checked against the database).
#[derive(Debug, Clone)]
pub struct Registry {
    pub programmes: Vec<(u64, Programme)>,
    pub districts: Vec<(u64, DistrictRow, Vec<String>)>,
    pub memberships: Vec<(u64, MembershipRow)>,
    pub files: Vec<PathBuf>,
}

/// Reads one CSV file into rows, each with its line number.
fn read_csv<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<(u64, T)>, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::read(path, e))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| ImportError::invalid(Location::file(path), format!("not UTF-8 text: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            ImportError::invalid(Location::file(path).line(1), format!("bad header: {e}"))
        })?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ImportError::invalid(Location::file(path).line(line), e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let row: T = record.deserialize(Some(&headers)).map_err(|e| {
            let field = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => match err.kind() {
                    csv::DeserializeErrorKind::Message(m) if m.starts_with("missing field") => m
                        .trim_start_matches("missing field ")
                        .trim_matches('`')
                        .to_string(),
                    _ => err
                        .field()
                        .and_then(|i| headers.get(i as usize))
                        .unwrap_or("?")
                        .to_string(),
                },
                _ => "?".to_string(),
            };
            ImportError::invalid(Location::file(path).line(line).field(field), e.to_string())
        })?;
        rows.push((line, row));
    }
    Ok(rows)
}

fn require(path: &Path, line: u64, field: &str, value: &str) -> Result<(), ImportError> {
    if value.trim().is_empty() {
        return Err(ImportError::invalid(
            Location::file(path).line(line).field(field),
            "must not be empty",
        ));
    }
    Ok(())
}

fn is_slug(s: &str, sep: char) -> bool {
    !s.is_empty()
        && s.split(sep).all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn is_regso(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'R'
        && b[5..].iter().all(u8::is_ascii_digit)
}

impl Registry {
    /// Reads and checks the three files in `dir`.
    pub fn read(dir: &Path) -> Result<Registry, ImportError> {
        let p_path = dir.join(PROGRAMMES);
        let d_path = dir.join(DISTRICTS);
        let m_path = dir.join(MEMBERSHIPS);
        for path in [&p_path, &d_path, &m_path] {
            if !path.is_file() {
                return Err(ImportError::invalid(
                    Location::file(path),
                    format!(
                        "missing: a registry directory holds {PROGRAMMES}, {DISTRICTS} and {MEMBERSHIPS}"
                    ),
                ));
            }
        }

        let programmes: Vec<(u64, Programme)> = read_csv(&p_path)?;
        let mut programme_lines = HashMap::new();
        for (line, p) in &programmes {
            if !is_slug(&p.programme_id, '_') {
                return Err(ImportError::invalid(
                    Location::file(&p_path).line(*line).field("programme_id"),
                    format!("'{}' is not a lower-case id (a-z, 0-9, _)", p.programme_id),
                ));
            }
            for (field, value) in [
                ("name", &p.name),
                ("period", &p.period),
                ("source", &p.source),
            ] {
                require(&p_path, *line, field, value)?;
            }
            if let Some(first) = programme_lines.insert(p.programme_id.clone(), *line) {
                return Err(ImportError::invalid(
                    Location::file(&p_path).line(*line).field("programme_id"),
                    format!(
                        "duplicate programme id '{}' (first on line {first})",
                        p.programme_id
                    ),
                ));
            }
        }

        let rows: Vec<(u64, DistrictRow)> = read_csv(&d_path)?;
        let mut district_lines = HashMap::new();
        let mut districts = Vec::with_capacity(rows.len());
        for (line, d) in rows {
            let at = |field: &str| Location::file(&d_path).line(line).field(field);
            if !is_slug(&d.district_id, '-') {
                return Err(ImportError::invalid(
                    at("district_id"),
                    format!("'{}' is not a lower-case id (a-z, 0-9, -)", d.district_id),
                ));
            }
            if let Some(first) = district_lines.insert(d.district_id.clone(), line) {
                return Err(ImportError::invalid(
                    at("district_id"),
                    format!(
                        "duplicate district id '{}' (first on line {first})",
                        d.district_id
                    ),
                ));
            }
            require(&d_path, line, "name", &d.name)?;
            if d.kommun_code.len() != 4 || !d.kommun_code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ImportError::invalid(
                    at("kommun_code"),
                    format!("'{}' is not a 4-digit municipality code", d.kommun_code),
                ));
            }
            if !matches!(d.mapping.as_str(), "approximate" | "exact") {
                return Err(ImportError::invalid(
                    at("mapping"),
                    format!("'{}' must be 'approximate' or 'exact'", d.mapping),
                ));
            }
            let mut codes = BTreeSet::new();
            for code in d.regso_codes.split('|').map(str::trim) {
                if !is_regso(code) {
                    return Err(ImportError::invalid(
                        at("regso_codes"),
                        format!("'{code}' is not a RegSO code like 0180R076"),
                    ));
                }
                if !code.starts_with(&d.kommun_code) {
                    return Err(ImportError::invalid(
                        at("regso_codes"),
                        format!("RegSO {code} is not in municipality {}", d.kommun_code),
                    ));
                }
                codes.insert(code.to_string());
            }
            districts.push((line, d, codes.into_iter().collect()));
        }

        let memberships: Vec<(u64, MembershipRow)> = read_csv(&m_path)?;
        let mut seen = HashMap::new();
        for (line, m) in &memberships {
            let at = |field: &str| Location::file(&m_path).line(*line).field(field);
            if !district_lines.contains_key(&m.district_id) {
                return Err(ImportError::invalid(
                    at("district_id"),
                    format!("district '{}' is not in {DISTRICTS}", m.district_id),
                ));
            }
            if !programme_lines.contains_key(&m.programme_id) {
                return Err(ImportError::invalid(
                    at("programme_id"),
                    format!("programme '{}' is not in {PROGRAMMES}", m.programme_id),
                ));
            }
            if !matches!(m.evidence.as_str(), "sourced" | "reconstructed") {
                return Err(ImportError::invalid(
                    at("evidence"),
                    format!("'{}' must be 'sourced' or 'reconstructed'", m.evidence),
                ));
            }
            if let Some(first) = seen.insert((m.district_id.clone(), m.programme_id.clone()), *line)
            {
                return Err(ImportError::invalid(
                    at("programme_id"),
                    format!(
                        "'{}' is listed in '{}' twice (first on line {first})",
                        m.district_id, m.programme_id
                    ),
                ));
            }
        }

        Ok(Registry {
            programmes,
            districts,
            memberships,
            files: vec![p_path, d_path, m_path],
        })
    }

    /// Replaces the registry in the database with this one, in one transaction.
    pub async fn write<'c>(
        &self,
        conn: impl Acquire<'c, Database = Postgres>,
        dir: &Path,
    ) -> Result<ImportReport, ImportError> {
        let d_path = dir.join(DISTRICTS);
        let mut batch = Batch::begin(conn, "registry", dir, &self.files).await?;
        let db = |source| ImportError::Database {
            file: dir.to_path_buf(),
            source,
        };
        let tx = &mut batch.tx;

        // Every referenced municipality and RegSO area must exist.
        let kommun_codes: Vec<String> = self
            .districts
            .iter()
            .map(|(_, d, _)| d.kommun_code.clone())
            .collect();
        let known_kommuner: BTreeSet<String> =
            sqlx::query_scalar("SELECT code FROM municipalities WHERE code = ANY($1)")
                .bind(&kommun_codes)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?
                .into_iter()
                .collect();
        let all_codes: Vec<String> = self
            .districts
            .iter()
            .flat_map(|(_, _, c)| c.clone())
            .collect();
        let known_areas: BTreeSet<String> =
            sqlx::query_scalar("SELECT code FROM areas WHERE level = 'regso' AND code = ANY($1)")
                .bind(&all_codes)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?
                .into_iter()
                .collect();
        for (line, d, codes) in &self.districts {
            if !known_kommuner.contains(&d.kommun_code) {
                return Err(ImportError::invalid(
                    Location::file(&d_path).line(*line).field("kommun_code"),
                    format!(
                        "municipality {} is not in the database; import the municipalities first",
                        d.kommun_code
                    ),
                ));
            }
            if let Some(code) = codes.iter().find(|c| !known_areas.contains(*c)) {
                return Err(ImportError::invalid(
                    Location::file(&d_path).line(*line).field("regso_codes"),
                    format!("unknown RegSO code {code}: no such area in the database (import the RegSO boundaries first)"),
                ));
            }
        }

        for sql in [
            "DELETE FROM memberships",
            "DELETE FROM district_areas",
            "DELETE FROM districts",
            "DELETE FROM programmes",
        ] {
            sqlx::query(sql).execute(&mut **tx).await.map_err(db)?;
        }
        let mut programme_source = HashMap::new();
        for (_, p) in &self.programmes {
            sqlx::query(
                "INSERT INTO programmes (id, name, period, description, source) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&p.programme_id)
            .bind(&p.name)
            .bind(&p.period)
            .bind(&p.description)
            .bind(&p.source)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            programme_source.insert(p.programme_id.as_str(), p.source.as_str());
        }
        for (_, d, codes) in &self.districts {
            sqlx::query(
                "INSERT INTO districts (id, name, kommun_code, mapping, batch_id) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&d.district_id)
            .bind(&d.name)
            .bind(&d.kommun_code)
            .bind(&d.mapping)
            .bind(batch.id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            sqlx::query(
                "INSERT INTO district_areas (district_id, level, area_code)
                 SELECT $1, 'regso', unnest($2::text[])",
            )
            .bind(&d.district_id)
            .bind(codes)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        for (_, m) in &self.memberships {
            let source = m
                .source
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| programme_source.get(m.programme_id.as_str()).copied())
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO memberships (district_id, programme_id, evidence, note, source)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&m.district_id)
            .bind(&m.programme_id)
            .bind(&m.evidence)
            .bind(m.note.as_deref().filter(|n| !n.trim().is_empty()))
            .bind(source)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        let rows = (self.programmes.len() + self.districts.len() + self.memberships.len()) as u64;
        batch.finish(rows, Vec::new()).await
    }
}
