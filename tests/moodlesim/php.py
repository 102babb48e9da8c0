"""PHP behaviours Moodle inherits: form decoding into arrays, max_input_vars, casts.

Moodle never sees the raw body: PHP decodes it into $_GET/$_POST first (docs/moodle-behaviour.md#request-encoding), so the
simulator reproduces that step, including the silent truncation past max_input_vars.
"""

import re
from urllib.parse import unquote_plus

_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$")
_CANONICAL_INT_KEY = re.compile(r"^(0|-?[1-9][0-9]*)$")
PHP_TRIM = " \t\n\r\0\x0b"


def split_form(raw):
    """Split an x-www-form-urlencoded string into (name, value) pairs, in body order."""
    pairs = []
    if not raw:
        return pairs
    for chunk in raw.split("&"):
        if not chunk:
            continue
        name, _sep, value = chunk.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def _array_key(key):
    # PHP turns canonical integer strings into integer keys.
    if _CANONICAL_INT_KEY.match(key) and abs(int(key)) < 2**63:
        return int(key)
    return key


def _next_index(array):
    ints = [k for k in array if isinstance(k, int)]
    return max(ints) + 1 if ints else 0


def _parse_name(name):
    """Split `users[0][name]` into ['users', '0', 'name'] the way PHP's parser does."""
    pos = name.find("[")
    if pos <= 0:
        base, rest = name, ""
    else:
        base, rest = name[:pos], name[pos:]
    # PHP replaces spaces and dots in the top-level name (and a lone '[') with underscores.
    base = base.lstrip(" ")
    base = base.replace(" ", "_").replace(".", "_")
    keys = [base]
    while rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            if len(keys) == 1:
                keys[0] = keys[0] + "_" + rest[1:].replace(" ", "_").replace(".", "_").replace("[", "_")
            break
        keys.append(rest[1:end])
        after = end + 1
        rest = rest[after:]
    return keys


def decode_form(pairs, max_input_vars):
    """Build PHP's $_POST/$_GET array from pairs; fields past max_input_vars are silently dropped.

    Returns (array, kept_count).
    """
    result = {}
    kept = 0
    for name, value in pairs:
        if max_input_vars is not None and kept >= max_input_vars:
            break  # PHP: "Input variables exceeded N" warning, the rest is ignored (docs/moodle-behaviour.md#silent-truncation)
        kept += 1
        keys = _parse_name(name)
        if not keys[0]:
            continue
        node = result
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if key == "" and depth > 0:
                key = _next_index(node)
            else:
                key = _array_key(key) if depth > 0 else key
            if last:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = {}
                    node[key] = child
                node = child
    return result, kept


def array_merge(first, second):
    """PHP array_merge for string-keyed request arrays (POST wins over GET)."""
    merged = {}
    index = 0
    for source in (first, second):
        for key, value in source.items():
            if isinstance(key, int):
                merged[index] = value
                index += 1
            else:
                merged[key] = value
    return merged


def is_numeric(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(_NUMERIC.match(value))


def intval(value):
    """PHP (int) cast."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if value is None:
        return 0
    text = str(value).lstrip(" \t\n\r\v\f")
    match = re.match(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text)
    if not match:
        return 0
    number = match.group(0)
    if re.fullmatch(r"[+-]?\d+", number):
        return int(number)
    try:
        return int(float(number))
    except (OverflowError, ValueError):
        return 0


def to_string(value):
    """PHP (string) cast of a scalar."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return str(value)


def loose_equals(left, right):
    """PHP 8 `==` between a request string and a cleaned value."""
    if isinstance(left, str) and isinstance(right, str):
        if is_numeric(left) and is_numeric(right):
            return float(left) == float(right)
        return left == right
    if isinstance(right, int) and isinstance(left, str):
        if is_numeric(left):
            return float(left) == right
        return left == str(right)
    return left == right


def trim(value):
    return value.strip(PHP_TRIM)


def var_export(params):
    """PHP var_export() of a list of scalars, as in dml exceptions' debuginfo."""
    lines = ["array ("]
    for index, value in enumerate(params):
        if isinstance(value, str):
            rendered = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        elif isinstance(value, bool):
            rendered = "true" if value else "false"
        elif value is None:
            rendered = "NULL"
        else:
            rendered = str(value)
        lines.append("  %d => %s," % (index, rendered))
    lines.append(")")
    return "\n".join(lines)


def print_r(value):
    """PHP print_r() for the scalars that reach 'Only arrays accepted' messages."""
    return to_string(value)


def strip_tags(value):
    """PHP 8's strip_tags: NUL bytes go; a '<' not followed by whitespace opens a tag that runs to the next
    '>' or, without one, to the end ("I <3 you" becomes "I ")."""
    return re.sub(r"<(?!\s)[^>]*(>|$)", "", value.replace("\x00", ""))
