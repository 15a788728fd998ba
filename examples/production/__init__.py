"""The lesson's Level 3 design on real components; see README.md beside this file."""
