"""Route lists for inspection teams: which stops to visit, in which order."""
