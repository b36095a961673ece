"""Field assessment (实地测评): checklists, scored visits and inspection cycles."""
