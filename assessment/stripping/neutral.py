"""The neutral names that replace an author's wherever a format must keep a name."""

NEUTRAL_NAME = "Anonymous"
NEUTRAL_INITIALS = "A"
