//! SCB's CSV exports: PX-Web API v2 `outputFormat=csv` and the Statistical Database's web
//! download ("Statistikdatabasen").
//!
//! # Accepted files
//!
//! - **Encoding**: UTF-8 with or without BOM; a file that is not valid UTF-8 is read as
//!   Windows-1252 (a superset of ISO-8859-1), which SCB's web export has used.
//! - **Separator**: `;`, tab or `,`, sniffed from the first lines: the first of these that
//!   splits the header and the following lines into the same number (≥ 2) of fields.
//! - **Title lines**: lines before the header that do not have that many fields (PX-Web's
//!   `IncludeTitle`) are skipped; the first one becomes the title.
//! - **Numbers**: decimal comma or point; spaces as thousands separators; SCB's markers as
//!   described in the parent module (`..` → missing, `-` → 0).
//!
//! Headers are compared case-insensitively. Known dimension headers: `Region`/`region`
//! (required), time `Tid`/`år`/`year`, and any other column to the left of the values
//! (e.g. `kön`, `sex`, `Kon`, `bakgrundsvariabel`), which become the cell's slice under the
//! header text (the mapping folds SCB's Swedish and English labels onto the codes).
//!
//! Two layouts:
//!
//! - **(a) long**, one row per region and year: dimension columns, ending with the time
//!   column, then one value column per content. A value column's header is the content code
//!   (`000008AW`), code and text (`000008AW Andel förvärvsarbetande`) or the content text
//!   only (`Proportion employed persons`), which the mapping matches against its `text`
//!   labels.
//! - **(b) wide years**, no time column: dimension columns, then value columns headed
//!   `<content> <year>` (content as in (a), e.g. `000008AW 2024` or
//!   `Proportion employed persons 2024`).
//!
//! Region cells may be `code` or `code name` (`0180R076 Rinkeby`); the code is the first
//! word. Other dimension cells must carry SCB's value codes (PX-Web `UseCodes` or
//! `UseCodesAndTexts`, where the code is the first word), since the mapping's slices are
//! codes. Anything else is an error naming the file and the header.

use std::borrow::Cow;
use std::path::Path;

use super::{invalid_at, parse_value, parse_year, StatCell, StatTable};
use crate::import::{ImportError, Location};

/// Parses an SCB CSV export.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<StatTable, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text: Cow<str> = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let (delim, header_line) = sniff(&lines).ok_or_else(|| {
        ImportError::invalid(
            Location::file(file).item("header"),
            "no header line found: expected fields separated by ';', tab or ','",
        )
    })?;
    let title = lines[..header_line]
        .iter()
        .map(|l| l.trim().trim_matches('"').trim())
        .find(|l| !l.is_empty())
        .map(str::to_string);
    let body = lines[header_line..].join("\n");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(true)
        .from_reader(body.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| invalid_at(file, "header", "(header)", format!("unreadable: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let layout = Layout::of(file, &headers)?;

    let mut cells = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let row = n + 1;
        let item = format!("row {row}");
        let rec = rec.map_err(|e| invalid_at(file, &item, "(row)", format!("unreadable: {e}")))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != headers.len() {
            return Err(invalid_at(
                file,
                &item,
                "(row)",
                format!("{} fields, but the header has {}", rec.len(), headers.len()),
            ));
        }
        let field = |i: usize| rec.get(i).unwrap_or("").trim();
        let region = field(layout.region)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        if region.is_empty() {
            return Err(invalid_at(
                file,
                &item,
                &headers[layout.region],
                "empty region",
            ));
        }
        let row_year = match layout.time {
            Some(t) => {
                Some(parse_year(field(t)).map_err(|m| invalid_at(file, &item, &headers[t], m))?)
            }
            None => None,
        };
        let slice: Vec<(String, String)> = layout
            .dims
            .iter()
            .map(|&i| (headers[i].clone(), field(i).to_string()))
            .collect();
        for v in &layout.values {
            let raw = field(v.col);
            let value =
                parse_value(raw, true).map_err(|m| invalid_at(file, &item, &headers[v.col], m))?;
            let year = match (v.year, row_year) {
                (Some(y), _) | (None, Some(y)) => y,
                (None, None) => {
                    return Err(invalid_at(file, &item, &headers[v.col], "no year"));
                }
            };
            cells.push(StatCell {
                item: item.clone(),
                region: region.clone(),
                year,
                content: v.content.clone(),
                slice: slice.clone(),
                value,
            });
        }
    }
    if cells.is_empty() {
        return Err(ImportError::invalid(
            Location::file(file).item("row 1"),
            "the file has a header but no data rows",
        ));
    }
    Ok(StatTable {
        file: file.to_path_buf(),
        title,
        cells,
    })
}

/// The separator and the index of the header line.
fn sniff(lines: &[&str]) -> Option<(u8, usize)> {
    let nonempty: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .take(8)
        .map(|(i, l)| (i, *l))
        .collect();
    for d in [b';', b'\t', b','] {
        let count = |l: &str| split_count(l, d);
        // The most frequent number of fields (ties: the larger) is the table's ...
        let mut freq: Vec<(usize, usize)> = Vec::new();
        for (_, l) in &nonempty {
            let c = count(l);
            match freq.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += 1,
                None => freq.push((c, 1)),
            }
        }
        let &(want, _) = freq.iter().max_by_key(|(k, n)| (*n, *k))?;
        if want < 2 {
            continue;
        }
        // ... and the header is the first line with that many.
        if let Some(&(i, _)) = nonempty.iter().find(|(_, l)| count(l) == want) {
            return Some((d, i));
        }
    }
    None
}

