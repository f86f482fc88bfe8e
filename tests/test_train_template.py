"""Which tokens carry loss in training: the assistant's answers and their end-of-turn token, never
the system prompt or the question; and the training template renders each record exactly as the
model's own template does. Uses the embedded model's real tokenizer (no weights are loaded)."""

from __future__ import annotations

import pytest

from medtui.models import load_tokenizer
from medtui.train.worker import SetupError, tokenize_conversations, training_chat_template

CONVERSATION = [
    {"role": "system", "content": "You are a careful medical assistant."},
    {"role": "user", "content": "What is a fever?"},
    {"role": "assistant", "content": "A body temperature above about 38 C."},
    {"role": "user", "content": "When should I see a doctor?"},
    {"role": "assistant", "content": "If it lasts over three days or is very high."},
]


@pytest.fixture(scope="module")
def tokenizer(embedded_model_dir):
    return load_tokenizer(embedded_model_dir)


def test_only_answers_and_their_end_of_turn_token_carry_loss(tokenizer):
    template = training_chat_template(tokenizer)
    (row,) = tokenize_conversations(tokenizer, [CONVERSATION], template, "training")
    ids, mask = row["input_ids"], row["assistant_masks"]
    learned = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    ignored = tokenizer.decode([i for i, m in zip(ids, mask) if not m])
    assert learned.count("<|im_end|>") == 2  # the model learns to stop after each answer
    assert "A body temperature above about 38 C.<|im_end|>" in learned
    assert "If it lasts over three days or is very high.<|im_end|>" in learned
    for text in ("careful medical assistant", "What is a fever?", "When should I see a doctor?", "<|im_start|>"):
        assert text not in learned and text in ignored
    # The ids are exactly what the model's own template produces: the prompt format is unchanged.
    own = tokenizer.apply_chat_template(CONVERSATION, tokenize=True, return_dict=True)["input_ids"]
    assert list(ids) == list(own)


def test_whole_conversation_loss_when_assistant_only_is_off(tokenizer):
    (row,) = tokenize_conversations(tokenizer, [CONVERSATION], None, "training")
    assert "assistant_masks" not in row


def test_a_template_that_renders_records_differently_is_refused(tokenizer):
    template = training_chat_template(tokenizer)
    altered = template.replace("message['content'] + '<|im_end|>'", "' ' + message['content'] + '<|im_end|>'")
    assert altered != template
    with pytest.raises(SetupError, match="training record 1: the training chat template renders it differently"):
        tokenize_conversations(tokenizer, [CONVERSATION], altered, "training")
