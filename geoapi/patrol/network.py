"""Travel on the road network: speeds per road class and mode, and the fallback when a city
has loaded no roads (great circles times a detour factor, at the mode's usual speed)."""

from geoapi.vocabulary import TRAVEL_MODES

# km/h by road class for (walk, e-bike, car); None: the mode may not use such a road.
CLASS_SPEEDS: dict[str, tuple[float | None, float | None, float | None]] = {
    "arterial": (4.5, 18.0, 35.0),
    "secondary": (4.5, 16.0, 30.0),
    "local": (4.5, 15.0, 20.0),
    "alley": (4.5, 10.0, None),
    "path": (4.5, 8.0, None),
    "connector": (4.5, 10.0, 15.0),
}
# Speed of a mode off the network (to and from the nearest junction) and on straight lines.
OFF_NETWORK_KMH = {"walk": 4.5, "ebike": 12.0, "car": 20.0}


def speed_column(mode: str) -> str:
    """The `roads` column holding `mode`'s speed (a fixed name, safe to put in SQL)."""
    if mode not in TRAVEL_MODES:
        raise ValueError(f"unknown travel mode {mode!r}")
    return f"speed_{mode}"


def metres_per_second(kmh: float) -> float:
    """km/h → m/s."""
    return kmh / 3.6
