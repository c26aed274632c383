//! Reprojection to SWEREF 99 TM (EPSG:3006) with PROJ.
//!
//! `Proj::new_known_crs` normalises the axis order for visualisation, so geographic CRSs take
//! and give (longitude, latitude) and SWEREF 99 TM (easting, northing), whatever the EPSG
//! definition's axis order is (EPSG:4326 is officially latitude first).

use geo_types::{LineString, MultiPolygon};
use proj::{Info, Proj, ProjBuilder};

use crate::import::{ImportError, Location};

/// The CRS of everything the readers return.
pub const SWEREF99TM: u32 = 3006;

/// A transformation from a file's CRS to EPSG:3006, or none when the file is in EPSG:3006.
pub(super) struct ToSweref {
    proj: Option<Proj>,
}

impl ToSweref {
    /// Builds the transformation from `EPSG:{epsg}`; `crs_label` is how the file named its
    /// CRS and `location` where (the file, and its `crs` member or geometry column), for the
    /// error message.
    pub fn new(epsg: u32, crs_label: &str, location: &Location) -> Result<Self, ImportError> {
        if epsg == SWEREF99TM {
            return Ok(ToSweref { proj: None });
        }
        let from = format!("EPSG:{epsg}");
        let to = format!("EPSG:{SWEREF99TM}");
        match Proj::new_known_crs(&from, &to, None) {
            Ok(proj) => Ok(ToSweref { proj: Some(proj) }),
            Err(err) => Err(ImportError::Crs {
                location: location.clone(),
                message: if proj_database_missing() {
                    proj_database_message(crs_label, &err.to_string())
                } else {
                    let named = if crs_label == from {
                        from.clone()
                    } else {
                        format!("{crs_label} ({from})")
                    };
                    format!(
                        "{named}: PROJ does not know EPSG code {epsg} or cannot transform it \
                         to EPSG:{SWEREF99TM} ({err})"
                    )
                },
            }),
        }
    }

    #[cfg(test)]
    pub fn is_identity(&self) -> bool {
        self.proj.is_none()
    }

    /// Transforms every coordinate of `geometry` in place. The error message (for the caller
    /// to put in a feature's location) says what went wrong; non-finite results are errors.
    pub fn apply(&self, geometry: &mut MultiPolygon<f64>) -> Result<(), String> {
        for polygon in geometry.0.iter_mut() {
            let mut result = Ok(());
            polygon.exterior_mut(|ring| result = self.ring(ring));
            result?;
            let mut result = Ok(());
            polygon.interiors_mut(|rings| {
                for ring in rings {
                    result = self.ring(ring);
                    if result.is_err() {
                        return;
                    }
                }
            });
            result?;
        }
        Ok(())
    }

    fn ring(&self, ring: &mut LineString<f64>) -> Result<(), String> {
        if let Some(proj) = &self.proj {
            let mut points: Vec<(f64, f64)> = ring.0.iter().map(|c| (c.x, c.y)).collect();
            proj.convert_array(&mut points)
                .map_err(|e| format!("PROJ could not transform the coordinates: {e}"))?;
            for (c, (x, y)) in ring.0.iter_mut().zip(points) {
                c.x = x;
                c.y = y;
            }
        }
        if let Some(c) = ring.0.iter().find(|c| !c.x.is_finite() || !c.y.is_finite()) {
            return Err(if self.proj.is_some() {
                format!(
                    "a coordinate became ({}, {}) in EPSG:{SWEREF99TM}; is the file's CRS right?",
                    c.x, c.y
                )
            } else {
                format!("a coordinate is not a finite number: ({}, {})", c.x, c.y)
            });
        }
        Ok(())
    }
}

/// Whether PROJ fails even for a transformation every installation knows: then proj.db is
/// missing, not the file's CRS.
fn proj_database_missing() -> bool {
    Proj::new_known_crs("EPSG:4326", &format!("EPSG:{SWEREF99TM}"), None).is_err()
}

