"""OGC API - Features (Part 1 Core, GeoJSON) over the layer catalog; GeoJSON made in PostGIS."""
