-- Geometry prepared for vector tiles: Web Mercator (EPSG:3857), simplified once per zoom
-- band, rebuilt inside every import that changes geometry (src/import/sql/
-- refresh_tile_geometry.sql). Never edited by hand. See migrations/README.md.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE tile_geometry (
    layer     text NOT NULL CHECK (layer IN ('kommuner', 'areas', 'districts')),
    code      text NOT NULL,
    -- Stable numeric feature id for MVT (kommun code as a number; RegSO kommun*1000+n;
    -- districts a hash of the id).
    fid       bigint NOT NULL,
    zoom_band smallint NOT NULL CHECK (zoom_band BETWEEN 0 AND 3),
    geom      geometry(MultiPolygon, 3857) NOT NULL,
    -- A point inside the full geometry, for labels and for symbols of tiny districts.
    label     geometry(Point, 3857) NOT NULL,
    PRIMARY KEY (layer, zoom_band, code)
);
CREATE INDEX tile_geometry_geom_idx ON tile_geometry USING gist (layer, zoom_band, geom);
