//! Boundary files: GeoPackage and GeoJSON, in whatever CRS they declare, reprojected to
//! SWEREF 99 TM (EPSG:3006) with PROJ.
//!
//! - GeoPackage: the one table that `gpkg_contents` lists as `features`; its geometry column and
//!   srs_id from `gpkg_geometry_columns`; the srs must be an EPSG one in `gpkg_spatial_ref_sys`.
//! - GeoJSON: a FeatureCollection in CRS84 (RFC 7946), or in the CRS its legacy `crs` member
//!   names (`urn:ogc:def:crs:EPSG::3006`, `EPSG:3006`, ...).
//!
//! Attributes are found case-insensitively by kind (see [`FieldNames`] for overrides), codes are
//! checked and kept as text, and geometries must be (multi)polygons. Invalid geometry is not
//! repaired here (the database writer does `ST_MakeValid`); empty ones and rings with fewer than
//! 4 points are rejected.

use std::collections::HashMap;
use std::path::Path;

use crate::import::{ImportError, Location};

mod crs;
mod fields;
mod geojson;
mod gpkg;
#[cfg(test)]
mod tests;

pub use crs::SWEREF99TM;

/// What a boundary file holds; decides which attribute names are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BoundaryKind {
    /// Municipalities (kommuner), e.g. SCB's `Kommun_Sweref99TM.gpkg`.
    Kommuner,
    /// Regional statistical areas, e.g. SCB's `RegSO_2025.gpkg`.
    Regso,
    /// Demographic statistical areas (DeSO).
    Deso,
}

/// Optional overrides of the attribute names to read.
#[derive(Debug, Clone, Default)]
pub struct FieldNames {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kommun: Option<String>,
}

/// One boundary feature, geometry in EPSG:3006.
#[derive(Debug, Clone)]
pub struct BoundaryFeature {
    /// 1-based position in the file, for error messages.
    pub index: usize,
    pub code: String,
    pub name: String,
    /// The 4-digit municipality code (for kommuner: equal to `code`).
    pub kommun_code: String,
    pub geometry: geo_types::MultiPolygon<f64>,
}

/// Reads every feature of a GeoPackage (`.gpkg`) or GeoJSON (`.geojson`, `.json`) file,
/// reprojected to EPSG:3006. Errors name the file and, where there is one, the feature
/// (1-based, with its code where known) and the field.
pub async fn read_boundaries(
    path: &Path,
    kind: BoundaryKind,
    fields: &FieldNames,
) -> Result<Vec<BoundaryFeature>, ImportError> {
    let raw = match Format::of(path)? {
        Format::GeoPackage => gpkg::read(path).await?,
        Format::GeoJson => geojson::read(path).await?,
    };
    finish(path, kind, fields, raw)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    GeoPackage,
    GeoJson,
}

impl Format {
    fn of(path: &Path) -> Result<Self, ImportError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("gpkg") => Ok(Format::GeoPackage),
            Some("geojson" | "json") => Ok(Format::GeoJson),
            _ => Err(ImportError::invalid(
                Location::file(path),
                "unknown boundary file format: expected a GeoPackage (.gpkg) or GeoJSON \
                 (.geojson, .json) file",
            )),
        }
    }
}

/// A file as read, before attributes are interpreted and geometries decoded.
struct RawFile {
    epsg: u32,
    /// How the file names its CRS, for messages.
    crs_label: String,
    /// Where the file names its CRS, for messages.
    crs_location: Location,
    /// The geometry column or member, for messages.
    geometry_field: String,
    features: Vec<RawFeature>,
}

struct RawFeature {
    /// 1-based.
    index: usize,
    /// Every attribute, as text; `None` for null.
    properties: Vec<(String, Option<String>)>,
    geometry: RawGeometry,
}

enum RawGeometry {
    Gpkg(Option<Vec<u8>>),
    GeoJson(Option<serde_json::Value>),
}

