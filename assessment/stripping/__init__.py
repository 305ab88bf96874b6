"""Format-specific strippers behind `assessment.anonymity.strip_identity`: each keeps only what shows the work."""
