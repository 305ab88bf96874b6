"""Start-up configuration: typed settings read once from the environment."""
