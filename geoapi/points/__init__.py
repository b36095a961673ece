"""`/points`: create, read, replace and delete inspection points, validated like an import."""
