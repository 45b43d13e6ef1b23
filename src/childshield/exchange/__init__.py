"""childshield.exchange: the documents that cross between provider, centre and others.

- :mod:`.report`: the provider -> centre report (Art. 13), validation, signing, sealed items.
- :mod:`.report_status`: the centre's signed answers (status, instructions, questions).
- :mod:`.indicator_list`: signed indicator lists and deltas (Art. 44, 46).
- :mod:`.referral`: the centre's referral package to law enforcement (Art. 48).
- :mod:`.ncmec`: NCMEC CyberTipline XML and API client.
- :mod:`.indicator_record`, :mod:`.jsonl`, :mod:`.pytx_format`: indicator files for banks
  (JSONL and python-threatexchange's format).

All are pure (no storage); signatures and encryption come from :mod:`childshield.crypto`.
Formats: docs/report-format.md, docs/indicator-list-format.md, docs/ncmec.md.
"""
