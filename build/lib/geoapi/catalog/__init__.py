"""The layer catalog: `layers/*.yaml` declarations, validated and bound to database tables."""
