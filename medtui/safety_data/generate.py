"""Build data/safety/train.jsonl from the hand-written components, reproducibly.

    python -m medtui.safety_data.generate [OUT]      (default: data/safety/train.jsonl)

Every template is filled several times with different slot words and dressed in one framing
(plain, role-play, professional, reassurance, a context sentence first, the ask in the second
sentence after an unrelated question) and one surface change (none, typos, digits for letters,
lower case without punctuation, capitals, a word spelled out with spaces). The same framings are
used on harmful and benign prompts, so that no framing by itself marks a prompt harmful.

The dev split is carved by template: about a fifth of the templates of each language, category
and label, with every prompt made from them, so that tuning on dev measures wording the
classifier did not see. Prompts that normalize to the same text are kept once.
"""

from __future__ import annotations

import json
import random
import string
import sys
from pathlib import Path

from medtui.safety_data import lang_de, lang_en, lang_es, lang_fr

SEED = 20261127
LANGUAGE_MODULES = {"en": lang_en, "es": lang_es, "fr": lang_fr, "de": lang_de}
VARIANTS = {"en": 10, "es": 8, "fr": 8, "de": 8}
DEV_SHARE = 0.2
DEFAULT_OUT = Path("data/safety/train.jsonl")

# (framing, weight); "distress" is used on harmful self-harm and eating-disorder prompts only.
FRAMINGS = [("plain", 30), ("roleplay", 14), ("roleplay_suffix", 4), ("reassurance", 12),
            ("reassurance_suffix", 6), ("context", 12), ("second_sentence", 12), ("first_sentence", 4),
            ("distress", 6)]
NOISES = [("none", 52), ("typo", 16), ("leet", 10), ("lower", 12), ("upper", 4), ("spaced", 3), ("nospace", 3)]
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def _pick(rng: random.Random, weighted):
    names, weights = zip(*weighted)
    return rng.choices(names, weights)[0]


def fill(template: str, slots: dict[str, list[str]], rng: random.Random) -> str:
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    values: dict[str, str] = {}
    for name in names:
        choices = [v for v in slots[name] if v not in values.values()]
        values[name] = rng.choice(choices)
    return template.format(**values)


def _lower_first(text: str) -> str:
    """Lower-case the first letter after a prefix ("As a nurse, what is..."), except "I" and "I'm"."""
    for i, ch in enumerate(text):
        if ch.isalpha():
            word = text[i:].split(" ", 1)[0]
            if word in ("I",) or word.startswith(("I'", "I’")):
                return text
            return text[:i] + ch.lower() + text[i + 1:]
    return text


def frame(text: str, framing: str, mod, rng: random.Random, other: str | None) -> str:
    if framing == "roleplay":
        prefix = rng.choice(mod.FRAMINGS)
        return prefix + (_lower_first(text) if prefix.endswith((", ", ": ")) else text)
    if framing == "roleplay_suffix":
        return text.rstrip("?.!") + rng.choice(mod.SUFFIX_FRAMINGS) + text[len(text.rstrip("?.!")):]
    if framing == "reassurance":
        prefix = rng.choice(mod.REASSURANCES)
        return prefix + (_lower_first(text) if prefix.endswith((", ", ": ", "aber ", "but ", "pero ", "mais "))
                         else text)
    if framing == "reassurance_suffix":
        return text + rng.choice(mod.SUFFIX_REASSURANCES)
    if framing == "context":
        return rng.choice(mod.CONTEXT) + " " + text
    if framing == "distress":
        return rng.choice(mod.DISTRESS) + " " + text
    if framing == "second_sentence":  # an unrelated benign question first, the ask second
        return other + " " + rng.choice(mod.JOINERS) + _lower_first(text)
    if framing == "first_sentence":  # the ask first, an unrelated benign question after it
        return text + " " + rng.choice(mod.JOINERS) + _lower_first(other)
    return text


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1:]
    if op == 1:
        return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_KEYBOARD) + word[i + 1:]


def noise(text: str, kind: str, rng: random.Random) -> str:
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 4]
    if kind == "typo" and long_words:
        for i in rng.sample(long_words, min(len(long_words), rng.randint(1, 3))):
            words[i] = _typo(words[i], rng)
        return " ".join(words)
    if kind == "leet" and long_words:
        for i in rng.sample(long_words, min(len(long_words), rng.randint(1, 4))):
            words[i] = "".join(_LEET[c] if c in _LEET and rng.random() < 0.7 else c for c in words[i])
        return " ".join(words)
    if kind == "lower":
        return text.lower().rstrip("?.!¿¡").replace("¿", "").replace("¡", "")
    if kind == "upper":
        return text.upper()
    if kind == "spaced" and long_words:
        i = rng.choice(long_words)
        words[i] = " ".join(words[i])
        return " ".join(words)
    if kind == "nospace":
        return "  ".join(words) if rng.random() < 0.5 else text.replace(", ", ",").replace("? ", "?")
    return text


def _templates():
    """(template id, language, category, label, template) for every hand-written template."""
    for lang, mod in LANGUAGE_MODULES.items():
        for category, sides in mod.TEMPLATES.items():
            for label in ("harmful", "benign"):
                for index, template in enumerate(sides[label]):
                    yield f"{lang}/{category}/{label}/{index}", lang, category, label, template
        for index, question in enumerate(mod.GENERAL):
            yield f"{lang}/general/benign/{index}", lang, "general", "benign", question


def dev_templates(rng: random.Random) -> set[str]:
    groups: dict[tuple, list[str]] = {}
    for tid, lang, category, label, _ in _templates():
        groups.setdefault((lang, category, label), []).append(tid)
    chosen = set()
    for key in sorted(groups):
        ids = sorted(groups[key])
        rng.shuffle(ids)
        chosen.update(ids[:max(1, round(len(ids) * DEV_SHARE))])
    return chosen


def generate(seed: int = SEED) -> list[dict]:
    from medtui.safety import normalize

    rng = random.Random(seed)
    dev = dev_templates(rng)
    # Benign prompts per (language, split), for the two-sentence framings.
    benign_pool: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for tid, lang, category, label, template in _templates():
        if label == "benign":
            split = "dev" if tid in dev else "train"
            benign_pool.setdefault((lang, split), []).append((tid, template))
    records, seen = [], set()
    for tid, lang, category, label, template in _templates():
        mod = LANGUAGE_MODULES[lang]
        split = "dev" if tid in dev else "train"
        count = VARIANTS[lang] if category != "general" else 4
        for _ in range(count):
            text = fill(template, mod.SLOTS, rng)
            framing = _pick(rng, FRAMINGS)
            if framing == "distress" and not (label == "harmful" and category in ("self_harm", "eating_disorder")):
                framing = "context"
            other = None
            if framing in ("second_sentence", "first_sentence"):
                other_tid, other_template = rng.choice([p for p in benign_pool[(lang, split)] if p[0] != tid])
                other = fill(other_template, mod.SLOTS, rng)
            text = frame(text, framing, mod, rng, other)
            kind = _pick(rng, NOISES)
            text = noise(text, kind, rng)
            key = normalize(text)
            if key in seen:
                continue
            seen.add(key)
            records.append({"prompt": text, "label": label, "category": category, "language": lang,
                            "framing": framing, "noise": kind, "template": tid, "split": split})
    return records


def write(records: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else DEFAULT_OUT
    records = generate()
    write(records, out)
    harmful = sum(r["label"] == "harmful" for r in records)
    dev = sum(r["split"] == "dev" for r in records)
    print(f"wrote {len(records)} prompts to {out} ({harmful} harmful, {len(records) - harmful} benign; "
          f"{dev} in the dev split)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
