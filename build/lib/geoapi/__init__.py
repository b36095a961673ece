"""geoapi: inspection points, problems and their closed loop, served from PostGIS."""

__version__ = "0.1.0"
