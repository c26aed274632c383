-- A district's geometry is the union of its member areas, computed here and nowhere else.
UPDATE districts d
SET geom = u.geom,
    area_km2 = ST_Area(u.geom) / 1e6
FROM (
    SELECT da.district_id,
           ST_Multi(ST_CollectionExtract(ST_Union(a.geom), 3))::geometry(MultiPolygon, 3006) AS geom
    FROM district_areas da
    JOIN areas a ON a.level = da.level AND a.code = da.area_code
    GROUP BY da.district_id
) u
WHERE u.district_id = d.id
