-- One MVT tile of the `areas` layer (RegSO). $1 z, $2 x, $3 y, $4 zoom band, $5 indicator id
-- or NULL, $6 year. `value` is absent where the value is missing.
WITH tile AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) AS wide
)
SELECT coalesce(ST_AsMVT(f, 'areas', 4096, 'geom', 'fid'), ''::bytea)
FROM (
    SELECT g.fid, g.code, a.name, a.kommun_code AS kommun, m.name AS kommun_name, v.value,
           ST_AsMVTGeom(g.geom, tile.env, 4096, 64, true) AS geom
    FROM tile
    JOIN tile_geometry g
      ON g.layer = 'areas' AND g.zoom_band = $4 AND g.geom && tile.wide
    JOIN areas a ON a.level = 'regso' AND a.code = g.code
    JOIN municipalities m ON m.code = a.kommun_code
    LEFT JOIN indicator_values v
      ON v.level = 'regso' AND v.region_code = g.code
     AND v.indicator_id = $5::text AND v.year = $6::smallint
    ORDER BY g.code
) f
WHERE f.geom IS NOT NULL
