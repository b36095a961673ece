"""Who is asking: API keys, roles and the area or unit scope every query honours."""
