//! Query parameters of the features endpoints: parsed, validated and normalised here, so that
//! a bad request is answered with a problem document naming the parameter, and the cache key
//! and the links are built from the same canonical form.

use crate::http::ApiError;

/// The CRSs features can be returned in (and a bbox given in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS 84 longitude, latitude (the default of OGC API Features and GeoJSON).
    Crs84,
    /// SWEREF 99 TM, the stored CRS. Axis order northing, easting, as EPSG defines it.
    Sweref99Tm,
}

pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub const EPSG3006_URI: &str = "http://www.opengis.net/def/crs/EPSG/0/3006";
pub const SUPPORTED_CRS: [&str; 2] = [CRS84_URI, EPSG3006_URI];

impl Crs {
    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => CRS84_URI,
            Crs::Sweref99Tm => EPSG3006_URI,
        }
    }
    pub fn srid(self) -> i32 {
        match self {
            Crs::Crs84 => 4326,
            Crs::Sweref99Tm => 3006,
        }
    }
    fn parse(name: &str, value: &str) -> Result<Crs, ApiError> {
        match value {
            CRS84_URI => Ok(Crs::Crs84),
            EPSG3006_URI => Ok(Crs::Sweref99Tm),
            _ => Err(ApiError::bad_request(format!(
                "parameter `{name}`: unsupported CRS {value:?}; supported: {}",
                SUPPORTED_CRS.join(", ")
            ))),
        }
    }
}

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 10_000;

/// Which parameters a resource accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    /// `/collections/{id}/items` of kommuner or areas.
    Items,
    /// `/collections/districts/items`: also `programme` and `status`.
    DistrictItems,
    /// `/collections/{id}/items/{featureId}`.
    Feature,
    /// Documents without parameters (landing page, conformance, collections).
    Nothing,
}

impl Accepts {
    fn names(self) -> &'static [&'static str] {
        match self {
            Accepts::Items => &[
                "f", "limit", "offset", "bbox", "bbox-crs", "crs", "kommun", "year",
            ],
            Accepts::DistrictItems => &[
                "f",
                "limit",
                "offset",
                "bbox",
                "bbox-crs",
                "crs",
                "kommun",
                "year",
                "programme",
                "status",
            ],
            Accepts::Feature => &["f", "crs", "year"],
            Accepts::Nothing => &["f"],
        }
    }
}

/// District status filter values.
pub const STATUSES: [&str; 2] = ["original", "candidate"];

/// Validated query of a features request, in canonical form.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub f: Option<String>,
    /// `None`: not given (the default applies).
    pub limit: Option<i64>,
    pub offset: i64,
    /// As given: axis order of `bbox_crs` (lon,lat or northing,easting).
    pub bbox: Option<[f64; 4]>,
    pub bbox_crs: Option<Crs>,
    pub crs: Option<Crs>,
    pub kommun: Option<String>,
    pub year: Option<i32>,
    pub programme: Option<String>,
    pub status: Option<String>,
}

