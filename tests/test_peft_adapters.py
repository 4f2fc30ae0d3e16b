"""BLY106 against real PEFT on the CPU: a call is flagged exactly when PEFT leaves FP32
adapter weights on a BF16 model (peft 0.21.2, a tiny Llama built from its config)."""

from __future__ import annotations

import textwrap
import warnings

import pytest

from blyan_lint.api import Overrides, check_file

from . import helpers

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("transformers")

PRELUDE = (
    "from peft import LoraConfig, PeftMixedModel, PeftModel, get_peft_model, inject_adapter_in_model\n"
    'config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"])\n'
    'other = LoraConfig(r=4, target_modules=["q_proj", "v_proj"])\n'
)
# (case, code run with `base` a BF16 Llama and `ADAPTER` a saved LoRA, does PEFT upcast?)
CASES = [
    ("get_peft_model", "model = get_peft_model(base, config)", True),
    ("get_peft_model_flag", "model = get_peft_model(base, config, autocast_adapter_dtype=False)", False),
    ("get_peft_model_mixed", "model = get_peft_model(base, config, mixed=True)", False),
    ("inject_adapter_in_model", "model = inject_adapter_in_model(config, base)", False),
    ("peft_mixed_model", "model = PeftMixedModel(base, config)", False),
    ("mixed_add_adapter", 'model = PeftMixedModel(base, config)\nmodel.add_adapter("other", other)', True),
    ("from_pretrained", "model = PeftModel.from_pretrained(base, ADAPTER)", True),
    ("from_pretrained_flag", "model = PeftModel.from_pretrained(base, ADAPTER, autocast_adapter_dtype=False)", False),
    (
        "load_adapter",
        "model = PeftModel.from_pretrained(base, ADAPTER, autocast_adapter_dtype=False)\n"
        'model.load_adapter(ADAPTER, adapter_name="second")',
        True,
    ),
    (
        "add_adapter",
        'model = get_peft_model(base, config, autocast_adapter_dtype=False)\nmodel.add_adapter("second", other)',
        True,
    ),
]


def tiny_llama():
    return helpers.tiny_llama(
        seed=0,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        vocab_size=64,
    )


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    from peft import LoraConfig, get_peft_model

    path = tmp_path_factory.mktemp("adapter")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        get_peft_model(tiny_llama(), LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(path)
    return str(path)


@pytest.mark.parametrize(("case", "code", "upcasts"), CASES, ids=[c[0] for c in CASES])
def test_flagged_exactly_when_peft_upcasts(case, code, upcasts, adapter):
    namespace = {"base": tiny_llama(), "ADAPTER": adapter}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(PRELUDE + code, namespace)  # noqa: S102 - the cases above, nothing else
    lora = [p.dtype for name, p in namespace["model"].named_parameters() if "lora_" in name]
    assert lora and (torch.float32 in lora) is upcasts, f"PEFT: {case}"
    source = textwrap.dedent(PRELUDE + code) + "\n"
    codes = [f.code for f in check_file("example.py", Overrides(select=("BLY106",)), source.encode())]
    assert ("BLY106" in codes) is upcasts, f"BLY106: {case}"
