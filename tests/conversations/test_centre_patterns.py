"""The hook for the centre's solicitation patterns: phrase matching on words."""

from __future__ import annotations

from childshield.conversations.patterns import PatternSet, pattern_tokens


def test_phrase_matches_on_whole_words_case_and_accents_ignored() -> None:
    patterns = PatternSet([("1", "Delete this chat"), ("2", "ne le dis à personne"),
                           ("3", "!!!")])
    assert len(patterns) == 2  # a phrase without a word is ignored
    assert [h.pattern_id for h in patterns.match("pls DELETE this chat now")] == ["1"]
    assert patterns.match("pls delete this chatroom") == []
    assert patterns.match("deleted this chat") == []
    hits = patterns.match("Surtout, ne le DIS a personne. ne le dis à personne")
    assert [(h.pattern_id, h.start) for h in hits] == [("2", 1)]


def test_empty_set_and_tokens() -> None:
    assert PatternSet().match("anything") == []
    assert pattern_tokens("Ça  va, Zoë?") == ("ca", "va", "zoe")


def test_chat_spelling_is_normalised_on_both_sides() -> None:
    patterns = PatternSet([("1", "Don't tell your mum"), ("2", "please delete this chat"),
                           ("3", "nie mów nikomu")])
    for text in ("pls d0nt t3ll ur MUM ok", "dont tell your mom", "do not tell ur mummy",
                 "Don’t tell your mum!!"):
        assert [h.pattern_id for h in patterns.match(text)] == ["1"], text
    assert [h.pattern_id for h in patterns.match("pleeease delete this chat")] == ["2"]
    assert [h.pattern_id for h in patterns.match("NIE MOW NIKOMU")] == ["3"]
    assert patterns.match("tell your mum hi from me") == []
    assert patterns.match("please delete this chatroom") == []
