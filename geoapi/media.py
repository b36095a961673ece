"""Media types the service answers with, named once."""

GEOJSON = "application/geo+json"
PROBLEM_JSON = "application/problem+json"  # RFC 9457 problem details: every error answer
