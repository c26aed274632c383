-- Every non-missing district value with the district's municipality: the population
-- districts are ranked in. $1 = one indicator id, or NULL for all; $2 = one year or NULL.
SELECT v.indicator_id, v.year, v.region_code AS district_id, d.kommun_code, v.value
FROM indicator_values v
JOIN districts d ON d.id = v.region_code
WHERE v.level = 'district' AND v.value IS NOT NULL
  AND ($1::text IS NULL OR v.indicator_id = $1)
  AND ($2::smallint IS NULL OR v.year = $2)
ORDER BY v.indicator_id, v.year, v.region_code
