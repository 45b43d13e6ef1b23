"""childshield: detection and reporting of child sexual abuse material and solicitation.

Two deployments of one package: the *provider* (hashing, matching, review, reports,
notices, complaints, removal orders, retention) and the *centre* (intake, assessment,
referral, indicator database, victims, transparency). See docs/ and DESIGN.md.
"""

from childshield.errors import ChildshieldError

__version__ = "0.1.0"

__all__ = ["ChildshieldError", "__version__"]
