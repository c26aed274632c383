-- stadsatlas schema, version 1.
-- All geometry is stored in SWEREF 99 TM (EPSG:3006), the CRS Swedish data is published in.
-- Web Mercator and per-zoom simplified copies for the tile server are planned in
-- migrations/README.md; they are derived from these tables, never edited by hand.

CREATE EXTENSION IF NOT EXISTS postgis;

-- One row: bumped by every import. Part of every cache key and ETag, so that an import
-- makes old tiles and responses unreachable at once.
CREATE TABLE data_version (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version (version) VALUES (0);

-- Every import, successful ones only (a failed import rolls back and leaves no row).
CREATE TABLE import_batches (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL,               -- kommuner | regso | deso | registry | statistics
    file_name    text NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    rows         integer NOT NULL CHECK (rows >= 0),
    imported_at  timestamptz NOT NULL DEFAULT now(),
    data_version bigint NOT NULL
);

CREATE TABLE municipalities (
    code     text PRIMARY KEY CHECK (code ~ '^[0-9]{4}$'),
    name     text NOT NULL CHECK (name <> ''),
    geom     geometry(MultiPolygon, 3006) NOT NULL,
    area_km2 double precision NOT NULL,
    batch_id bigint NOT NULL REFERENCES import_batches (id)
);
CREATE INDEX municipalities_geom_idx ON municipalities USING gist (geom);

-- Statistical areas. `level` is 'regso' now; DeSO fits beside it with the same columns.
CREATE TABLE areas (
    level       text NOT NULL CHECK (level IN ('regso', 'deso')),
    code        text NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    kommun_code text NOT NULL REFERENCES municipalities (code),
    geom        geometry(MultiPolygon, 3006) NOT NULL,
    area_km2    double precision NOT NULL,
    batch_id    bigint NOT NULL REFERENCES import_batches (id),
    PRIMARY KEY (level, code),
    CHECK ((level = 'regso' AND code ~ '^[0-9]{4}R[0-9]{3}$')
        OR (level = 'deso' AND code ~ '^[0-9]{4}[ABC][0-9]{4}$')),
    CHECK (left(code, 4) = kommun_code)
);
CREATE INDEX areas_geom_idx ON areas USING gist (geom);
CREATE INDEX areas_kommun_idx ON areas (kommun_code);

CREATE TABLE programmes (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9_]+$'),
    name        text NOT NULL,
    period      text NOT NULL,
    description text NOT NULL,
    source      text NOT NULL
);

CREATE TABLE districts (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (name <> ''),
    kommun_code text NOT NULL REFERENCES municipalities (code),
    -- 'approximate': the union of RegSO areas approximates the historical boundary.
    mapping     text NOT NULL CHECK (mapping IN ('approximate', 'exact')),
    -- Union of the member areas, computed in PostGIS (see refresh_district_geometry).
    geom        geometry(MultiPolygon, 3006),
    area_km2    double precision,
    batch_id    bigint NOT NULL REFERENCES import_batches (id)
);
CREATE INDEX districts_geom_idx ON districts USING gist (geom);

CREATE TABLE district_areas (
    district_id text NOT NULL REFERENCES districts (id) ON DELETE CASCADE,
    level       text NOT NULL,
    area_code   text NOT NULL,
    PRIMARY KEY (district_id, level, area_code),
    FOREIGN KEY (level, area_code) REFERENCES areas (level, code)
);
CREATE INDEX district_areas_area_idx ON district_areas (level, area_code);

CREATE TABLE memberships (
    district_id  text NOT NULL REFERENCES districts (id) ON DELETE CASCADE,
    programme_id text NOT NULL REFERENCES programmes (id),
    -- 'sourced': the district was named in the cited source; 'reconstructed': it belongs to
    -- the best available reconstruction but was not confirmed. Shown to users.
    evidence     text NOT NULL CHECK (evidence IN ('sourced', 'reconstructed')),
    note         text,
    source       text NOT NULL,
    PRIMARY KEY (district_id, programme_id)
);

-- The 24 districts of the first programme (storstadssatsningen, 1999) are "original";
-- every other district is a "candidate". The rule lives here and nowhere else.
CREATE VIEW district_status AS
SELECT d.id AS district_id,
       CASE WHEN EXISTS (SELECT 1 FROM memberships m
                         WHERE m.district_id = d.id AND m.programme_id = 'storstad_1999')
            THEN 'original' ELSE 'candidate' END AS status
FROM districts d;

CREATE TABLE indicators (
    id               text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'),
    name_sv          text NOT NULL,
    name_en          text NOT NULL,
    unit             text NOT NULL,
    definition_sv    text,
    definition_en    text NOT NULL,
    -- NULL for neutral indicators (population, foreign-born share).
    higher_is_better boolean,
    -- How district and municipality values are computed from area values.
    aggregation      text NOT NULL CHECK (aggregation IN ('weighted_mean', 'sum')),
    weight_indicator text REFERENCES indicators (id),
    decimals         smallint NOT NULL DEFAULT 1 CHECK (decimals BETWEEN 0 AND 6),
    source_table     text NOT NULL,
    source           text NOT NULL,
    licence          text NOT NULL,
    sort_order       integer NOT NULL DEFAULT 0,
    CHECK ((aggregation = 'weighted_mean') = (weight_indicator IS NOT NULL))
);

CREATE TABLE indicator_values (
    level        text NOT NULL CHECK (level IN ('country', 'kommun', 'regso', 'deso', 'district')),
    region_code  text NOT NULL,
    indicator_id text NOT NULL REFERENCES indicators (id),
    year         smallint NOT NULL CHECK (year BETWEEN 1900 AND 2200),
    -- NULL where the value is missing (SCB suppressed it: '..'). Never 0 for missing.
    value        double precision,
    -- true: computed by stadsatlas from area values (districts always; municipalities when
    -- SCB gives none). `method` and `coverage` say how.
    computed     boolean NOT NULL DEFAULT false,
    method       text,
    -- Share (0..1) of the region's weight (population, or area count) that had a value.
    coverage     double precision CHECK (coverage BETWEEN 0 AND 1),
    batch_id     bigint REFERENCES import_batches (id),
    PRIMARY KEY (indicator_id, year, level, region_code),
    CHECK (computed = (method IS NOT NULL))
);
CREATE INDEX indicator_values_region_idx ON indicator_values (level, region_code);
