"""The neutral names that replace an author's wherever a format must keep a name."""

# One rule for every format and every role: whoever a file names (author, last editor, commenter, reviser, annotator)
# becomes this one name. Labels such as "Reviewer" or "Author" would claim to know who wrote a comment, which the file
# cannot tell: a student's own note, a friend's suggestion and a tutor's remark all look alike once the names go.
NEUTRAL_NAME = "Anonymous"
NEUTRAL_INITIALS = "A"
