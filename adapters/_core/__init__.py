"""The shared SDK core: every vendor package builds on these pieces (private to `adapters`)."""
