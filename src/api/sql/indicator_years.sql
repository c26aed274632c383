-- Years with at least one (non-missing) value, per indicator and level.
SELECT v.indicator_id, v.level, array_agg(DISTINCT v.year ORDER BY v.year) AS years
FROM indicator_values v
WHERE v.value IS NOT NULL
GROUP BY v.indicator_id, v.level
ORDER BY v.indicator_id, v.level
