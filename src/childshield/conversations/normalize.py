"""Chat spelling normalisation: raw message text -> canonical tokens with source spans.

Every token keeps the span of the raw text it came from, so evidence can quote the exact
words a reviewer needs to see. The canonical form is lower case, without accents or
apostrophes, with leetspeak decoded inside words (``s3cr3t`` -> ``secret``), long letter
runs shortened (``sooooo`` -> ``so``; the lexicon decides between one and two letters) and
chat abbreviations expanded (``u`` -> ``you``, ``tkt`` -> ``tinquiete``, ``nwm`` -> ``nie
wiem``). Results per raw token are cached (bounded), because chat vocabulary repeats.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

TOKEN_RE = re.compile(r"[\w@$€]+(?:['’`´][\w]+)*")
_APOSTROPHES = str.maketrans("", "", "'’`´")
_SPECIAL = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe",
                          "đ": "d", "ı": "i", "ſ": "s"})
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "€": "e", "8": "b"})
_LEETABLE = re.compile(r"(?=.*[^\W\d_])(?=.*[\d@$€])")
_LONG_RUN = re.compile(r"(\D)\1{2,}")
_DOUBLE = re.compile(r"(\D)\1+")
_AGE_SUFFIX = re.compile(r"^(\d{1,2})(yo|y|yrs|j|ans|anni|anos|jaar|lat|lata)$")

# Chat abbreviations, already in canonical form on both sides. Only unambiguous ones across
# the seven languages; the value may hold several words.
ABBREVIATIONS: dict[str, str] = {
    # English
    "u": "you", "ya": "you", "yu": "you", "ur": "your", "youre": "you are", "r": "are",
    "pls": "please", "plz": "please", "pix": "pics", "piccy": "pic",
    "rn": "right now", "bf": "boyfriend", "gf": "girlfriend",
    "cuz": "because", "coz": "because", "bc": "because", "tho": "though",
    "w8": "wait", "gr8": "great", "b4": "before", "2day": "today", "2nite": "tonight",
    "l8r": "later", "2moro": "tomorrow", "ppl": "people", "bday": "birthday", "msg": "message",
    "msgs": "messages", "wanna": "want to",
    "gonna": "going to", "gotta": "got to", "ima": "i am going to", "imma": "i am going to",
    "wat": "what", "wut": "what", "whats": "what is", "wats": "what is", "ill": "i will",
    "yr": "your", "thx": "thanks", "ty": "thank you", "idk": "i do not know",
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "wont": "will not",
    "cant": "can not", "cannot": "can not", "isnt": "is not", "arent": "are not",
    "wouldnt": "would not", "shouldnt": "should not", "im": "i am", "ive": "i have",
    "iam": "i am", "ud": "you would", "youll": "you will", "youd": "you would",
    "theyre": "they are", "youve": "you have", "weve": "we have", "lets": "let us",
    "mum": "mom", "mommy": "mom", "mummy": "mom",
    "parentz": "parents", "snapchat": "snap", "sc": "snap", "insta": "insta",
    "ig": "insta", "instagram": "insta", "wa": "whatsapp", "whatsap": "whatsapp",
    "robuxs": "robux", "4": "for", "sum1": "someone", "any1": "anyone", "no1": "no one",
    "every1": "everyone", "some1": "someone", "cu": "see you", "ic": "i see",
    # German
    "hdl": "hab dich lieb", "hdgdl": "hab dich ganz doll lieb", "vllt": "vielleicht",
    "vlt": "vielleicht", "bissl": "bisschen", "gehts": "geht es",
    "isch": "ich", "nix": "nichts", "nich": "nicht", "niemanden": "niemandem",
    "kannste": "kannst du",
    "biste": "bist du", "haste": "hast du", "willste": "willst du", "zuhause": "zu hause",
    "daheim": "zu hause", "handynr": "handynummer", "wg": "wegen",
    # French
    "tkt": "tinquiete", "stp": "sil te plait", "svp": "sil vous plait", "pk": "pourquoi",
    "bcp": "beaucoup", "slt": "salut", "jsp": "je sais pas",
    "chui": "je suis", "jsuis": "je suis", "jte": "je te", "jvais": "je vais", "ct": "cetait",
    "qd": "quand", "qq": "quelque", "dac": "daccord", "mtn": "maintenant",
    "tt": "tout", "tel": "telephone", "portable": "telephone",
    "ds": "dans", "pr": "pour", "ouais": "oui",
    # Spanish
    "q": "que", "xq": "porque", "pq": "porque", "porq": "porque", "tb": "tambien",
    "tmb": "tambien", "tqm": "te quiero mucho", "ntp": "no te preocupes", "nd": "nada",
    "wsp": "whatsapp", "wasap": "whatsapp", "guasap": "whatsapp", "cel": "celular",
    "movil": "celular", "papas": "padres", "viejos": "padres",
    "finde": "fin de semana", "profe": "profesor",
    # Italian
    "ke": "che", "nn": "non", "cmq": "comunque", "xke": "perche", "xche": "perche",
    "tvb": "ti voglio bene", "qlc": "qualcuno", "sn": "sono", "dv": "dove", "qnt": "quanti",
    "cell": "cellulare", "nessuna": "nessuno",
    # Dutch
    "ff": "even", "mss": "misschien", "wss": "waarschijnlijk", "jw": "je", "jij": "je",
    "jou": "je", "jouw": "je", "mn": "mijn", "zn": "zijn", "ipv": "in plaats van",
    "whatsappen": "whatsapp",
    # Polish
    "nwm": "nie wiem", "spk": "spoko", "pzdr": "pozdrawiam", "cb": "ciebie", "jj": "jasne",
    "dzk": "dzieki", "sory": "sorry", "priv": "pw",
    "fotka": "fotke", "fotki": "fotke", "zdj": "zdjecie",
}


def strip_accents(text: str) -> str:
    """Remove diacritics (``é`` -> ``e``, ``ł`` -> ``l``, ``ß`` -> ``ss``)."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Normaliser:
    """Turns raw text into canonical tokens, guided by the vocabulary of the lexicon.

    ``vocabulary`` holds every whole word the lexicon knows and ``prefixes`` the word
    prefixes it matches (``secret*``): they decide between ``cool`` and ``col`` when a
    letter run is shortened, and between ``i`` and ``l`` for a leetspeak ``1``.
    """

    def __init__(
        self,
        vocabulary: Iterable[str] = (),
        prefixes: Iterable[str] = (),
        abbreviations: Mapping[str, str] | None = None,
        cache_size: int = 200_000,
    ) -> None:
        self.vocabulary = frozenset(vocabulary)
        self.prefixes = frozenset(prefixes)
        self.abbreviations = dict(ABBREVIATIONS if abbreviations is None else abbreviations)
        self.cache_size = cache_size
        self._cache: dict[str, tuple[str, ...]] = {}

    def known(self, word: str) -> bool:
        if word in self.vocabulary:
            return True
        prefixes = self.prefixes
        return any(word[:k] in prefixes for k in range(3, len(word) + 1))

    def _pick(self, *candidates: str) -> str:
        for candidate in candidates:
            if self.known(candidate):
                return candidate
        return candidates[0]

    def canonical(self, raw: str) -> tuple[str, ...]:
        """Canonical tokens for one raw token (cached)."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        result = self._canonical(raw)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[raw] = result
        return result

    def _canonical(self, raw: str) -> tuple[str, ...]:
        word = raw.lower().translate(_APOSTROPHES)
        expanded = self.abbreviations.get(word)
        if expanded is not None:
            return tuple(expanded.split())
        age = _AGE_SUFFIX.match(word)
        if age:
            return (age.group(1), "yo")
        if not word.isascii():
            word = strip_accents(word)
        if not word.isalpha() and not word.isdigit() and _LEETABLE.search(word):
            with_i = word.translate(_LEET).replace("1", "i")
            with_l = word.translate(_LEET).replace("1", "l")
            word = self._pick(with_i, with_l)
        if _LONG_RUN.search(word):
            two = _LONG_RUN.sub(r"\1\1", word)
            one = _DOUBLE.sub(r"\1", two)
            word = self._pick(two, one)
        expanded = self.abbreviations.get(word)
        if expanded is not None:
            return tuple(expanded.split())
        return (word,) if word else ()

    def words(self, text: str) -> list[str]:
        """Canonical tokens of ``text`` without spans (the fast path for most messages)."""
        out: list[str] = []
        cache = self._cache
        for raw in TOKEN_RE.findall(text):
            canon = cache.get(raw)
            if canon is None:
                canon = self.canonical(raw)
            out.extend(canon)
        return out

    def tokens(self, text: str) -> tuple[list[str], list[tuple[int, int]]]:
        """Canonical tokens of ``text`` and, for each, the (start, end) span in ``text``."""
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        for match in TOKEN_RE.finditer(text):
            canon = self.canonical(match.group())
            if canon:
                span = match.span()
                out.extend(canon)
                spans.extend([span] * len(canon))
        return out, spans


__all__ = ["ABBREVIATIONS", "TOKEN_RE", "Normaliser", "strip_accents"]
