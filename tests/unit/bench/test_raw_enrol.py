"""bench/raw_enrol.py without a network: batch sizes by form-field count, the forms, the CSV, the three steps."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench"))

import raw_enrol  # noqa: E402
from raw_enrol import ADD, CREATE, LOOKUP  # noqa: E402


@pytest.mark.parametrize(
    "function, max_input_vars, records",
    [
        # 3 fixed fields + field=email + one per e-mail.
        (LOOKUP, 5000, 4996),
        (LOOKUP, 1000, 996),
        # 3 fixed fields + 6 per user.
        (CREATE, 5000, 832),
        (CREATE, 1000, 166),
        # 3 fixed fields + 4 per member.
        (ADD, 5000, 1249),
        (ADD, 1000, 249),
    ],
)
def test_a_batch_is_as_large_as_max_input_vars_allows(function, max_input_vars, records):
    assert raw_enrol.records_per_request(function, max_input_vars) == records


def full_form(function, count):
    people = [{"email": "p%d@example.org" % n, "firstname": "F", "lastname": "L"} for n in range(count)]
    if function == LOOKUP:
        form = raw_enrol.lookup_form([person["email"] for person in people])
    elif function == CREATE:
        form = raw_enrol.create_form(people)
    else:
        form = raw_enrol.add_form(1, list(range(count)))
    return form


@pytest.mark.parametrize("function", [LOOKUP, CREATE, ADD])
@pytest.mark.parametrize("max_input_vars", [1000, 5000, 4999])
def test_a_full_batch_fits_and_one_record_more_would_not(function, max_input_vars):
    records = raw_enrol.records_per_request(function, max_input_vars)
    assert len(full_form(function, records)) + raw_enrol.FIXED_FIELDS <= max_input_vars
    assert len(full_form(function, records + 1)) + raw_enrol.FIXED_FIELDS > max_input_vars


def test_too_small_a_budget_is_refused():
    with pytest.raises(ValueError, match="no room"):
        raw_enrol.records_per_request(CREATE, 8)


def test_chunks_keep_order_and_the_last_one_is_the_rest():
    assert raw_enrol.chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert raw_enrol.chunks([], 3) == []


def test_the_forms_say_what_moodle_expects():
    assert raw_enrol.lookup_form(["a@x.org", "b@x.org"]) == {
        "field": "email",
        "values[0]": "a@x.org",
        "values[1]": "b@x.org",
    }
    assert raw_enrol.create_form([{"email": "Ada@X.org", "firstname": "Ada", "lastname": "L"}]) == {
        "users[0][username]": "ada@x.org",
        "users[0][firstname]": "Ada",
        "users[0][lastname]": "L",
        "users[0][email]": "Ada@X.org",
        "users[0][auth]": "manual",
        "users[0][createpassword]": "1",
    }
    assert raw_enrol.add_form(4, [7]) == {
        "members[0][cohorttype][type]": "id",
        "members[0][cohorttype][value]": "4",
        "members[0][usertype][type]": "id",
        "members[0][usertype][value]": "7",
    }


def test_the_csv_is_read_with_or_without_bom(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("\ufeffemail,firstname,lastname\nzoe@example.org, Zoé ,Lefèvre\n".encode("utf-8"))
    assert raw_enrol.read_people(str(path)) == [{"email": "zoe@example.org", "firstname": "Zoé", "lastname": "Lefèvre"}]


class FakeClient(object):
    """What the site answers, from a dict of existing accounts; records every request's form."""

    def __init__(self, existing):
        self.accounts = dict(existing)
        self.requests = []

    def call_all(self, function, forms):
        answers = []
        for form in forms:
            self.requests.append((function, form))
            if function == LOOKUP:
                values = [value for key, value in form.items() if key.startswith("values[")]
                answers.append([{"id": self.accounts[v], "email": v} for v in values if v in self.accounts])
            elif function == CREATE:
                created = []
                for key, value in form.items():
                    if key.endswith("[email]"):
                        self.accounts[value] = 1000 + len(self.accounts)
                        created.append({"id": self.accounts[value], "username": value})
                answers.append(created)
            else:
                answers.append({"warnings": []})
        return answers


def test_enrol_looks_up_creates_the_missing_and_adds_everybody_in_batches_under_the_budget():
    people = [{"email": "p%02d@example.org" % n, "firstname": "F", "lastname": "L"} for n in range(30)]
    client = FakeClient({"p00@example.org": 5, "p01@example.org": 6})
    result = raw_enrol.enrol(client, people, 1, max_input_vars=40)
    assert sorted(result.pop("step_seconds")) == sorted([LOOKUP, CREATE, ADD])
    assert result == {"people": 30, "found": 2, "created": 28, "add_warnings": 0}
    functions = [function for function, _form in client.requests]
    # 36 e-mails, 6 users, 9 members per request at 40 fields.
    assert functions == [LOOKUP] + [CREATE] * 5 + [ADD] * 4
    assert all(len(form) + raw_enrol.FIXED_FIELDS <= 40 for _function, form in client.requests)
    added = [
        value
        for function, form in client.requests
        if function == ADD
        for key, value in form.items()
        if key.endswith("[usertype][value]")
    ]
    assert len(added) == 30 and added[:2] == ["5", "6"]
