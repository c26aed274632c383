-- Every value of indicator $1 at level $2 ('regso', 'district' or 'kommun') in year $3,
-- with the region's name and municipality, ordered by code.
SELECT v.region_code AS code,
       coalesce(a.name, d.name, m.name) AS name,
       coalesce(a.kommun_code, d.kommun_code, m.code) AS kommun,
       km.name AS kommun_name,
       v.value, v.computed, v.method, v.coverage
FROM indicator_values v
LEFT JOIN areas a ON v.level IN ('regso', 'deso') AND a.level = v.level AND a.code = v.region_code
LEFT JOIN districts d ON v.level = 'district' AND d.id = v.region_code
LEFT JOIN municipalities m ON v.level = 'kommun' AND m.code = v.region_code
LEFT JOIN municipalities km ON km.code = coalesce(a.kommun_code, d.kommun_code, m.code)
WHERE v.indicator_id = $1 AND v.level = $2 AND v.year = $3
ORDER BY v.region_code
