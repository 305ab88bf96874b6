"""Alembic migrations of the peerlti schema."""
