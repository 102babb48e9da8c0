# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis strategies for the people operators feed the collection: CSV exports and hand-typed
YAML, with unicode, quotes, commas, stray whitespace, very long values, empty cells, mixed case and
the same person twice."""

from hypothesis import strategies as st

# Text a person's name may hold; no lone surrogates (they cannot be UTF-8 encoded by anyone).
UNICODE_TEXT = st.characters(blacklist_categories=("Cs",))
WHITESPACE = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\x0b", "\0"])
AWKWARD = st.sampled_from(
    [
        "'",
        '"',
        ",",
        ";",
        "<",
        ">",
        "<b>",
        "</i>",
        "<3",
        "< 3",
        "&amp;",
        "\\",
        "%",
        "_",
        "@",
        "+",
        "é",
        "Ø",
        "ß",
        "İ",
        "中",
        "😀",
        "\u200b",
        "\u0301",
        "\0",
        "\x7f",
    ]
)
NAMES = st.sampled_from(
    [
        "Anne",
        "José",
        "Zoë",
        "O'Neil",
        "Smith, Jr.",
        "Łukasz",
        "Nguyễn",
        "李",
        'Sam "Sammy"',
        "María-José",
        "d'Artagnan",
        "Ngā",
        "Ölçer",
    ]
)
DOMAINS = st.sampled_from(["example.org", "Example.COM", "sub.example.net", "x.io", "ex-ample.org"])
LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-"


def _pieces(base):
    return st.lists(st.one_of(base, AWKWARD, WHITESPACE, st.text(UNICODE_TEXT, max_size=6)), min_size=1, max_size=5)


def names():
    """A first or last name as it may arrive: mostly plausible, often awkward, sometimes not text at all."""
    awkward = _pieces(NAMES).map("".join)
    return st.one_of(
        NAMES,
        awkward,
        st.text(UNICODE_TEXT, max_size=12),
        st.text("abcdefgh", min_size=95, max_size=130),  # around the 100-character column
        st.sampled_from(["", " ", "\t", "\u00a0", "\0"]),
        st.none(),
        st.integers(min_value=-5, max_value=10**6),
    )


def _local_part():
    return st.text(LOCAL_CHARS, min_size=1, max_size=12).filter(lambda s: ".." not in s)


def plausible_emails():
    return st.builds(lambda local, domain: "%s@%s" % (local, domain), _local_part(), DOMAINS)


def _mangle(email, how, extra):
    if how == "upper":
        return email.upper()
    if how == "title":
        return email.title()
    if how == "pad":
        return extra + email + extra
    if how == "inner":
        at = email.find("@")
        return email[:at] + extra + email[at:]
    if how == "double_at":
        return email.replace("@", "@@", 1)
    if how == "no_at":
        return email.replace("@", "", 1)
    if how == "long":
        return "a" * 95 + email
    if how == "trailing_dot":
        return email + "."
    if how == "unicode":
        return "é" + email
    return email


def emails():
    """An e-mail as it may arrive: valid, mixed-case, padded, broken, empty, very long or not text."""
    mangled = st.builds(
        _mangle,
        plausible_emails(),
        st.sampled_from(
            ["keep", "upper", "title", "pad", "inner", "double_at", "no_at", "long", "trailing_dot", "unicode"]
        ),
        st.one_of(WHITESPACE, AWKWARD),
    )
    return st.one_of(
        mangled,
        st.sampled_from(["", " ", "@", "a@", "@b.org", "a@b", "<a@b.org>", "a,b@c.org"]),
        st.none(),
        st.integers(min_value=0, max_value=99),
    )


def usernames():
    """A username: absent (derived from the e-mail), clean, or something Moodle refuses."""
    clean = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-@", min_size=1, max_size=20)
    return st.one_of(
        st.none(),
        st.just(""),
        clean,
        clean.map(str.upper),
        _pieces(clean).map("".join),
        st.text("abcdef", min_size=98, max_size=110),
        st.sampled_from([" ", "Anne Marie", "josé", "o'neil", "a,b"]),
    )


def credentials():
    """How the account gets a password: Moodle-generated, given, or (wrongly) neither."""
    return st.sampled_from([{"create_password": True}, {"password": "Str0ng!Passw0rd"}, {}])


# Built once: hypothesis validates each strategy object, so building them per draw is slow.
NAME = names()
EMAIL = emails()
USERNAME = usernames()
CREDENTIALS = credentials()


@st.composite
def person(draw):
    spec = {"email": draw(EMAIL), "firstname": draw(NAME), "lastname": draw(NAME)}
    username = draw(USERNAME)
    if username is not None:
        spec["username"] = username
    spec.update(draw(CREDENTIALS))
    return spec


PERSON = person()


def _variant_of(original, how):
    """The same person again, as a second CSV row would give them (e-mail case or spacing changed)."""
    copy = dict(original)
    email = copy.get("email")
    if isinstance(email, str):
        copy["email"] = {"same": email, "upper": email.upper(), "pad": " %s " % email}[how]
    return copy


@st.composite
def people(draw, min_size=1, max_size=8):
    """A list of input people, some of them repeated (the same e-mail in another spelling, or verbatim)."""
    batch = draw(st.lists(PERSON, min_size=min_size, max_size=max_size))
    repeats = draw(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=len(batch) - 1), st.sampled_from(["same", "upper", "pad"])),
            max_size=3,
        )
    )
    for index, how in repeats:
        position = draw(st.integers(min_value=0, max_value=len(batch)))
        batch.insert(position, _variant_of(batch[index], how))
    return batch


BENIGN_FIRST = st.lists(NAMES, min_size=1, max_size=3).map(" ".join)
BENIGN_LAST = st.lists(NAMES, min_size=1, max_size=2).map(", ".join)
BENIGN_LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
LETTER_CASE = st.sampled_from([str, str.upper, str.title])


@st.composite
def benign_person(draw, index):
    """A valid person whose name is awkward only in ways Moodle accepts (accents, apostrophes, commas,
    inner spaces, quotes): the collection must send it unchanged."""
    first = draw(BENIGN_FIRST)
    last = draw(BENIGN_LAST)
    local = draw(BENIGN_LOCAL)
    case = draw(LETTER_CASE)
    return {
        "email": case("p%d.%s@example.org" % (index, local)),
        "firstname": first,
        "lastname": last,
        "create_password": True,
    }


@st.composite
def benign_people(draw, max_size=8):
    size = draw(st.integers(min_value=1, max_value=max_size))
    return [draw(benign_person(index)) for index in range(size)]
