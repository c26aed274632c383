-- The compared districts ($1 = ids) with their value, and their municipality's value, for
-- one indicator ($2) and year ($3).
SELECT d.id, d.name, d.kommun_code, m.name AS kommun_name, s.status,
       dv.value, coalesce(dv.computed, false) AS computed, dv.method, dv.coverage,
       kv.value AS kommun_value, coalesce(kv.computed, false) AS kommun_computed
FROM districts d
JOIN municipalities m ON m.code = d.kommun_code
JOIN district_status s ON s.district_id = d.id
LEFT JOIN indicator_values dv
  ON dv.level = 'district' AND dv.region_code = d.id AND dv.indicator_id = $2 AND dv.year = $3
LEFT JOIN indicator_values kv
  ON kv.level = 'kommun' AND kv.region_code = d.kommun_code AND kv.indicator_id = $2 AND kv.year = $3
WHERE d.id = ANY($1)
