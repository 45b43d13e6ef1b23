"""Scoring behaviour: combinations alert, single cues and hard negatives stay low."""

from __future__ import annotations

import pytest

from childshield.conversations import ConversationMonitor

GROOMING_EN = [
    ("max_r", "hey saw ur drawings, ur really talented"),
    ("lia", "thx"),
    ("max_r", "how old r u?"),
    ("lia", "13"),
    ("max_r", "im 27 but age is just a number"),
    ("max_r", "r ur parents home rn?"),
    ("lia", "no theyre at work"),
    ("max_r", "add me on snap, and dont tell anyone, its our secret"),
    ("max_r", "send me a selfie"),
]


def test_progression_raises_an_alert_at_the_message_that_completes_it(monitor, run):
    result = run(monitor, "g1", GROOMING_EN)
    assert result.alert
    assert result.suspect == "max_r"
    # the alert comes once the combination is there, not at the first question
    assert 4 <= result.alert_message <= 8
    categories = {i["category"] for i in result.indicators}
    assert {"access", "trust", "isolation"} <= categories
    assert "age_gap" in categories
    for indicator in result.indicators:
        assert indicator["text"], indicator
        text = GROOMING_EN[indicator["message"]][1]
        assert indicator["text"] in text  # the span quotes the raw message


def test_feed_returns_the_alert_exactly_once(monitor):
    alerts = []
    for author, text in [*GROOMING_EN, ("max_r", "delete this chat")]:
        alert = monitor.feed("once", {"author": author, "text": text})
        if alert is not None:
            alerts.append(alert)
    assert len(alerts) == 1
    data = alerts[0].to_dict()
    assert data["suspect"] == "max_r" and data["id"] == "once"
    assert data["indicators"] and 0.0 <= data["risk"] <= 1.0
    monitor.close("once")


@pytest.mark.parametrize("text", [
    "can you keep a secret?",
    "send me a photo",
    "how old are you",
    "i can buy you robux",
    "delete this chat",
])
def test_a_single_indicator_does_not_alert(monitor, run, text):
    result = run(monitor, f"single-{text}", [("a", "hi"), ("b", "hey"), ("a", text)])
    assert not result.alert
    assert result.risk < monitor.model.threshold


HARD_NEGATIVES = {
    "surprise party": [
        ("aunt", "we're planning a surprise party for your mum's birthday"),
        ("kid", "yay"),
        ("aunt", "don't tell her, it's a secret! delete this chat so she doesn't see it"),
        ("aunt", "can we meet on saturday to buy the present? i'll pick you up"),
    ],
    "homework photo": [
        ("dad", "send me a photo of your maths homework please"),
        ("kid", "ok"),
        ("dad", "thanks, question 3 is wrong. are you home alone?"),
        ("kid", "yes mum is at work"),
    ],
    "coach to parent": [
        ("coach", "Hello Mrs Green, your son played well at training today."),
        ("parent", "thanks"),
        ("coach", "How old is he exactly? I need it for the tournament, and a photo for his pass."),
        ("coach", "I can drive him home after the match."),
    ],
    "damaged parcel": [
        ("shop", "Sorry your parcel arrived damaged. Could you send us a photo of the box?"),
        ("customer", "sure"),
        ("shop", "Thanks. We can refund you or send a gift card."),
    ],
    "moderator asking ages": [
        ("mod", "Welcome! How old are you? This server is 13+, those are the rules."),
        ("user1", "im 14"),
        ("user2", "13"),
        ("mod", "Never share your address here and tell a moderator if someone asks you to "
                "move to another app."),
    ],
}


@pytest.mark.parametrize("name", sorted(HARD_NEGATIVES))
def test_hard_negatives_stay_low(monitor, run, name):
    result = run(monitor, f"neg-{name}", HARD_NEGATIVES[name])
    assert not result.alert, result.to_dict()
    assert result.risk < 0.5


@pytest.mark.parametrize("lines", [
    [("tomek_t", "cześć kasia, jesteś wyjątkowa, nikt cię nie rozumie tak jak ja"),
     ("kasia", "hej"),
     ("tomek_t", "ile masz lat?"),
     ("kasia", "mam 12 lat"),
     ("tomek_t", "jutro odbiorę cię po szkole, nie mów rodzicom, to nasza tajemnica")],
    [("alex", "t'as quel âge?"),
     ("chloe", "13 ans"),
     ("alex", "t'es vraiment mature pour ton âge"),
     ("alex", "ajoute moi sur snap et dis rien à personne, c'est notre secret"),
     ("alex", "envoie moi une photo de toi")],
    [("dani", "cuántos años tienes?"),
     ("lu", "12"),
     ("dani", "eres muy madura para tu edad"),
     ("dani", "no se lo digas a nadie, es nuestro secreto. borra el chat"),
     ("dani", "mándame una foto tuya")],
], ids=["pl", "fr", "es"])
def test_other_languages_alert_and_name_the_suspect(monitor, run, lines):
    result = run(monitor, f"lang-{lines[0][0]}", lines)
    assert result.alert
    assert result.suspect == lines[0][0]


def test_chat_spelling_is_normalised(monitor, run):
    plain = run(monitor, "plain", [
        ("a", "how old are you"), ("b", "12"), ("a", "you are so mature for your age"),
        ("a", "do not tell anyone, it is our secret"), ("a", "send me a selfie")])
    chat = run(monitor, "chat", [
        ("a", "h0w old r u???"), ("b", "12"), ("a", "ur sooooo mature 4 ur age"),
        ("a", "dont tell any1, its our s3cr3t"), ("a", "send me a selfieeee")])
    assert plain.alert and chat.alert
    assert {i["category"] for i in chat.indicators} == {i["category"] for i in plain.indicators}


def test_accents_may_be_missing(monitor, run):
    with_accents = run(monitor, "acc", [("x", "Wie alt bist du? Du bist so reif für dein Alter")])
    without = run(monitor, "noacc", [("x", "wie alt bist du? du bist so reif fur dein alter")])
    assert with_accents.indicators and len(with_accents.indicators) == len(without.indicators)


def test_the_suspect_is_the_author_who_grooms_not_the_one_who_answers(monitor, run):
    result = run(monitor, "who", [
        ("child", "hi, my parents are at work and im home alone"),
        ("adult", "how old are you?"),
        ("child", "im 12"),
        ("adult", "you're so mature for your age. our little secret ok? dont tell your mum"),
        ("adult", "i can pick you up after school"),
    ])
    assert result.alert and result.suspect == "adult"


def test_coercion_with_a_threat_alerts_on_its_own(monitor, run):
    result = run(monitor, "extortion", [
        ("x", "i saved all your photos and our chats"),
        ("y", "please delete them"),
        ("x", "send me 100 in gift cards or i will send everything to your school and parents"),
    ])
    assert result.alert and result.suspect == "x"
    assert "coercion" in {i["category"] for i in result.indicators}


def test_similar_openers_across_many_conversations_are_a_meta_signal():
    monitor = ConversationMonitor()
    opener = "hey cutie saw your profile you seem really mature, how old are you"
    for n in range(4):
        monitor.feed(f"mass-{n}", {"author": "spammer", "text": opener})
        monitor.feed(f"mass-{n}", {"author": f"kid{n}", "text": "12"})
    last = monitor.result("mass-3")
    first = monitor.result("mass-0")
    assert "mass_opener" in {i["category"] for i in last.indicators}
    assert "mass_opener" not in {i["category"] for i in first.indicators}
    assert last.risk > first.risk
