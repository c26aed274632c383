-- Recomputes every computed indicator value from the area values, in one statement.
--   * districts: always, from their member areas (district_areas);
--   * municipalities: from all their RegSO areas, only where SCB gives no value itself.
-- Rates (aggregation 'weighted_mean') are weighted by the weight indicator (population) of
-- each area, taking the weight's year nearest to the value's year; if any member area has no
-- weight, an unweighted mean is used and the method says so. Counts ('sum') are summed.
-- `coverage` is the share of the weight (or of the member areas) that had a value, so a
-- partly suppressed district is visible as such. A region none of whose areas has a row for
-- an indicator and year gets no row at all: it is simply not measured.
-- Sweden as a whole is never computed: the database holds only some municipalities' areas.
WITH members AS (
    SELECT 'district'::text AS level, da.district_id AS region_code,
           da.level AS area_level, da.area_code
    FROM district_areas da
    UNION ALL
    SELECT 'kommun', a.kommun_code, a.level, a.code
    FROM areas a
    WHERE a.level = 'regso'
),
targets AS (
    SELECT DISTINCT m.level, m.region_code, v.indicator_id, v.year
    FROM members m
    JOIN indicator_values v
      ON v.level = m.area_level AND v.region_code = m.area_code AND NOT v.computed
),
cells AS (
    SELECT t.level, t.region_code, t.indicator_id, t.year, m.area_level,
           v.value, w.value AS weight, w.year AS weight_year
    FROM targets t
    JOIN members m ON m.level = t.level AND m.region_code = t.region_code
    JOIN indicators i ON i.id = t.indicator_id
    LEFT JOIN indicator_values v
      ON v.indicator_id = t.indicator_id AND v.year = t.year
     AND v.level = m.area_level AND v.region_code = m.area_code AND NOT v.computed
    LEFT JOIN LATERAL (
        SELECT wv.value, wv.year
        FROM indicator_values wv
        WHERE wv.indicator_id = i.weight_indicator
          AND wv.level = m.area_level AND wv.region_code = m.area_code
          AND NOT wv.computed AND wv.value IS NOT NULL
        ORDER BY abs(wv.year - t.year), wv.year DESC
        LIMIT 1
    ) w ON true
),
agg AS (
    SELECT c.level, c.region_code, c.indicator_id, c.year, i.aggregation,
           count(*) AS n,
           count(c.value) AS n_value,
           bool_and(c.weight IS NOT NULL) AS all_weighted,
           sum(c.value) AS total,
           avg(c.value) AS mean,
           sum(c.value * c.weight) AS weighted_total,
           sum(c.weight) FILTER (WHERE c.value IS NOT NULL) AS weight_with_value,
           sum(c.weight) AS weight_all,
           string_agg(DISTINCT c.weight_year::text, ', ') AS weight_years,
           min(c.area_level) AS area_level
    FROM cells c
    JOIN indicators i ON i.id = c.indicator_id
    GROUP BY c.level, c.region_code, c.indicator_id, c.year, i.aggregation
)
INSERT INTO indicator_values
    (level, region_code, indicator_id, year, value, computed, method, coverage)
SELECT a.level, a.region_code, a.indicator_id, a.year,
       CASE
           WHEN a.n_value = 0 THEN NULL
           WHEN a.aggregation = 'sum' THEN a.total
           WHEN a.all_weighted THEN a.weighted_total / nullif(a.weight_with_value, 0)
           ELSE a.mean
       END,
       true,
       CASE
           WHEN a.n = 1 THEN format('value of its only %s area', upper(a.area_level))
           WHEN a.aggregation = 'sum' THEN format('sum of %s %s areas', a.n, upper(a.area_level))
           WHEN a.all_weighted THEN format('population-weighted mean of %s %s areas (weights: population %s)',
                                           a.n, upper(a.area_level), a.weight_years)
           ELSE format('unweighted mean of %s %s areas (population not known for every area)',
                       a.n, upper(a.area_level))
       END,
       CASE
           WHEN a.aggregation = 'weighted_mean' AND a.all_weighted
               THEN coalesce(a.weight_with_value, 0) / nullif(a.weight_all, 0)
           ELSE a.n_value::double precision / a.n
       END
FROM agg a
WHERE NOT (a.level = 'kommun' AND EXISTS (
    SELECT 1 FROM indicator_values s
    WHERE s.level = 'kommun' AND s.region_code = a.region_code
      AND s.indicator_id = a.indicator_id AND s.year = a.year AND NOT s.computed))
