matched AS (
    SELECT m.code AS key, m.geom, m.geom_4326,
           jsonb_build_object('code', m.code, 'name', m.name, 'area_km2', m.area_km2) AS base
    FROM municipalities m, params p, bbox b
    WHERE (p.kommun IS NULL OR m.code = p.kommun)
      AND (p.id IS NULL OR m.code = p.id)
      AND (b.g IS NULL OR (m.geom && b.g AND ST_Intersects(m.geom, b.g)))
),
