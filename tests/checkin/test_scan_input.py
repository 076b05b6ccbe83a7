"""The scan's lean input check agrees with ScanInputSerializer wherever it answers at all."""

import uuid

import pytest

from checkin.serializers import ScanInputSerializer, scan_input

NONCE = str(uuid.uuid4())
GOOD = {"code": "HG1.12.abc", "session": 3, "nonce": NONCE}

CASES = [
    GOOD,
    {"code": "HG1.12.abc", "nonce": NONCE},
    {**GOOD, "session": None},
    {**GOOD, "direction": "out", "device": "gate 2"},
    {**GOOD, "device": ""},
    {**GOOD, "code": "k7qm-2xpr\n"},
    {**GOOD, "nonce": NONCE.replace("-", "")},
    {**GOOD, "nonce": "{" + NONCE + "}"},
    {**GOOD, "nonce": NONCE.upper()},
    {**GOOD, "code": "   "},
    # each of these is for the serializer: refused, or accepted in a form the lean check leaves alone
    {**GOOD, "code": ""},
    {**GOOD, "code": None},
    {**GOOD, "code": 123},
    {**GOOD, "code": "x" * 201},
    {**GOOD, "code": "x" * 200},
    {**GOOD, "code": "a\x00b"},
    {**GOOD, "code": "票\ud800"},
    {**GOOD, "code": "門票"},
    {**GOOD, "session": "3"},
    {**GOOD, "session": True},
    {**GOOD, "session": 0},
    {**GOOD, "session": 3.0},
    {**GOOD, "session": 2**31},
    {**GOOD, "nonce": 5},
    {**GOOD, "nonce": "not-a-uuid"},
    {**GOOD, "nonce": ""},
    {**GOOD, "direction": "sideways"},
    {**GOOD, "direction": ["in"]},
    {**GOOD, "direction": None},
    {**GOOD, "device": "x" * 65},
    {**GOOD, "device": "门口 1"},
    {**GOOD, "device": 7},
    {**GOOD, "extra": 1},
    {"session": 3, "nonce": NONCE},
    {"code": "HG1.12.abc", "session": 3},
    [],
    "HG1.12.abc",
    None,
]


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_the_lean_check_answers_only_what_the_serializer_would_and_the_same(data):
    lean = scan_input(data)
    serializer = ScanInputSerializer(data=data)
    if lean is not None:
        assert serializer.is_valid(), serializer.errors
        assert lean == dict(serializer.validated_data)


def test_the_common_scans_take_the_lean_path():
    for data in CASES[:10]:
        assert scan_input(data) is not None, data
