-- One MVT tile of the `kommuner` layer. $1 z, $2 x, $3 y, $4 zoom band, $5 indicator id or
-- NULL, $6 year. Filters in Web Mercator on tile_geometry's GiST index.
WITH tile AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) AS wide
)
SELECT coalesce(ST_AsMVT(f, 'kommuner', 4096, 'geom', 'fid'), ''::bytea)
FROM (
    SELECT g.fid, g.code, m.name, v.value, v.computed,
           ST_AsMVTGeom(g.geom, tile.env, 4096, 64, true) AS geom
    FROM tile
    JOIN tile_geometry g
      ON g.layer = 'kommuner' AND g.zoom_band = $4 AND g.geom && tile.wide
    JOIN municipalities m ON m.code = g.code
    LEFT JOIN indicator_values v
      ON v.level = 'kommun' AND v.region_code = g.code
     AND v.indicator_id = $5::text AND v.year = $6::smallint
    ORDER BY g.code
) f
WHERE f.geom IS NOT NULL
