"""Who the author is to the child, what a secret is for, and extortion in more wordings.

Model 2.1.0 reads a stated family relation (``kin``) and a secret's benign target
(``surprise``: a present or a party for a third person) as benign context, damps the
secrecy cues of a message that names such a target, reads "call me uncle" as a
trust-building cue, and knows more extortion phrasings in all seven languages. All text
here is written for these tests (never taken from an evaluation set) and is non-explicit.
"""

from __future__ import annotations

import pytest

from childshield.conversations import ConversationMonitor
from childshield.conversations.analyze import SECRET_DAMPING, Analyzer
from childshield.conversations.features import FEATURES


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def _weights(analyzer: Analyzer, text: str, kind: str) -> list[float]:
    return [weight for hit_kind, weight, *_ in analyzer.analyze(text).hits if hit_kind == kind]


def test_secret_for_a_third_persons_present_is_damped(analyzer: Analyzer):
    plain = _weights(analyzer, "dont tell your dad about the tickets okay", "isolation")
    target = _weights(analyzer, "dont tell your dad, the tickets are a present for him",
                      "isolation")
    assert plain and target
    assert max(target) == pytest.approx(max(plain) * SECRET_DAMPING)


def test_a_surprise_for_the_child_is_not_a_benign_target(analyzer: Analyzer):
    hits = analyzer.analyze("dont tell your dad, i have a surprise for you").hits
    assert not any(kind == "surprise" for kind, *_ in hits)
    assert any(kind == "isolation" and weight > 0.3 for kind, weight, *_ in hits)


_KIN = ["its your uncle pete, how was the match", "thank you grandma!!",
        "hier ist deine tante, alles gut?", "merci mamie", "soy tu abuela, que tal el cole",
        "grazie zia", "hoi, met je oom", "dziekuje babciu"]
_EXTORTION = ["i still have your voice messages", "or your whole class hears it",
              "sonst sieht deine ganze schule es", "ou toute ta classe le voit",
              "o todo tu colegio lo ve", "o tutta la tua scuola lo vede",
              "anders ziet je hele klas het", "albo cala szkola to zobaczy"]


@pytest.mark.parametrize(("kind", "text"), [("kin", t) for t in _KIN]
                         + [("coercion", t) for t in _EXTORTION])
def test_new_cues_in_seven_languages(analyzer: Analyzer, kind: str, text: str):
    """A stated family relation is context; extortion is recognised in new wordings."""
    assert any(hit_kind == kind for hit_kind, *_ in analyzer.analyze(text).hits), text


@pytest.mark.parametrize("text", [
    "just call me uncle ok",
    "nenn mich einfach onkel",
    "appelle moi tonton",
    "llamame tio",
    "chiamami zio",
    "zeg maar oom tegen me",
    "mow mi wujek",
])
def test_fictive_kin_is_a_trust_cue_not_context(analyzer: Analyzer, text: str):
    kinds = {kind for kind, *_ in analyzer.analyze(text).hits}
    assert "trust" in kinds and "kin" not in kinds, (text, kinds)


def test_relative_arranging_a_present_stays_below_the_alert(run):
    monitor = ConversationMonitor()
    result = run(monitor, "uncle-present", [
        ("uncle_pete", "hi its uncle pete! is your dad home or are you on your own?"),
        ("sam", "on my own till 6"),
        ("uncle_pete", "ok. i sent you 15 pounds for the tickets"),
        ("sam", "thanks uncle pete"),
        ("uncle_pete", "dont tell your dad, the tickets are a present for his 50th"),
    ])
    assert not result.alert, result.to_dict()


def test_short_extortion_alerts_on_the_threat(run):
    monitor = ConversationMonitor()
    result = run(monitor, "extortion", [
        ("anon_77", "i still have your voice messages from the server"),
        ("kim", "what?? delete them"),
        ("anon_77", "20 in gift cards by friday or your whole class hears them"),
    ])
    assert result.alert and result.suspect == "anon_77"
    assert result.alert_message == 2
    assert any(i["category"] == "coercion" for i in result.indicators)


def test_kin_counts_towards_benign_context():
    monitor = ConversationMonitor()
    monitor.feed("k", {"author": "a", "text": "how was school today"})
    before = monitor.author_features("k")["a"][FEATURES.index("benign_context")]
    monitor.feed("k", {"author": "b", "text": "good thanks grandma"})
    after = monitor.author_features("k")["a"][FEATURES.index("benign_context")]
    assert before == 0.0 and after > 0.3
