-- Shared head of every items query (kommuner.sql, areas.sql, districts.sql add `matched`,
-- tail.sql pages and builds the document). Every request binds the same parameters:
--   $1 kommun text          $2 bbox float8[4] (x,y order)  $3 bbox SRID (4326 | 3006)
--   $4 output SRID          $5 year int                    $6 feature id text
--   $7 limit bigint         $8 offset bigint               $9 programme text
--  $10 status text         $11 level text ('kommun' | 'regso' | 'district')
--  $12 single feature bool $13 links json (self, …)       $14 next link json ([] or [link])
WITH params AS (
    SELECT $1::text AS kommun, $2::float8[] AS bbox, $3::int AS bbox_srid, $4::int AS srid,
           $5::int AS year, $6::text AS id, $7::bigint AS lim, $8::bigint AS off,
           $9::text AS programme, $10::text AS status, $11::text AS level,
           $12::bool AS single, $13::json AS links, $14::json AS next_link
),
-- Which year of each indicator goes into the properties: the requested one, or the latest
-- year with a value at this level.
sel AS (
    SELECT i.id, i.sort_order,
           coalesce(p.year, (SELECT max(v.year) FROM indicator_values v
                             WHERE v.level = p.level AND v.indicator_id = i.id
                               AND v.value IS NOT NULL)) AS year
    FROM indicators i, params p
),
-- The bbox filter in the stored CRS. A CRS84 box is densified before it is projected, so
-- that its edges stay edges of the same box in SWEREF 99 TM.
bbox AS (
    SELECT CASE WHEN p.bbox IS NULL THEN NULL
                WHEN p.bbox_srid = 3006
                     THEN ST_MakeEnvelope(p.bbox[1], p.bbox[2], p.bbox[3], p.bbox[4], 3006)
                ELSE ST_Transform(ST_Segmentize(
                         ST_MakeEnvelope(p.bbox[1], p.bbox[2], p.bbox[3], p.bbox[4], 4326),
                         0.05), 3006)
           END AS g
    FROM params p
),
