"""The embedded model's real tokenizer: the training template, the loss mask, token counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from medtui.data import DataOptions, count_tokens, loss_template, render_preview, validate_file

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
    for path in sorted((ROOT / "data").glob("medical_*.*")):
        conversations += validate_file(str(path), DataOptions()).usable_conversations()
    return conversations


def test_training_template_renders_exactly_like_the_models_own(tokenizer):
    template = loss_template(tokenizer)
    assert template.source == "chatml" and template.warning is None
    for conversation in sample_conversations():
        own = tokenizer.apply_chat_template(conversation, tokenize=False)
        assert tokenizer.apply_chat_template(conversation, tokenize=False, chat_template=template.template) == own


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
    assert preview.warnings == []
    # TRL's own check agrees that the end-of-turn token is trained with this template.
    from trl.chat_template_utils import is_chat_template_stop_token_trained

    assert is_chat_template_stop_token_trained(tokenizer, chat_template=loss_template(tokenizer).template)
    # And the token ids: the last masked id is <|im_end|>.
    out = tokenizer.apply_chat_template(conversation, return_dict=True, return_assistant_tokens_mask=True,
                                        chat_template=loss_template(tokenizer).template)
    masked = [i for i, m in zip(out["input_ids"], out["assistant_masks"]) if m]
    assert masked[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert preview.loss_tokens == len(masked)


def test_whole_sequence_loss_marks_everything(tokenizer):
    conversation = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    preview = render_preview(tokenizer, conversation, assistant_only_loss=False)
    assert preview.loss_tokens == preview.tokens and [loss for _, loss in preview.segments] == [True]


def test_template_that_leaves_end_of_turn_unlearned_warns(fresh_tokenizer):
    fresh_tokenizer.chat_template = (
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}"
        "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}{% endgeneration %}"
        "{% else %}{{ message['content'] }}{% endif %}{{ '<|im_end|>\n' }}{% endfor %}"
    )
    template = loss_template(fresh_tokenizer)
    assert template.source == "own"
    assert "end-of-turn token" in template.warning and "would not learn to stop" in template.warning
    preview = render_preview(fresh_tokenizer, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
                             template)
    assert [t for t, loss in preview.segments if loss] == ["Hello"]
    assert any("<|im_end|> would not be learned" in w for w in preview.warnings)


def test_template_without_markers_or_trl_support_says_so(fresh_tokenizer):
    fresh_tokenizer.chat_template = (
        "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
        "{% else %}{{ ' ' + message['content'] + '<|im_end|>' }}{% endif %}{% endfor %}"
    )
    template = loss_template(fresh_tokenizer)
    assert template.source == "none" and "assistant_only_loss = false" in template.warning
    preview = render_preview(fresh_tokenizer, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}],
                             template)
    assert preview.loss_tokens == 0 and "assistant_only_loss = false" in preview.warnings[0]


def test_batched_token_counts_match_one_by_one(tokenizer):
    conversations = sample_conversations()[:50]
    batched = count_tokens(tokenizer, conversations, batch_size=16)
    single = [len(tokenizer.apply_chat_template(c, tokenize=True)["input_ids"]) for c in conversations]
    assert batched == single