fn proj_database_message(crs_label: &str, err: &str) -> String {
    let searched = ProjBuilder::new()
        .info()
        .map(|i| i.searchpath)
        .unwrap_or_default();
    format!(
        "{crs_label} cannot be used: PROJ cannot find its database proj.db (searched: \
         {searched}); install the Debian \
         package proj-data (or set PROJ_DATA to the folder holding proj.db): {err}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, Coord};
    use std::path::Path;

    fn sweref_to_wgs84() -> Proj {
        Proj::new_known_crs("EPSG:3006", "EPSG:4326", None).unwrap()
    }

    /// Stockholm: SWEREF 99 TM E 674032, N 6580822. The project's issue text says "about
    /// 18.063 E, 59.334 N"; PROJ 9.1 says 18.0592 E, 59.3302 N, and the normalised axis
    /// order is (lon, lat) in and out.
    #[test]
    fn sweref_to_wgs84_is_lon_lat() {
        let (lon, lat) = sweref_to_wgs84()
            .convert((674032.0_f64, 6580822.0_f64))
            .unwrap();
        eprintln!("PROJ: E 674032 N 6580822 -> lon {lon:.6}, lat {lat:.6}");
        assert!((lon - 18.0592).abs() < 0.0005, "lon {lon}");
        assert!((lat - 59.3302).abs() < 0.0005, "lat {lat}");
    }

    #[test]
    fn wgs84_round_trip_within_a_millimetre() {
        let (lon, lat) = sweref_to_wgs84()
            .convert((674032.0_f64, 6580822.0_f64))
            .unwrap();
        let to = ToSweref::new(4326, "EPSG:4326", &Location::file("t.geojson")).unwrap();
        assert!(!to.is_identity());
        let mut mp = MultiPolygon(vec![polygon![
            (x: lon, y: lat),
            (x: lon + 0.01, y: lat),
            (x: lon, y: lat + 0.01),
            (x: lon, y: lat),
        ]]);
        to.apply(&mut mp).unwrap();
        let Coord { x, y } = mp.0[0].exterior().0[0];
        assert!((x - 674032.0).abs() < 0.001, "E {x}");
        assert!((y - 6580822.0).abs() < 0.001, "N {y}");
    }

    #[test]
    fn sweref_is_not_transformed() {
        let to = ToSweref::new(3006, "EPSG:3006", &Location::file("t.gpkg")).unwrap();
        assert!(to.is_identity());
        let mut mp = MultiPolygon(vec![polygon![
            (x: 1.0, y: 2.0), (x: 3.0, y: 2.0), (x: 1.0, y: 5.0), (x: 1.0, y: 2.0)
        ]]);
        to.apply(&mut mp).unwrap();
        assert_eq!(mp.0[0].exterior().0[1], Coord { x: 3.0, y: 2.0 });
    }

    #[test]
    fn unknown_epsg_code_names_code_and_file() {
        let err = ToSweref::new(
            99999,
            "EPSG:99999",
            &Location::file(Path::new("/x/odd.geojson")),
        )
        .err()
        .unwrap();
        let msg = err.to_string();
        assert!(matches!(err, ImportError::Crs { .. }), "{msg}");
        assert!(msg.contains("/x/odd.geojson"), "{msg}");
        assert!(msg.contains("99999"), "{msg}");
    }

    #[test]
    fn non_finite_output_is_an_error() {
        let to = ToSweref::new(3006, "EPSG:3006", &Location::file("t.gpkg")).unwrap();
        let mut mp = MultiPolygon(vec![polygon![
            (x: 1.0, y: 2.0), (x: f64::NAN, y: 2.0), (x: 1.0, y: 5.0), (x: 1.0, y: 2.0)
        ]]);
        assert!(to.apply(&mut mp).unwrap_err().contains("finite"));
    }
}
