from __future__ import annotations

import pytest

from storefront.sanity import signatures
from storefront.sanity.signatures import (
    SignatureError,
    SignatureFormatError,
    SignatureMismatchError,
    SignatureTimestampError,
    sign,
    verify,
)

BODY = b'{"_id":"resume"}'
T = 1633519811129
SIG = "tLa470fx7qkLLEcMOcEUFuBbRSkGujyskxrNXcoh0N0"


def test_published_vector() -> None:
    assert sign(BODY, "test", T) == f"t={T},v1={SIG}"
    verify(BODY, f"t={T},v1={SIG}", "test", now_ms=T)


@pytest.mark.parametrize("separator", [",", ", ", " ", ",  "])
def test_separators_sanity_accepts(separator: str) -> None:
    verify(BODY, f"t={T}{separator}v1={SIG}", "test", now_ms=T + 1000)


@pytest.mark.parametrize(
    "header",
    [None, "", "v1=abc", f"t={T}", f"t=abc,v1={SIG}", f"t={T};v1={SIG}", f"v1={SIG},t={T}"],
)
def test_malformed_header_is_format_error(header: str | None) -> None:
    with pytest.raises(SignatureFormatError) as info:
        verify(BODY, header, "test", now_ms=T)
    assert info.value.reason == "format"


def test_wrong_secret_body_or_signature() -> None:
    header = sign(BODY, "test", T)
    with pytest.raises(SignatureMismatchError):
        verify(BODY, header, "other", now_ms=T)
    with pytest.raises(SignatureMismatchError):
        verify(b'{"_id": "resume"}', header, "test", now_ms=T)  # re-serialised body
    with pytest.raises(SignatureMismatchError):
        verify(BODY, f"t={T},v1={SIG}=", "test", now_ms=T)  # padded base64
    with pytest.raises(SignatureMismatchError):
        verify(BODY, f"t={T + 1},v1={SIG}", "test", now_ms=T)  # timestamp is signed too


def test_timestamp_window_and_2021_floor() -> None:
    header = sign(BODY, "s", T)
    verify(BODY, header, "s", now_ms=T + 299_000)
    verify(BODY, header, "s", now_ms=T - 299_000)
    with pytest.raises(SignatureTimestampError):
        verify(BODY, header, "s", now_ms=T + 301_000)
    with pytest.raises(SignatureTimestampError):
        verify(BODY, header, "s", now_ms=T - 301_000)
    old = 1_600_000_000_000
    with pytest.raises(SignatureTimestampError):
        verify(BODY, sign(BODY, "s", old), "s", now_ms=old, tolerance_s=10**9)


def test_all_errors_share_a_base_and_bytes_secret_works() -> None:
    assert issubclass(SignatureFormatError, SignatureError)
    assert signatures.compute(BODY, b"test", T) == SIG
    assert "=" not in signatures.compute(b"x" * 5, "k", T)


# --- the edges and the words (what mutation testing found unchecked) ---------------------
def test_the_window_and_the_2021_floor_are_inclusive() -> None:
    floor = signatures.MIN_TIMESTAMP_MS
    at_floor = signatures.sign(b"{}", "s", floor)
    signatures.verify(b"{}", at_floor, "s", now_ms=floor, tolerance_s=300)
    stamp = 1_800_000_000_000
    header = signatures.sign(b"{}", "s", stamp)
    for now in (stamp + 300_000, stamp - 300_000):
        signatures.verify(b"{}", header, "s", now_ms=now, tolerance_s=300)
    for now in (stamp + 300_001, stamp - 300_001):
        with pytest.raises(signatures.SignatureTimestampError):
            signatures.verify(b"{}", header, "s", now_ms=now, tolerance_s=300)


@pytest.mark.parametrize(
    ("header", "now", "error", "message"),
    [
        (None, 1_800_000_000_000, "SignatureFormatError", "not of the form t=<ms>,v1=<signature>"),
        (
            "t=1500000000000,v1=abc",
            1_500_000_000_000,
            "SignatureTimestampError",
            "signature timestamp is before 2021",
        ),
        (
            "t=1800000000000,v1=abc",
            1_900_000_000_000,
            "SignatureTimestampError",
            "signature timestamp is outside the accepted window",
        ),
        (
            "t=1800000000000,v1=abc",
            1_800_000_000_000,
            "SignatureMismatchError",
            "signature does not match the body",
        ),
        (
            "t=1800000000000,v1=sïgnature",  # not ASCII: a mismatch, never a crash
            1_800_000_000_000,
            "SignatureMismatchError",
            "signature does not match the body",
        ),
    ],
)
def test_each_refusal_says_why(header: str | None, now: int, error: str, message: str) -> None:
    with pytest.raises(signatures.SignatureError) as caught:
        signatures.verify(b"{}", header, "s", now_ms=now)
    assert type(caught.value).__name__ == error
    assert str(caught.value) == (
        "signature header is not of the form t=<ms>,v1=<signature>"
        if error == "SignatureFormatError"
        else message
    )


def test_padding_is_stripped_and_nothing_else() -> None:
    """A SHA-256 MAC is 32 bytes: 43 base64url characters after the one ``=`` is stripped."""
    stamp = 1_800_000_000_000
    for n in range(200):
        body = f'{{"n": {n}}}'.encode()
        value = signatures.compute(body, "s", stamp)
        assert len(value) == 43 and "=" not in value
        signatures.verify(body, f"t={stamp},v1={value}", "s", now_ms=stamp)
