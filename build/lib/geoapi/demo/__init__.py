"""Deterministic demo city: a believable district with points, problems and inspections."""
