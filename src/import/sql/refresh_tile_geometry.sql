-- Fills tile_geometry (emptied just before) from municipalities, areas and districts.
-- Zoom bands and their simplification tolerance (one MVT extent unit, 1/4096 of a tile, at
-- the band's highest zoom: 40075016.7 / 2^z / 4096 metres):
--   band 0: z0-5   306 m     band 1: z6-8    38 m
--   band 2: z9-11  4.8 m     band 3: z12+    0.6 m (near full detail)
-- Each polygon is simplified on its own (Douglas-Peucker, keeping collapsed rings, so small
-- areas do not vanish; ST_SimplifyPreserveTopology is 40x slower here), and the few
-- results that come out invalid are repaired. The gaps this can open between neighbours
-- are below one extent unit, so they never show.
WITH bands (zoom_band, tolerance) AS (
    VALUES (0::smallint, 306.0), (1::smallint, 38.2), (2::smallint, 4.78), (3::smallint, 0.6)
),
src AS MATERIALIZED (
    SELECT 'kommuner'::text AS layer, code, code::bigint AS fid, ST_Transform(geom, 3857) AS geom
    FROM municipalities
    UNION ALL
    SELECT 'areas', code,
           (left(code, 4)::bigint * 1000 + right(code, 3)::bigint),
           ST_Transform(geom, 3857)
    FROM areas WHERE level = 'regso'
    UNION ALL
    SELECT 'districts', id,
           ('x' || left(md5(id), 8))::bit(32)::bigint,
           ST_Transform(geom, 3857)
    FROM districts WHERE geom IS NOT NULL
),
simplified AS (
    SELECT s.layer, s.code, s.fid, b.zoom_band, s.geom AS full_geom,
           ST_Simplify(s.geom, b.tolerance, true) AS geom
    FROM src s CROSS JOIN bands b
)
INSERT INTO tile_geometry (layer, code, fid, zoom_band, geom, label)
SELECT layer, code, fid, zoom_band,
       ST_Multi(CASE
           WHEN ST_IsValid(geom) THEN geom
           -- Sometimes simplification makes a ring cross itself: repair, else keep full detail.
           ELSE coalesce(nullif(ST_CollectionExtract(ST_MakeValid(geom), 3),
                                'MULTIPOLYGON EMPTY'::geometry),
                         full_geom)
       END)::geometry(MultiPolygon, 3857),
       ST_PointOnSurface(full_geom)
FROM simplified
