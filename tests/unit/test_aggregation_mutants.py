"""Aggregation pinned on small fixed cohorts, and the properties its numbers keep on any scale."""
