"""Demo users, one per role, with published keys so a new user can try every role at once.

Demo data only: these keys are in the README, so never load the demo into a real deployment.
"""

from sqlalchemy import Connection, text

from geoapi.auth.lookup import add_user


def add_demo_users(connection: Connection) -> dict[str, str]:
    """Create `demo-<role>` users (key `demo-<role>`); the inspector and unit are scoped."""
    street = connection.scalar(text("SELECT code FROM areas WHERE level = 'street' ORDER BY code"))
    unit = connection.scalar(
        text("SELECT unit_code FROM issues WHERE unit_code IS NOT NULL GROUP BY 1 ORDER BY 1")
    )
    scopes: dict[str, dict[str, str | None]] = {
        "admin": {},
        "planner": {},
        "analyst": {},
        "inspector": {"area_code": street},
        "unit": {"unit_code": unit},
    }
    keys = {}
    for role, scope in scopes.items():
        username = f"demo-{role}"
        keys[username] = add_user(connection, username, role, key=username, **scope)
    return keys
