# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PHP bracket-form encoding of web service parameters (docs/moodle-behaviour.md#request-encoding).

Moodle reads only form fields, nested with PHP brackets: ``users[0][customfields][1][type]``.
Booleans must be 0/1, and an empty list cannot be expressed at all (the key is simply missing),
so callers never send one.
"""


def _scalar(value):
    # Moodle rejects true/false (PARAM_BOOL wants 0/1); check bool before int, bool is an int.
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    return str(value)


def flatten(params, prefix=""):
    """Return the list of ``(field, value)`` pairs for a nested dict/list, in order."""
    pairs = []
    if isinstance(params, dict):
        items = params.items()
    elif isinstance(params, (list, tuple)):
        items = enumerate(params)
    else:
        return [(prefix, _scalar(params))]
    for key, value in items:
        name = "%s[%s]" % (prefix, key) if prefix else str(key)
        if isinstance(value, (dict, list, tuple)):
            pairs.extend(flatten(value, name))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def count_fields(value):
    """How many form fields ``value`` becomes (what PHP's max_input_vars counts)."""
    if isinstance(value, dict):
        return sum(count_fields(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_fields(v) for v in value)
    return 1
