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
