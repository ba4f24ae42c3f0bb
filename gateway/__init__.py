"""The sync engine, its configuration, journal and state store, and the command line."""
