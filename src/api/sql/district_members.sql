-- Member areas of districts ($1 = one district id, or NULL for all).
SELECT da.district_id, da.level, a.code, a.name
FROM district_areas da
JOIN areas a ON a.level = da.level AND a.code = da.area_code
WHERE $1::text IS NULL OR da.district_id = $1
ORDER BY da.district_id, da.level, a.code
