"""Reference data managed as data: point categories, problem types and their links, units and
teams — listed for every signed-in role, created and changed by admins (API and CLI)."""
