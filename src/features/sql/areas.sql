matched AS (
    SELECT a.code AS key, a.geom, a.geom_4326,
           jsonb_build_object('code', a.code, 'name', a.name, 'kommun', a.kommun_code,
                              'kommun_name', m.name, 'area_km2', a.area_km2) AS base
    FROM areas a
    JOIN municipalities m ON m.code = a.kommun_code
    CROSS JOIN params p
    CROSS JOIN bbox b
    WHERE a.level = 'regso'
      AND (p.kommun IS NULL OR a.kommun_code = p.kommun)
      AND (p.id IS NULL OR a.code = p.id)
      AND (b.g IS NULL OR (a.geom && b.g AND ST_Intersects(a.geom, b.g)))
),
