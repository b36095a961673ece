"""Import and export of points and areas: files in, validated rows, PostGIS out and back."""
