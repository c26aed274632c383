-- Districts with their municipality, status and WGS 84 bounding box; $1 = one district id,
-- or NULL for all. Sorted by name in Rust (Swedish order).
SELECT d.id, d.name, d.kommun_code, m.name AS kommun_name, s.status, d.mapping, d.area_km2,
       ST_XMin(b.box) AS west, ST_YMin(b.box) AS south,
       ST_XMax(b.box) AS east, ST_YMax(b.box) AS north
FROM districts d
JOIN municipalities m ON m.code = d.kommun_code
JOIN district_status s ON s.district_id = d.id
LEFT JOIN LATERAL (SELECT Box2D(d.geom_4326) AS box) b ON d.geom IS NOT NULL
WHERE $1::text IS NULL OR d.id = $1
ORDER BY d.id