/// Number of fields of a line, honouring double quotes.
fn split_count(line: &str, d: u8) -> usize {
    let mut n = 1;
    let mut quoted = false;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

struct ValueCol {
    col: usize,
    content: String,
    year: Option<i16>,
}

struct Layout {
    region: usize,
    time: Option<usize>,
    dims: Vec<usize>,
    values: Vec<ValueCol>,
}

fn is_region(h: &str) -> bool {
    h.eq_ignore_ascii_case("region")
}

fn is_time(h: &str) -> bool {
    matches!(h.to_lowercase().as_str(), "tid" | "år" | "year")
}

/// An SCB content code: 8 upper-case letters or digits, at least one digit.
fn is_content_code(s: &str) -> bool {
    s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_digit())
}

/// The content a value header names: the code where it starts with one, else the text.
fn content_of(h: &str) -> String {
    let first = h.split_whitespace().next().unwrap_or("");
    if is_content_code(first) {
        first.to_string()
    } else {
        h.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// `<content> <year>` → (content, year).
fn wide_header(h: &str) -> Option<(String, i16)> {
    let (content, year) = h.trim().rsplit_once(char::is_whitespace)?;
    let year = parse_year(year).ok()?;
    let content = content.trim();
    (!content.is_empty()).then(|| (content_of(content), year))
}

impl Layout {
    fn of(file: &Path, headers: &[String]) -> Result<Layout, ImportError> {
        let unknown = |why: &str| {
            ImportError::invalid(
                Location::file(file).item("header").field(headers.join(" | ")),
                format!(
                    "unknown CSV layout: {why}; accepted are (a) dimension columns ending with a time column (Tid/år/year) followed by value columns named by content code or text, and (b) dimension columns followed by value columns named '<content> <year>'"
                ),
            )
        };
        let region = headers
            .iter()
            .position(|h| is_region(h))
            .ok_or_else(|| unknown("no 'region' column"))?;
        let time = headers.iter().position(|h| is_time(h));
        let (first_value, values) = match time {
            Some(t) => {
                if t + 1 >= headers.len() {
                    return Err(unknown("no value column after the time column"));
                }
                let values = (t + 1..headers.len())
                    .map(|col| ValueCol {
                        col,
                        content: content_of(&headers[col]),
                        year: None,
                    })
                    .collect();
                (t + 1, values)
            }
            None => {
                let first = headers
                    .iter()
                    .position(|h| wide_header(h).is_some())
                    .ok_or_else(|| unknown("no time column and no '<content> <year>' column"))?;
                let mut values = Vec::new();
                for (col, h) in headers.iter().enumerate().skip(first) {
                    let (content, year) = wide_header(h).ok_or_else(|| {
                        unknown(&format!("value column '{h}' is not '<content> <year>'"))
                    })?;
                    values.push(ValueCol {
                        col,
                        content,
                        year: Some(year),
                    });
                }
                (first, values)
            }
        };
        if region >= first_value {
            return Err(unknown("the region column is not before the value columns"));
        }
        if let Some(v) = values.iter().find(|v| v.content.is_empty()) {
            return Err(unknown(&format!(
                "value column {} has no header",
                v.col + 1
            )));
        }
        let dims = (0..first_value)
            .filter(|&i| i != region && Some(i) != time)
            .collect();
        Ok(Layout {
            region,
            time,
            dims,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::scb::mapping::Mapping;
    use crate::import::scb::testdata::fixture;
    use crate::import::scb::{read_table, StatFormat};

    fn p(name: &str, text: &[u8]) -> Result<StatTable, ImportError> {
        parse(Path::new(name), text)
    }

    #[test]
    fn reads_long_layout_fixture_with_bom_and_decimal_comma() {
        let path = fixture("IntGr8RegSOKon2_long.csv");
        let t = read_table(&path, StatFormat::Auto).unwrap();
        assert_eq!(t.title.as_deref(), Some("Proportion of persons eligible for upper secondary school and higher education by RegSO and sex. Year 2023"));
        assert_eq!(t.cells.len(), 6 * 2);
        let c = &t.cells[0];
        assert_eq!(
            (c.item.as_str(), c.region.as_str(), c.year),
            ("row 1", "0180R001", 2023)
        );
        assert_eq!((c.content.as_str(), c.value), ("000004VC", Some(96.0)));
        assert_eq!(c.slice, vec![("background variable".into(), "1+2".into())]);
        assert_eq!(t.cells[2].value, None); // ..
        let m =
            Mapping::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/indicators.toml"))
                .unwrap()
                .apply(&t)
                .unwrap();
        assert_eq!(m.observations.len(), 4);
        assert_eq!(m.observations[0].value, Some(96.0));
        assert_eq!(m.observations[0].region, "0180R001");
    }

    #[test]
    fn reads_wide_years_with_texts_and_windows_1252() {
        // Windows-1252: 'ö' is 0xF6.
        let mut bytes =
            b"region;k\xF6n;Proportion employed persons 2023;Proportion employed persons 2024\r\n"
                .to_vec();
        bytes.extend_from_slice(b"\"0180R076 Rinkeby\";1+2 totalt;60,1;61,5\r\n");
        let t = p("w.csv", &bytes).unwrap();
        assert_eq!(t.cells.len(), 2);
        assert_eq!(t.cells[1].year, 2024);
        assert_eq!(t.cells[1].region, "0180R076");
        assert_eq!(t.cells[1].content, "Proportion employed persons");
        assert_eq!(t.cells[1].slice, vec![("kön".into(), "1+2 totalt".into())]);
        assert_eq!(t.cells[1].value, Some(61.5));
        // Tab-separated, comma variants.
        let t = p("t.tsv", b"Region\tTid\t000004W5\n0180R001\t2023\t31.1\n").unwrap();
        assert_eq!(t.cells[0].value, Some(31.1));
        let t = p("c.csv", b"region,year,000004W5\n0180R001,2023,\"31,1\"\n").unwrap();
        assert_eq!(t.cells[0].value, Some(31.1));
    }

    #[test]
    fn errors_name_file_row_and_field() {
        let path = fixture("bad_value.csv");
        let e = read_table(&path, StatFormat::Auto).unwrap_err().to_string();
        assert!(
            e.contains("bad_value.csv, row 2, field '000004VC': '12,3x' is not a number"),
            "{e}"
        );

        let e = p("u.csv", b"region;kon;something;else\n0180R001;1+2;1;2\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "u.csv, header, field 'region | kon | something | else': unknown CSV layout"
            ),
            "{e}"
        );
        let e = p("y.csv", b"region;Tid;000004W5\n0180R001;2023K1;1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("y.csv, row 1, field 'Tid': '2023K1' is not a year"),
            "{e}"
        );
        let e = p(
            "r.csv",
            b"region;Tid;000004W5\n0180R001;2023;1\n0180R002;2023\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "r.csv, row 2, field '(row)': 2 fields, but the header has 3"
        );
    }

    #[test]
    fn unknown_region_code_fixture() {
        let path = fixture("bad_region.csv");
        let t = read_table(&path, StatFormat::Auto).unwrap();
        let e =
            Mapping::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/indicators.toml"))
                .unwrap()
                .apply(&t)
                .unwrap_err()
                .to_string();
        assert!(
            e.contains(
                "bad_region.csv, row 2, field 'Region': 'Rinkeby' is not an SCB region code"
            ),
            "{e}"
        );
    }
}
