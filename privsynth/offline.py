"""Keep every dependency off the network. Imported before Presidio or tldextract are used."""

from __future__ import annotations

import os

_APPLIED = False


def ensure_offline() -> None:
    """Point tldextract at its bundled suffix-list snapshot and tell hubs to stay offline."""
    global _APPLIED
    if _APPLIED:
        return
    # An empty URL list makes tldextract use the snapshot shipped inside the package.
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import tldextract
    import tldextract.tldextract as tld_module

    offline_extractor = tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
    )
    # Presidio calls the module-level ``tldextract.extract``, which uses this global.
    tld_module.TLD_EXTRACTOR = offline_extractor
    _APPLIED = True
