"""Which tokens carry loss in training: the assistant's answers and their end-of-turn token, never
the system prompt or the question; and the ids are exactly those of the model's own chat template.
Uses the embedded model's real tokenizer (no weights are loaded); tests/test_families.py checks the
same for every family."""

from __future__ import annotations

import pytest

from medtui.models import load_tokenizer
from medtui.train.worker import SetupError, tokenize_conversations, training_format_for

CONVERSATION = [
    {"role": "system", "content": "You are a careful medical assistant."},
    {"role": "user", "content": "What is a fever?"},
    {"role": "assistant", "content": "A body temperature above about 38 C."},
    {"role": "user", "content": "When should I see a doctor?"},
    {"role": "assistant", "content": "If it lasts over three days or is very high."},
]


@pytest.fixture()
def tokenizer(embedded_model_dir):
    return load_tokenizer(embedded_model_dir)


def test_only_answers_and_their_end_of_turn_token_carry_loss(tokenizer):
    fmt = training_format_for(tokenizer, True)
    (row,) = tokenize_conversations(fmt, [CONVERSATION], True, "training")
    ids, mask = row["input_ids"], row["assistant_masks"]
    learned = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    ignored = tokenizer.decode([i for i, m in zip(ids, mask) if not m])
    assert learned == "A body temperature above about 38 C.<|im_end|>If it lasts over three days or is very high.<|im_end|>"
    for text in ("careful medical assistant", "What is a fever?", "When should I see a doctor?", "<|im_start|>"):
        assert text not in learned and text in ignored
    # The ids are exactly what the model's own template produces: the prompt format is unchanged.
    own = tokenizer.apply_chat_template(CONVERSATION, tokenize=True, return_dict=True)["input_ids"]
    assert list(ids) == list(own)


def test_whole_conversation_loss_when_assistant_only_is_off(tokenizer):
    (row,) = tokenize_conversations(training_format_for(tokenizer, False), [CONVERSATION], False, "training")
    assert "assistant_masks" not in row
    assert row["input_ids"] == list(tokenizer.apply_chat_template(CONVERSATION, tokenize=True, return_dict=True)["input_ids"])


def test_a_template_that_rewrites_some_answers_names_the_record(tokenizer):
    # Qwen3-style: earlier answers lose their reasoning when the conversation goes on.
    tokenizer.chat_template = (
        "{% for message in messages %}{% set content = message['content'] %}"
        "{% if message['role'] == 'assistant' and not loop.last and '</think>' in content %}"
        "{% set content = content.split('</think>')[-1] %}{% endif %}"
        "{{ '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' }}{% endfor %}"
    )
    fmt = training_format_for(tokenizer, True)  # ordinary answers are found
    thinking = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "<think>greet</think>Hello"},
                {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Take care"}]
    with pytest.raises(SetupError, match="training record 2: the chat template rewrites answers") as caught:
        tokenize_conversations(fmt, [CONVERSATION, thinking], True, "training")
    assert "assistant_only_loss = false" in caught.value.describe()


def test_a_template_that_never_ends_a_turn_is_refused_before_training(tokenizer):
    tokenizer.chat_template = ("{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}"
                               "{% endfor %}")
    with pytest.raises(SetupError, match="no end-of-turn token after the assistant's answers"):
        training_format_for(tokenizer, True)
    # Whole-conversation training does not depend on it.
    assert training_format_for(tokenizer, False).warning