/// Interprets attributes, checks codes, decodes, checks and reprojects geometries.
fn finish(
    path: &Path,
    kind: BoundaryKind,
    fields: &FieldNames,
    raw: RawFile,
) -> Result<Vec<BoundaryFeature>, ImportError> {
    let candidates = fields::Candidates::new(kind, fields);
    let to_sweref = crs::ToSweref::new(raw.epsg, &raw.crs_label, &raw.crs_location)?;
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(raw.features.len());
    let mut out = Vec::with_capacity(raw.features.len());
    for feature in raw.features {
        let n = feature.index;
        let props = &feature.properties;
        let at =
            |code: Option<&str>, field: &str| Location::file(path).feature(n, code).field(field);

        // Code.
        let (code_field, code) = match fields::lookup(props, &candidates.code) {
            None => {
                return Err(ImportError::invalid(
                    at(None, &fields::describe(&candidates.code)),
                    "the code attribute is missing",
                ))
            }
            Some((f, v)) => (f, v.map(str::trim).unwrap_or_default()),
        };
        if code.is_empty() {
            return Err(ImportError::invalid(
                at(None, code_field),
                "the code is empty",
            ));
        }
        fields::check_code(kind, code)
            .map_err(|m| ImportError::invalid(at(Some(code), code_field), m))?;
        if let Some(first) = seen.insert(code.to_string(), n) {
            return Err(ImportError::invalid(
                at(Some(code), code_field),
                format!("duplicate code {code}: feature {first} has the same code"),
            ));
        }

        // Name.
        let name = match fields::lookup(props, &candidates.name) {
            Some((f, v)) => {
                let v = v.map(str::trim).unwrap_or_default();
                if v.is_empty() && candidates.name_required {
                    return Err(ImportError::invalid(at(Some(code), f), "the name is empty"));
                }
                v
            }
            None if candidates.name_required => {
                return Err(ImportError::invalid(
                    at(Some(code), &fields::describe(&candidates.name)),
                    "the name attribute is missing",
                ))
            }
            None => "",
        };
        let name = if name.is_empty() { code } else { name };

        // Municipality.
        let kommun_code = if kind == BoundaryKind::Kommuner {
            code.to_string()
        } else {
            // The code passed check_code, so it starts with 4 ASCII digits.
            let prefix = code.get(..4).unwrap_or(code);
            let given = fields::lookup(props, &candidates.kommun)
                .and_then(|(f, v)| v.map(|v| (f, v.trim())))
                .filter(|(_, v)| !v.is_empty());
            if given.is_none() && fields.kommun.is_some() {
                return Err(ImportError::invalid(
                    at(Some(code), &fields::describe(&candidates.kommun)),
                    "the municipality code attribute is missing or empty",
                ));
            }
            if let Some((f, v)) = given {
                if !fields::is_kommun_code(v) {
                    return Err(ImportError::invalid(
                        at(Some(code), f),
                        format!("invalid municipality code '{v}': expected 4 digits, e.g. 0180"),
                    ));
                }
                if v != prefix {
                    return Err(ImportError::invalid(
                        at(Some(code), f),
                        format!(
                            "municipality code {v} does not match the code {code}, \
                             whose first 4 digits are {prefix}"
                        ),
                    ));
                }
            }
            prefix.to_string()
        };

        // Geometry.
        let geometry_at = || at(Some(code), &raw.geometry_field);
        let geometry = decode_geometry(&feature.geometry)
            .map_err(|m| ImportError::invalid(geometry_at(), m))?;
        let mut geometry =
            check_geometry(geometry).map_err(|m| ImportError::invalid(geometry_at(), m))?;
        to_sweref.apply(&mut geometry).map_err(|m| {
            ImportError::invalid(geometry_at(), format!("from {}: {m}", raw.crs_label))
        })?;

        out.push(BoundaryFeature {
            index: n,
            code: code.to_string(),
            name: name.to_string(),
            kommun_code,
            geometry,
        });
    }
    Ok(out)
}

fn decode_geometry(raw: &RawGeometry) -> Result<geo_types::Geometry<f64>, String> {
    match raw {
        RawGeometry::Gpkg(Some(blob)) if !blob.is_empty() => gpkg::decode(blob),
        RawGeometry::GeoJson(Some(value)) => geojson::to_geo(value),
        RawGeometry::Gpkg(_) | RawGeometry::GeoJson(None) => {
            Err("the feature has no geometry".to_string())
        }
    }
}

/// Accepts Polygon and MultiPolygon (as MultiPolygon); rejects empty geometries and rings with
/// fewer than 4 points. Does not repair anything.
fn check_geometry(
    geometry: geo_types::Geometry<f64>,
) -> Result<geo_types::MultiPolygon<f64>, String> {
    use geo_types::Geometry as G;
    let mp = match geometry {
        G::Polygon(p) => geo_types::MultiPolygon(vec![p]),
        G::MultiPolygon(mp) => mp,
        other => {
            let kind = match other {
                G::Point(_) => "Point",
                G::Line(_) | G::LineString(_) => "LineString",
                G::MultiPoint(_) => "MultiPoint",
                G::MultiLineString(_) => "MultiLineString",
                G::GeometryCollection(_) => "GeometryCollection",
                G::Rect(_) => "Rect",
                G::Triangle(_) => "Triangle",
                G::Polygon(_) | G::MultiPolygon(_) => "Polygon",
            };
            return Err(format!(
                "the geometry is a {kind}; expected Polygon or MultiPolygon"
            ));
        }
    };
    if mp.0.is_empty() {
        return Err("the geometry is empty".to_string());
    }
    for (i, polygon) in mp.0.iter().enumerate() {
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        for (r, ring) in rings.enumerate() {
            if ring.0.len() < 4 {
                let which = if r == 0 {
                    "exterior ring".to_string()
                } else {
                    format!("interior ring {r}")
                };
                return Err(if ring.0.is_empty() && r == 0 {
                    format!("polygon {} is empty", i + 1)
                } else {
                    format!(
                        "polygon {}, {which} has {} points; at least 4 are needed",
                        i + 1,
                        ring.0.len()
                    )
                });
            }
        }
    }
    Ok(mp)
}
