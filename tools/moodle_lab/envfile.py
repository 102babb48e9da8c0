"""Reading a lab.env file: what the lab writes (lab.py), for the tools that use a lab (tests/real, bench/)."""


def read_env_file(path):
    """``{KEY: value}`` of a lab.env file (``KEY=value`` lines, never quoted)."""
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values
