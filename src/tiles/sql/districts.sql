-- One MVT tile with two layers: `districts` (polygons) and `district_labels` (a point inside
-- each district, for labels). $1 z, $2 x, $3 y, $4 zoom band, $5 indicator id or NULL,
-- $6 year. A district smaller than about 4x4 pixels at this zoom is drawn as a small
-- octagon around its label point, so that no district vanishes at country zooms.
WITH tile AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) AS wide,
           -- one MVT extent unit (1/4096 of the tile) in metres
           40075016.6856 / (2 ^ $1) / 4096 AS unit
),
d AS (
    SELECT g.fid, g.code AS id, dd.name, dd.kommun_code AS kommun, m.name AS kommun_name,
           s.status, dd.mapping, v.value, v.coverage,
           (SELECT string_agg(mm.programme_id, ',' ORDER BY mm.programme_id)
              FROM memberships mm WHERE mm.district_id = g.code) AS programmes,
           CASE WHEN ST_Area(g.geom) < (tile.unit * 4) ^ 2
                THEN ST_Buffer(g.label, tile.unit * 3, 'quad_segs=2')
                ELSE g.geom END AS shape,
           g.label
    FROM tile
    JOIN tile_geometry g
      ON g.layer = 'districts' AND g.zoom_band = $4
     AND (g.geom && tile.wide OR ST_Expand(g.label, tile.unit * 3) && tile.wide)
    JOIN districts dd ON dd.id = g.code
    JOIN district_status s ON s.district_id = g.code
    JOIN municipalities m ON m.code = dd.kommun_code
    LEFT JOIN indicator_values v
      ON v.level = 'district' AND v.region_code = g.code
     AND v.indicator_id = $5::text AND v.year = $6::smallint
)
SELECT coalesce((
    SELECT ST_AsMVT(p, 'districts', 4096, 'geom', 'fid')
    FROM (
        SELECT d.fid, d.id, d.name, d.kommun, d.kommun_name, d.status, d.programmes,
               d.mapping, d.value, d.coverage,
               ST_AsMVTGeom(d.shape, tile.env, 4096, 64, true) AS geom
        FROM d, tile
        -- candidates first, so original districts are drawn on top
        ORDER BY d.status = 'original', d.id
    ) p
    WHERE p.geom IS NOT NULL
), ''::bytea) || coalesce((
    SELECT ST_AsMVT(l, 'district_labels', 4096, 'geom', 'fid')
    FROM (
        SELECT d.fid, d.id, d.name, d.status, d.value,
               ST_AsMVTGeom(d.label, tile.env, 4096, 0, true) AS geom
        FROM d, tile
        WHERE d.label && tile.env
        ORDER BY d.status = 'original' DESC, d.id
    ) l
    WHERE l.geom IS NOT NULL
), ''::bytea)
