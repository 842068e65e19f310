-- The price catalog: instance types of the clouds (or of any provider a team names) with their
-- size and their prices in US dollars an hour. Every price carries its date (YYYY-MM-DD) and its
-- source: a URL, a short citation, or 'illustrative' when it has none. Spot and reserved
-- (committed-use) prices are optional, all three parts together.
CREATE TABLE instance_types (
    provider TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    vcpu INTEGER NOT NULL CHECK (vcpu > 0),
    memory_gib REAL NOT NULL CHECK (memory_gib > 0),
    gpu_type TEXT,
    gpu_count INTEGER NOT NULL CHECK (gpu_count >= 0),
    on_demand_hourly REAL NOT NULL CHECK (on_demand_hourly >= 0),
    on_demand_date TEXT NOT NULL,
    on_demand_source TEXT NOT NULL,
    spot_hourly REAL CHECK (spot_hourly >= 0),
    spot_date TEXT,
    spot_source TEXT,
    reserved_hourly REAL CHECK (reserved_hourly >= 0),
    reserved_date TEXT,
    reserved_source TEXT,
    PRIMARY KEY (provider, region, name),
    CHECK ((spot_hourly IS NULL) = (spot_date IS NULL) AND (spot_hourly IS NULL) = (spot_source IS NULL)),
    CHECK ((reserved_hourly IS NULL) = (reserved_date IS NULL) AND (reserved_hourly IS NULL) = (reserved_source IS NULL))
) WITHOUT ROWID;

-- One row once the catalog Vigil ships (crates/vigil-core/data/price-catalog.csv) was put in, so
-- that it is put in once in a database's life and never again after people edit the catalog.
CREATE TABLE price_catalog_seed (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seeded_at TEXT NOT NULL
);
