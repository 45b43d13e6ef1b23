"""NCMEC CyberTipline reporting: report and fileDetails XML, and the ESP API client.

- :mod:`.documents`: the documents (``<report>``, ``<fileDetails>``) with elements in the order
  of NCMEC's schema, and parsing of ``<reportResponse>`` / ``<reportDoneResponse>``.
- :mod:`.mapping`: a childshield Art. 13 report -> CyberTipline report and file details.
- :mod:`.client`: the ``submit`` -> ``upload`` -> ``fileinfo`` -> ``finish`` steps (and
  ``retract``, ``status``) over HTTPS, with NCMEC's response codes mapped to errors that say
  whether a retry can help. Sandbox versus production is an explicit switch.
"""
