"""General paraphrases of the indicator categories (lexicon of model 2.2.0).

Model 2.2.0 knows several wordings per idea in all seven languages: a parent's working
hours and return time, "more mature than the others", "your parents don't need to know",
"keep it to yourself", private numbers and channels, paying for a job or a shoot, status
favours in a game ("I'll make you a mod"), cameras on, account intrusion, release threats.
All text here is written for these tests, in wordings that differ from the evaluation
sets, and is non-explicit (shared/SAFETY.md). The look-alikes at the end must not be read
as indicators.
"""

from __future__ import annotations

import pytest

from childshield.conversations import ConversationMonitor
from childshield.conversations.analyze import Analyzer
from childshield.conversations.features import FEATURES
from childshield.conversations.model import COERCION_ALONE


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def _kinds(analyzer: Analyzer, text: str) -> set[str]:
    return {kind for kind, *_ in analyzer.analyze(text).hits}


_CASES = [
    # access: a parent's hours, when they are back, who can hear
    ("access", "does your dad work nights this week"),
    ("access", "what time does she get home usually"),
    ("access", "arbeitet deine mama abends lange?"),
    ("access", "wann kommt er denn heim"),
    ("access", "ta mère rentre tard le vendredi ?"),
    ("access", "tus padres trabajan hasta tarde?"),
    ("access", "a che ora rientra tuo padre?"),
    ("access", "hoe laat komt je moeder thuis"),
    ("access", "o której wraca tata?"),
    # trust: more mature than the others
    ("trust", "honestly you're more mature than most girls in your class"),
    ("trust", "du bist viel reifer als die anderen in deiner klasse"),
    ("trust", "t'es bien plus mûre que les autres filles"),
    ("trust", "eres mas madura que las chicas de tu clase"),
    ("trust", "sei più matura delle altre ragazze"),
    ("trust", "jij bent volwassener dan de anderen"),
    ("trust", "jesteś dojrzalsza niż inne dziewczyny"),
    # isolation: no need for the parents to know, keep it to yourself, private channels
    ("isolation", "your mum doesn't need to know about this"),
    ("isolation", "deine Eltern brauchen davon nichts zu wissen"),
    ("isolation", "tes parents n'ont pas besoin de le savoir"),
    ("isolation", "tu madre no tiene por que saber nada"),
    ("isolation", "i tuoi non devono saperlo"),
    ("isolation", "je ouders hoeven dit niet te weten"),
    ("isolation", "mama nie musi o niczym wiedzieć"),
    ("isolation", "behalte das bitte für dich"),
    ("isolation", "garde ça pour toi stp"),
    ("isolation", "tienilo per te ok?"),
    ("isolation", "hou het voor jezelf"),
    ("isolation", "zachowaj to dla siebie"),
    ("isolation", "text my private number instead"),
    ("isolation", "scriviamoci su telegram che è meglio"),
    ("isolation", "gadajmy lepiej na whatsappie"),
    # incentive: pay for a job or a shoot, status favours
    ("incentive", "we will cover the fee for the shoot"),
    ("incentive", "ich zahl dir 20 euro"),
    ("incentive", "je te file 500 pièces"),
    ("incentive", "ik geef je 1000 robux"),
    ("incentive", "dam ci 500 vbucksów"),
    ("incentive", "i can make you a mod on my server"),
    ("incentive", "ti faccio admin del gruppo"),
    # approach: cameras on, photos in formal register
    ("approach", "camera on at 8 ok"),
    ("approach", "pon la camara un momento"),
    ("approach", "accendi la webcam dai"),
    ("approach", "Bitte senden Sie uns zwei Fotos"),
    ("approach", "Proszę przesłać kilka zdjęć"),
    # coercion: account intrusion, release threats
    ("coercion", "i hacked your account last night"),
    ("coercion", "ich habe deinen Account gehackt"),
    ("coercion", "j'ai piraté ton compte"),
    ("coercion", "he hackeado tu cuenta"),
    ("coercion", "ho hackerato il tuo account"),
    ("coercion", "ik heb je account gehackt"),
    ("coercion", "zhakowałem twoje konto"),
]


@pytest.mark.parametrize(("kind", "text"), _CASES)
def test_paraphrases_in_seven_languages(analyzer: Analyzer, kind: str, text: str) -> None:
    assert kind in _kinds(analyzer, text), text


@pytest.mark.parametrize(("kind", "text"), [
    ("benign", "stop spamming my live chat lol"),        # spam as a verb: no scam context
    ("benign", "lo scrivi in modo chiaro"),              # Italian "in modo", not a French mod
    ("benign", "das regeln wir morgen"),                 # German verb, not server rules
    ("coercion", "photos of the hike go on the troop page for parents"),
    ("coercion", "if it's not handed in, I'll write to your parents"),
    ("access", "how old is your dog now?"),
])
def test_look_alikes_are_not_read_as_cues(analyzer: Analyzer, kind: str, text: str) -> None:
    assert kind not in _kinds(analyzer, text), text


@pytest.mark.parametrize("texts", [
    ("lol i hacked your account", "jk i read all your messages, you left it logged in"),
    ("haha ich hab deinen account gehackt", "spass, alle deine chats gelesen lol"),
    ("jaja he hackeado tu cuenta", "es broma, tengo todos tus mensajes abiertos"),
])
def test_account_intrusion_alone_does_not_open_the_gate(texts: tuple[str, str]) -> None:
    """Intrusion ("I hacked your account", "I read all your messages") is coercion
    evidence, but below the level at which coercion opens the gate on its own: peers say
    it as a joke."""
    monitor = ConversationMonitor()
    for text in texts:
        assert monitor.feed("c", {"author": "peer", "text": text}) is None
        monitor.feed("c", {"author": "friend", "text": "what"})
    coercion = monitor.author_features("c")["peer"][FEATURES.index("coercion")]
    assert 0 < coercion < COERCION_ALONE
