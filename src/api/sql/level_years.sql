-- Years with at least one value of indicator $1 at level $2, oldest first.
SELECT DISTINCT v.year
FROM indicator_values v
WHERE v.indicator_id = $1 AND v.level = $2 AND v.value IS NOT NULL
ORDER BY v.year
