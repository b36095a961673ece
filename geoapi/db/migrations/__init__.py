"""Alembic migrations of the geoapi schema."""
