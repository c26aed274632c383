//! GeoJSON boundary files: one FeatureCollection, in CRS84 (RFC 7946) unless the legacy
//! (GeoJSON 2008) `crs` member names another CRS.

use std::path::Path;

use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use geojson::{Feature, PolygonType, Position};
use serde_json::Value;

use super::{RawFeature, RawFile, RawGeometry};
use crate::import::{ImportError, Location};

pub(super) async fn read(path: &Path) -> Result<RawFile, ImportError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| ImportError::read(path, e))?;
    parse(path, &bytes)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<RawFile, ImportError> {
    let invalid = |loc: Location, msg: String| ImportError::invalid(loc, msg);
    let root: Value = serde_json::from_slice(bytes).map_err(|e| {
        invalid(
            Location::file(path),
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Value::Object(mut root) = root else {
        return Err(invalid(
            Location::file(path),
            "not a GeoJSON FeatureCollection: the top level is not an object".into(),
        ));
    };
    match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {}
        other => {
            return Err(invalid(
                Location::file(path).field("type"),
                format!(
                    "not a GeoJSON FeatureCollection: type is {}",
                    other.map_or_else(|| "missing".to_string(), |t| format!("'{t}'"))
                ),
            ))
        }
    }
    let (epsg, crs_label) = crs(path, root.get("crs"))?;
    let Some(Value::Array(features)) = root.remove("features") else {
        return Err(invalid(
            Location::file(path).field("features"),
            "the FeatureCollection has no 'features' array".into(),
        ));
    };

    let mut out = Vec::with_capacity(features.len());
    for (i, value) in features.into_iter().enumerate() {
        let index = i + 1;
        let loc = || Location::file(path).feature(index, None);
        let Value::Object(mut object) = value else {
            return Err(invalid(loc(), "the feature is not a JSON object".into()));
        };
        // The geometry is parsed later, when the feature's code is known for messages.
        let geometry = match object.insert("geometry".to_string(), Value::Null) {
            None | Some(Value::Null) => None,
            Some(g) => Some(g),
        };
        let feature = Feature::from_json_object(object)
            .map_err(|e| invalid(loc(), format!("not a valid GeoJSON Feature: {e}")))?;
        let mut properties = Vec::new();
        for (key, value) in feature.properties.into_iter().flatten() {
            let text = match value {
                Value::Null => None,
                Value::String(s) => Some(s),
                other => Some(other.to_string()),
            };
            properties.push((key, text));
        }
        out.push(RawFeature {
            index,
            properties,
            geometry: RawGeometry::GeoJson(geometry),
        });
    }
    Ok(RawFile {
        epsg,
        crs_label,
        crs_location: Location::file(path).field("crs"),
        geometry_field: "geometry".to_string(),
        features: out,
    })
}

/// The EPSG code of the file's CRS: 4326 (taken in longitude, latitude order, as CRS84)
/// without a `crs` member, else the one it names.
fn crs(path: &Path, member: Option<&Value>) -> Result<(u32, String), ImportError> {
    let unsupported = |message: String| ImportError::Crs {
        location: Location::file(path).field("crs"),
        message,
    };
    let member = match member {
        None | Some(Value::Null) => return Ok((4326, "CRS84 (GeoJSON default)".to_string())),
        Some(m) => m,
    };
    let kind = member.get("type").and_then(Value::as_str);
    let props = member.get("properties");
    match kind {
        Some("name") => {
            let Some(name) = props.and_then(|p| p.get("name")).and_then(Value::as_str) else {
                return Err(unsupported(format!(
                    "a 'name' crs without properties.name: {member}"
                )));
            };
            match epsg_of_name(name) {
                Some(code) => Ok((code, name.to_string())),
                None => Err(unsupported(format!(
                    "'{name}' (expected an EPSG code such as urn:ogc:def:crs:EPSG::3006, \
                     EPSG:3006 or http://www.opengis.net/def/crs/EPSG/0/3006, or CRS84)"
                ))),
            }
        }
        Some("EPSG") => match props.and_then(|p| p.get("code")) {
            Some(code) => match code
                .as_u64()
                .or_else(|| code.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|c| u32::try_from(c).ok())
            {
                Some(c) if c > 0 => Ok((c, format!("EPSG:{c}"))),
                _ => Err(unsupported(format!("EPSG code {code}"))),
            },
            None => Err(unsupported(format!(
                "an 'EPSG' crs without properties.code: {member}"
            ))),
        },
        _ => Err(unsupported(format!(
            "{member} (only named crs members such as \
             {{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}}}} \
             are understood)"
        ))),
    }
}

/// EPSG code of a CRS name: `urn:ogc:def:crs:EPSG::3006` (also with a version between the
/// colons), `EPSG:3006`, `http://www.opengis.net/def/crs/EPSG/0/3006`; CRS84 names are 4326.
fn epsg_of_name(name: &str) -> Option<u32> {
    let n = name.trim();
    let lower = n.to_ascii_lowercase();
    let crs84 = [
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "ogc:crs84",
        "crs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "https://www.opengis.net/def/crs/ogc/1.3/crs84",
    ];
    if crs84.contains(&lower.as_str()) {
        return Some(4326);
    }
    let code = if let Some(rest) = lower.strip_prefix("urn:ogc:def:crs:epsg:") {
        // "urn:ogc:def:crs:EPSG::3006" or "urn:ogc:def:crs:EPSG:6.6:3006"
        rest.rsplit(':').next()
    } else if let Some(rest) = lower.strip_prefix("epsg:") {
        Some(rest)
    } else {
        lower
            .strip_prefix("http://www.opengis.net/def/crs/epsg/")
            .or_else(|| lower.strip_prefix("https://www.opengis.net/def/crs/epsg/"))
            .and_then(|rest| rest.rsplit('/').next())
    }?;
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok().filter(|c| *c > 0)
}

/// Converts a GeoJSON geometry object to geo-types; only positions with two or three finite
/// numbers are accepted. The error says what is wrong.
pub(super) fn to_geo(json: &Value) -> Result<Geometry<f64>, String> {
    let geometry = geojson::Geometry::from_json_value(json.clone())
        .map_err(|e| format!("not a valid GeoJSON geometry: {e}"))?;
    match &geometry.value {
        geojson::Value::Polygon(rings) => Ok(Geometry::Polygon(polygon(rings)?)),
        geojson::Value::MultiPolygon(polygons) => Ok(Geometry::MultiPolygon(MultiPolygon(
            polygons.iter().map(polygon).collect::<Result<_, _>>()?,
        ))),
        other => Err(format!(
            "the geometry is a {}; expected Polygon or MultiPolygon",
            other.type_name()
        )),
    }
}

fn polygon(rings: &PolygonType) -> Result<Polygon<f64>, String> {
    let mut rings = rings.iter().map(|r| ring(r));
    let exterior = rings
        .next()
        .transpose()?
        .unwrap_or_else(|| LineString(Vec::new()));
    let interiors = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn ring(positions: &[Position]) -> Result<LineString<f64>, String> {
    // Rings are checked for their number of points before geo-types closes them.
    if positions.len() < 4 {
        return Err(format!(
            "a polygon ring has {} positions; at least 4 are needed",
            positions.len()
        ));
    }
    positions
        .iter()
        .map(|p| match p.as_slice() {
            [x, y] | [x, y, _] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
            other => Err(format!("invalid position {other:?}")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crs_names() {
        for (name, code) in [
            ("urn:ogc:def:crs:EPSG::3006", Some(3006)),
            ("urn:ogc:def:crs:EPSG:6.6:3006", Some(3006)),
            ("EPSG:3006", Some(3006)),
            ("epsg:4326", Some(4326)),
            ("http://www.opengis.net/def/crs/EPSG/0/3006", Some(3006)),
            ("urn:ogc:def:crs:OGC:1.3:CRS84", Some(4326)),
            ("EPSG:99999", Some(99999)),
            ("EPSG:", None),
            ("ESRI:102100", None),
            ("urn:ogc:def:crs:EPSG::abc", None),
        ] {
            assert_eq!(epsg_of_name(name), code, "{name}");
        }
    }

    #[test]
    fn default_crs_is_crs84() {
        let p = Path::new("a.geojson");
        assert_eq!(crs(p, None).unwrap().0, 4326);
        let esri: Value = serde_json::json!({"type":"name","properties":{"name":"ESRI:102100"}});
        let msg = crs(p, Some(&esri)).unwrap_err().to_string();
        assert!(
            msg.contains("a.geojson") && msg.contains("ESRI:102100"),
            "{msg}"
        );
        assert!(msg.contains("'crs'"), "{msg}");
        let linked: Value = serde_json::json!({"type":"EPSG","properties":{"code":3006}});
        assert_eq!(crs(p, Some(&linked)).unwrap().0, 3006);
    }
}
