"""A disposable real Moodle on loopback for the collection's own tests (see README.md here)."""