impl Query {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }
    pub fn crs(&self) -> Crs {
        self.crs.unwrap_or(Crs::Crs84)
    }
    pub fn bbox_crs(&self) -> Crs {
        self.bbox_crs.unwrap_or(Crs::Crs84)
    }
    /// The bbox as x,y (easting/longitude first) for ST_MakeEnvelope.
    pub fn bbox_xy(&self) -> Option<Vec<f64>> {
        self.bbox.map(|[a, b, c, d]| match self.bbox_crs() {
            Crs::Crs84 => vec![a, b, c, d],
            // EPSG:3006 axis 1 is northing, axis 2 easting.
            Crs::Sweref99Tm => vec![b, a, d, c],
        })
    }

    /// Parses `pairs` (decoded query pairs) for a resource accepting `accepts`.
    pub fn parse(pairs: &[(String, String)], accepts: Accepts) -> Result<Query, ApiError> {
        let allowed = accepts.names();
        let mut unknown: Vec<&str> = pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !allowed.contains(k))
            .collect();
        unknown.dedup();
        if !unknown.is_empty() {
            return Err(ApiError::bad_request(format!(
                "unknown query parameter{} {}; this resource accepts: {}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                allowed.join(", ")
            )));
        }
        let mut q = Query {
            f: None,
            limit: None,
            offset: 0,
            bbox: None,
            bbox_crs: None,
            crs: None,
            kommun: None,
            year: None,
            programme: None,
            status: None,
        };
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in pairs {
            if seen.contains(&k.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "parameter `{k}` is given more than once"
                )));
            }
            seen.push(k);
            let v = v.trim();
            match k.as_str() {
                "f" => {
                    if v != "json" && v != "geojson" {
                        return Err(ApiError::bad_request(format!(
                            "parameter `f`: unsupported format {v:?}; this API answers JSON only (f=json)"
                        )));
                    }
                    q.f = Some(v.to_string());
                }
                "limit" => {
                    let n: i64 = v.parse().map_err(|_| {
                        ApiError::bad_request(format!(
                            "parameter `limit`: {v:?} is not an integer (1..={MAX_LIMIT})"
                        ))
                    })?;
                    if !(1..=MAX_LIMIT).contains(&n) {
                        return Err(ApiError::bad_request(format!(
                            "parameter `limit`: {n} is outside 1..={MAX_LIMIT}"
                        )));
                    }
                    q.limit = Some(n);
                }
                "offset" => {
                    let n: i64 = v.parse().map_err(|_| {
                        ApiError::bad_request(format!(
                            "parameter `offset`: {v:?} is not a non-negative integer"
                        ))
                    })?;
                    if n < 0 {
                        return Err(ApiError::bad_request(format!(
                            "parameter `offset`: {n} is negative"
                        )));
                    }
                    q.offset = n;
                }
                "bbox" => q.bbox = Some(parse_bbox(v)?),
                "bbox-crs" => q.bbox_crs = Some(Crs::parse("bbox-crs", v)?),
                "crs" => q.crs = Some(Crs::parse("crs", v)?),
                "kommun" => {
                    if v.len() != 4 || !v.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(ApiError::bad_request(format!(
                            "parameter `kommun`: {v:?} is not a 4-digit municipality code (e.g. 0180)"
                        )));
                    }
                    q.kommun = Some(v.to_string());
                }
                "year" => {
                    let y: i32 = v.parse().map_err(|_| {
                        ApiError::bad_request(format!("parameter `year`: {v:?} is not a year"))
                    })?;
                    q.year = Some(y);
                }
                "programme" => {
                    if v.is_empty()
                        || !v
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    {
                        return Err(ApiError::bad_request(format!(
                            "parameter `programme`: {v:?} is not a programme id"
                        )));
                    }
                    q.programme = Some(v.to_string());
                }
                "status" => {
                    if !STATUSES.contains(&v) {
                        return Err(ApiError::bad_request(format!(
                            "parameter `status`: {v:?} is not one of {}",
                            STATUSES.join(", ")
                        )));
                    }
                    q.status = Some(v.to_string());
                }
                _ => {}
            }
        }
        if let (Some(bbox), Crs::Crs84) = (q.bbox, q.bbox_crs()) {
            let [x0, y0, x1, y1] = bbox;
            if [x0, x1].iter().any(|x| !(-180.0..=180.0).contains(x))
                || [y0, y1].iter().any(|y| !(-90.0..=90.0).contains(y))
            {
                return Err(ApiError::bad_request(
                    "parameter `bbox`: CRS84 coordinates must be longitude -180..180, latitude -90..90 \
                     (for SWEREF 99 TM give bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3006)",
                ));
            }
        }
        Ok(q)
    }

    /// The canonical parameters, in a fixed order, with `offset`/`limit` overridable (for the
    /// next and prev links). Used for links and as the cache key.
    pub fn canonical(&self, offset: Option<i64>, force_limit: bool) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        if let Some(f) = &self.f {
            out.push(("f", f.clone()));
        }
        if force_limit || self.limit.is_some() {
            out.push(("limit", self.limit().to_string()));
        }
        let off = offset.unwrap_or(self.offset);
        if offset.is_some() || off != 0 {
            out.push(("offset", off.to_string()));
        }
        if let Some(b) = self.bbox {
            out.push((
                "bbox",
                b.iter().map(f64::to_string).collect::<Vec<_>>().join(","),
            ));
        }
        if let Some(c) = self.bbox_crs {
            out.push(("bbox-crs", c.uri().to_string()));
        }
        if let Some(c) = self.crs {
            out.push(("crs", c.uri().to_string()));
        }
        for (name, v) in [
            ("kommun", &self.kommun),
            ("programme", &self.programme),
            ("status", &self.status),
        ] {
            if let Some(v) = v {
                out.push((name, v.clone()));
            }
        }
        if let Some(y) = self.year {
            out.push(("year", y.to_string()));
        }
        out
    }
}

