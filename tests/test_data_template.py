"""The embedded model's real tokenizer: the loss mask read off the chat template, token counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from medtui.config import SAMPLE_TRAIN_FILES

from medtui.data import DataOptions, count_tokens, render_preview, training_format, validate_file

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tokenizer(embedded_model_dir):
    from medtui.models import load_tokenizer

    return load_tokenizer(embedded_model_dir)


@pytest.fixture()
def fresh_tokenizer(embedded_model_dir):
    """A tokenizer whose chat template a test may replace."""
    from medtui.models import load_tokenizer

    return load_tokenizer(embedded_model_dir)


def sample_conversations():
    conversations = []
    # The training sample files and the held-out file (data/ also holds the eval suites' MCQ set and its card).
    for path in [*(ROOT / name for name in SAMPLE_TRAIN_FILES), ROOT / "data" / "medical_eval.jsonl"]:
        conversations += validate_file(str(path), DataOptions()).usable_conversations()
    return conversations


def test_training_ids_are_the_models_own_template(tokenizer):
    fmt = training_format(tokenizer)
    assert fmt.warning is None and fmt.system_role and not fmt.adds_bos
    for conversation in sample_conversations()[:40]:
        own = tokenizer.apply_chat_template(conversation, tokenize=True, return_dict=True)["input_ids"]
        encoded = fmt.encode(conversation)
        assert encoded.ids == list(own)
        answers = [m["content"] for m in conversation if m["role"] == "assistant"]
        assert [encoded.text[a:b] for a, b in encoded.spans] == [a + "<|im_end|>" for a in answers]


def test_loss_mask_ends_at_im_end(tokenizer):
    conversation = [
        {"role": "system", "content": "Be careful."},
        {"role": "user", "content": "What is a normal resting heart rate?"},
        {"role": "assistant", "content": "For most adults, 60 to 100 beats per minute."},
    ]
    preview = render_preview(tokenizer, conversation)
    learned = [text for text, loss in preview.segments if loss]
    assert learned == ["For most adults, 60 to 100 beats per minute.<|im_end|>"]
    assert preview.segments[-1] == ("\n", False)  # the newline after <|im_end|> is not learned
    assert preview.text == tokenizer.apply_chat_template(conversation, tokenize=False)
    assert preview.warnings == [] and preview.notes == []
    # And the token ids: the last masked id is <|im_end|>.
    encoded = training_format(tokenizer).encode(conversation)
    masked = [i for i, m in zip(encoded.ids, encoded.mask) if m]
    assert masked[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert preview.loss_tokens == len(masked)


def test_whole_sequence_loss_marks_everything(tokenizer):
    conversation = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    preview = render_preview(tokenizer, conversation, assistant_only_loss=False)
    assert preview.loss_tokens == preview.tokens and [loss for _, loss in preview.segments] == [True]


def test_template_that_writes_no_end_of_turn_warns(fresh_tokenizer):
    fresh_tokenizer.chat_template = (
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '\n' }}"
        "{% endfor %}"
    )
    fmt = training_format(fresh_tokenizer)
    assert "no end-of-turn token" in fmt.warning and "would not learn to stop" in fmt.warning
    preview = render_preview(fresh_tokenizer, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
                             fmt)
    assert [t for t, loss in preview.segments if loss] == ["Hello"]
    assert any("would not learn to stop" in w for w in preview.warnings)


def test_a_template_no_library_knows_gets_its_answers_masked(fresh_tokenizer):
    # Inline turns, no generation markers, unknown to TRL: the mask is read off what it renders.
    fresh_tokenizer.chat_template = (
        "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
        "{% else %}{{ ' ' + message['content'] + '<|im_end|>' }}{% endif %}{% endfor %}"
    )
    fmt = training_format(fresh_tokenizer)
    assert fmt.warning is None
    preview = render_preview(fresh_tokenizer, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"},
                                               {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Ok"}],
                             fmt)
    assert [t.strip() for t, loss in preview.segments if loss] == ["Yo<|im_end|>", "Ok<|im_end|>"]
    assert preview.warnings == []


def test_a_template_that_rewrites_answers_says_so(fresh_tokenizer):
    fresh_tokenizer.chat_template = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
                                     "message['content'] | upper + '<|im_end|>\n' }}{% endfor %}")
    fmt = training_format(fresh_tokenizer)
    assert "rewrites answers" in fmt.warning and "assistant_only_loss = false" in fmt.warning
    preview = render_preview(fresh_tokenizer, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}],
                             fmt)
    assert preview.loss_tokens == 0 and any("rewrites answers" in w for w in preview.warnings)


def test_batched_token_counts_match_one_by_one(tokenizer):
    conversations = sample_conversations()[:50]
    batched = count_tokens(tokenizer, conversations, batch_size=16)
    single = [len(tokenizer.apply_chat_template(c, tokenize=True)["input_ids"]) for c in conversations]
    assert single == [len(training_format(tokenizer).encode(c).ids) for c in conversations]
    assert batched == single
