-- Search over district, RegSO area and municipality names. $1 = the folded query (see
-- api::fold), $2/$3 = the fold table for translate(). Best first: exact name, name prefix,
-- word prefix, substring; then districts before municipalities before areas; then shorter
-- names. At most 20 hits; bounding boxes are computed for those only.
WITH candidates AS (
    SELECT 'district' AS kind, d.id, d.name, m.name AS kommun_name, 0 AS kind_order
    FROM districts d JOIN municipalities m ON m.code = d.kommun_code
    UNION ALL
    SELECT 'kommun', m.code, m.name, NULL, 1
    FROM municipalities m
    UNION ALL
    SELECT 'area', a.code, a.name, m.name, 2
    FROM areas a JOIN municipalities m ON m.code = a.kommun_code
    WHERE a.level = 'regso'
),
folded AS (
    SELECT c.*, lower(regexp_replace(translate(c.name, $2, $3), '\s+', ' ', 'g')) AS norm
    FROM candidates c
),
hits AS (
    SELECT f.kind, f.id, f.name, f.kommun_name, f.kind_order,
           CASE
               WHEN f.norm = $1 THEN 0
               WHEN strpos(f.norm, $1) = 1 THEN 1
               WHEN strpos(' ' || regexp_replace(f.norm, '[-/(),.]', ' ', 'g'), ' ' || $1) > 0 THEN 2
               ELSE 3
           END AS quality
    FROM folded f
    WHERE strpos(f.norm, $1) > 0
    ORDER BY quality, kind_order, length(f.name), f.name, f.id
    LIMIT 20
)
SELECT h.kind, h.id, h.name, h.kommun_name,
       ST_XMin(b.box) AS west, ST_YMin(b.box) AS south,
       ST_XMax(b.box) AS east, ST_YMax(b.box) AS north
FROM hits h
LEFT JOIN districts d ON h.kind = 'district' AND d.id = h.id
LEFT JOIN municipalities m ON h.kind = 'kommun' AND m.code = h.id
LEFT JOIN areas a ON h.kind = 'area' AND a.level = 'regso' AND a.code = h.id
LEFT JOIN LATERAL (
    SELECT Box2D(coalesce(d.geom_4326, m.geom_4326, a.geom_4326)) AS box
) b ON true
ORDER BY h.quality, h.kind_order, length(h.name), h.name, h.id
