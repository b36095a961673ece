"""Open311 GeoReport v2: citizens' snap-reports (随手拍) and their status, in the spec's terms."""
