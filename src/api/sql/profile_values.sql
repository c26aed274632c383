-- All values of one district ($1), of its municipality ($2) and of Sweden, every indicator
-- and year.
SELECT v.level, v.indicator_id, v.year, v.value, v.computed, v.method, v.coverage
FROM indicator_values v
WHERE (v.level = 'district' AND v.region_code = $1)
   OR (v.level = 'kommun' AND v.region_code = $2)
   OR (v.level = 'country' AND v.region_code = '00')
ORDER BY v.indicator_id, v.year, v.level
