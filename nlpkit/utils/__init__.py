"""Small helpers shared by the whole package (validation, atomic files, seeding)."""
