"""The one error the lab raises: a message that says what went wrong and what to do."""


class LabError(Exception):
    """A failure the user can act on; the CLI prints it and exits 1."""
