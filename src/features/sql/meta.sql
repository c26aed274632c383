-- Extent of one collection: the bbox of its geometry in CRS84 (each geometry projected, so
-- the box is tight: the corners of the SWEREF 99 TM extent would reach outside Sweden), and
-- the years of indicator values at its level.
-- $1 level ('kommun' | 'regso' | 'district')
WITH box AS (
    SELECT CASE $1::text
               WHEN 'kommun' THEN (SELECT ST_Extent(geom_4326) FROM municipalities)
               WHEN 'regso' THEN (SELECT ST_Extent(geom_4326) FROM areas
                                  WHERE level = 'regso')
               ELSE (SELECT ST_Extent(geom_4326) FROM districts)
           END AS b
)
SELECT ST_XMin(b) AS xmin, ST_YMin(b) AS ymin, ST_XMax(b) AS xmax, ST_YMax(b) AS ymax,
       (SELECT min(year)::int FROM indicator_values WHERE level = $1 AND value IS NOT NULL)
           AS first_year,
       (SELECT max(year)::int FROM indicator_values WHERE level = $1 AND value IS NOT NULL)
           AS last_year
FROM box
