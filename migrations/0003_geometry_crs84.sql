-- The geometry in CRS84/WGS 84 (EPSG:4326) beside the stored SWEREF 99 TM, kept by
-- PostgreSQL itself: OGC API responses default to CRS84, and transforming on every request
-- was most of their cost.
ALTER TABLE municipalities
    ADD COLUMN geom_4326 geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED;
ALTER TABLE areas
    ADD COLUMN geom_4326 geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED;
ALTER TABLE districts
    ADD COLUMN geom_4326 geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED;
