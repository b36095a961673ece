"""Mapbox Vector Tiles of catalog layers, made by PostGIS (ST_AsMVT), and their TileJSON."""
