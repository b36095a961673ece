"""Who answers for a point or an area besides the dispatched unit (包联, 包保, 管家, 门前三包)."""
