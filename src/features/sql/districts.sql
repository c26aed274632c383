matched AS (
    SELECT d.id AS key, d.geom, d.geom_4326,
           jsonb_build_object(
               'id', d.id, 'name', d.name, 'kommun', d.kommun_code, 'kommun_name', m.name,
               'status', s.status,
               'programmes', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                                 'id', ms.programme_id, 'evidence', ms.evidence)
                                             ORDER BY ms.programme_id)
                                       FROM memberships ms WHERE ms.district_id = d.id),
                                      '[]'::jsonb),
               'mapping', d.mapping, 'area_km2', d.area_km2,
               'member_areas', coalesce((SELECT jsonb_agg(da.area_code ORDER BY da.area_code)
                                         FROM district_areas da WHERE da.district_id = d.id),
                                        '[]'::jsonb)) AS base
    FROM districts d
    JOIN municipalities m ON m.code = d.kommun_code
    JOIN district_status s ON s.district_id = d.id
    CROSS JOIN params p
    CROSS JOIN bbox b
    WHERE (p.kommun IS NULL OR d.kommun_code = p.kommun)
      AND (p.id IS NULL OR d.id = p.id)
      AND (p.status IS NULL OR s.status = p.status)
      AND (p.programme IS NULL OR EXISTS (SELECT 1 FROM memberships ms
                                           WHERE ms.district_id = d.id
                                             AND ms.programme_id = p.programme))
      AND (b.g IS NULL OR (d.geom && b.g AND ST_Intersects(d.geom, b.g)))
),
