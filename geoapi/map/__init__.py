"""The planners' web map (/map, `geoapi map`) and the heat aggregation it shares with clients."""
