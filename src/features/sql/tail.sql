page AS (
    SELECT * FROM matched ORDER BY key
    LIMIT (SELECT lim FROM params) OFFSET (SELECT off FROM params)
),
feats AS (
    SELECT pg.key,
           -- CRS84: longitude, latitude. EPSG:3006: northing, easting, the axis order of its
           -- EPSG definition (see the module documentation).
           ST_AsGeoJSON(CASE WHEN p.srid = 3006 THEN ST_FlipCoordinates(pg.geom)
                             ELSE pg.geom_4326 END,
                        CASE WHEN p.srid = 3006 THEN 2 ELSE 6 END, 0)::json AS geometry,
           pg.base || coalesce(ind.props, '{}'::jsonb) AS properties
    FROM page pg
    CROSS JOIN params p
    LEFT JOIN LATERAL (
        SELECT jsonb_object_agg(kv.k, kv.val) AS props
        FROM sel
        LEFT JOIN indicator_values v
               ON v.level = p.level AND v.region_code = pg.key
              AND v.indicator_id = sel.id AND v.year = sel.year
        CROSS JOIN LATERAL (
            VALUES (sel.id, to_jsonb(v.value)),
                   (sel.id || '_year', to_jsonb(sel.year)),
                   (CASE WHEN p.level = 'district' THEN sel.id || '_coverage' END,
                    to_jsonb(v.coverage))
        ) kv(k, val)
        WHERE kv.k IS NOT NULL
    ) ind ON true
),
counts AS (
    SELECT (SELECT count(*) FROM matched) AS matched, (SELECT count(*) FROM page) AS returned
)
SELECT c.matched,
       CASE WHEN p.single THEN
           (SELECT json_build_object('type', 'Feature', 'id', f.key, 'geometry', f.geometry,
                                     'properties', f.properties, 'links', p.links)
            FROM feats f LIMIT 1)
       ELSE
           json_build_object(
               'type', 'FeatureCollection',
               'numberMatched', c.matched,
               'numberReturned', c.returned,
               'timeStamp', (SELECT to_char(updated_at AT TIME ZONE 'UTC',
                                            'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM data_version),
               'links', CASE WHEN p.off + c.returned < c.matched
                             THEN (p.links::jsonb || p.next_link::jsonb)::json
                             ELSE p.links END,
               'features', coalesce((SELECT json_agg(json_build_object(
                                                'type', 'Feature', 'id', f.key,
                                                'geometry', f.geometry,
                                                'properties', f.properties) ORDER BY f.key)
                                     FROM feats f), '[]'::json))
       END::text AS body
FROM counts c, params p