fn parse_bbox(v: &str) -> Result<[f64; 4], ApiError> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    if parts.len() != 4 {
        return Err(ApiError::bad_request(format!(
            "parameter `bbox`: {v:?} must be 4 comma-separated numbers minx,miny,maxx,maxy \
             (axis order of bbox-crs; 3D boxes are not supported)"
        )));
    }
    let mut b = [0.0; 4];
    for (slot, p) in b.iter_mut().zip(&parts) {
        *slot = p
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                ApiError::bad_request(format!("parameter `bbox`: {p:?} is not a number"))
            })?;
    }
    if b[0] > b[2] || b[1] > b[3] {
        return Err(ApiError::bad_request(format!(
            "parameter `bbox`: {v:?} has a lower corner above or right of the upper corner \
             (needs minx<=maxx and miny<=maxy)"
        )));
    }
    Ok(b)
}

/// `k=v&k=v`, percent-encoding what must be in a query string.
pub fn encode_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn err(q: &[(&str, &str)], accepts: Accepts) -> String {
        match Query::parse(&pairs(q), accepts) {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_parameters_naming_them() {
        assert!(err(&[("limit", "0")], Accepts::Items).contains("`limit`"));
        assert!(err(&[("limit", "10001")], Accepts::Items).contains("`limit`"));
        assert!(err(&[("limit", "x")], Accepts::Items).contains("`limit`"));
        assert!(err(&[("offset", "-1")], Accepts::Items).contains("`offset`"));
        assert!(err(&[("bbox", "1,2,3")], Accepts::Items).contains("`bbox`"));
        assert!(err(&[("bbox", "3,2,1,4")], Accepts::Items).contains("`bbox`"));
        assert!(err(&[("bbox", "1,2,nan,4")], Accepts::Items).contains("`bbox`"));
        assert!(err(&[("crs", "EPSG:4326")], Accepts::Items).contains(CRS84_URI));
        assert!(err(&[("status", "x")], Accepts::DistrictItems).contains("`status`"));
        assert!(err(&[("status", "original")], Accepts::Items).contains("`status`"));
        assert!(err(&[("foo", "1")], Accepts::Items).contains("`foo`"));
        assert!(err(&[("kommun", "180")], Accepts::Items).contains("`kommun`"));
        assert!(err(&[("limit", "1"), ("limit", "2")], Accepts::Items).contains("`limit`"));
        assert!(err(&[("limit", "1")], Accepts::Feature).contains("`limit`"));
    }

    #[test]
    fn sweref_bbox_is_northing_easting() {
        let q = Query::parse(
            &pairs(&[
                ("bbox", "6580000,670000,6590000,680000"),
                ("bbox-crs", EPSG3006_URI),
            ]),
            Accepts::Items,
        )
        .unwrap();
        assert_eq!(
            q.bbox_xy().unwrap(),
            vec![670000.0, 6580000.0, 680000.0, 6590000.0]
        );
    }

    #[test]
    fn canonical_form_and_links() {
        let q = Query::parse(
            &pairs(&[("kommun", "0180"), ("limit", "10"), ("offset", "20")]),
            Accepts::Items,
        )
        .unwrap();
        assert_eq!(
            encode_query(&q.canonical(None, false)),
            "limit=10&offset=20&kommun=0180"
        );
        assert_eq!(
            encode_query(&q.canonical(Some(30), true)),
            "limit=10&offset=30&kommun=0180"
        );
        let q = Query::parse(&pairs(&[("crs", EPSG3006_URI)]), Accepts::Items).unwrap();
        assert_eq!(
            encode_query(&q.canonical(None, false)),
            format!("crs={EPSG3006_URI}")
        );
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
