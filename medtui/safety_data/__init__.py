"""The safety screen's training set: hand-written components and the generator that combines them.

`components` holds what people wrote (templates per language, category and label, slot words,
framings, reassurances, context sentences); `generate` turns them into data/safety/train.jsonl
reproducibly (fixed seed), with a dev split carved out by template so tuning measures prompts whose
wording the classifier never saw. `train` fits the classifier (scikit-learn) from that file.
"""

from medtui.safety import CATEGORIES  # noqa: F401  (one list of harm categories)

LANGUAGES = ("en", "es", "fr", "de")
