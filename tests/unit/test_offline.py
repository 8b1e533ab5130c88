"""Nothing reaches the network: tldextract uses its bundled suffix list under blocked sockets."""

import socket

import pytest

from tests.conftest import NETWORK_ATTEMPTS, NetworkBlocked


def test_sockets_really_are_blocked() -> None:
    before = len(NETWORK_ATTEMPTS)
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    assert len(NETWORK_ATTEMPTS) > before


def test_tldextract_uses_bundled_snapshot_without_trying_the_network() -> None:
    from privsynth.offline import ensure_offline

    ensure_offline()
    import tldextract
    import tldextract.tldextract as tld

    assert tuple(tld.TLD_EXTRACTOR.suffix_list_urls) == ()
    before = len(NETWORK_ATTEMPTS)
    result = tldextract.extract("mail.example.co.uk")
    assert (result.domain, result.suffix) == ("example", "co.uk")
    assert len(NETWORK_ATTEMPTS) == before


def test_presidio_email_recognizer_works_offline() -> None:
    from privsynth.pii.engine import build_analyzer

    before = len(NETWORK_ATTEMPTS)
    results = build_analyzer().analyze("write to jane.roe@example.co.uk today", language="en")
    assert any(r.entity_type == "EMAIL_ADDRESS" and r.score > 0.9 for r in results)
    assert len(NETWORK_ATTEMPTS) == before
