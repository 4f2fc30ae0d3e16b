"""PEFT's entry points that upcast adapter weights unless told not to (BLY106).

Read from peft 0.21.2's source: `autocast_adapter_dtype` (default True) is taken by
`get_peft_model`, the `PeftModel*` constructors, `PeftModel*.from_pretrained`, the
instance methods `load_adapter` / `add_adapter` (also `PeftMixedModel.add_adapter`) and the
`XLoraModel` constructor.
`inject_adapter_in_model` and the `PeftMixedModel(...)` constructor take none, and
`BaseTuner.inject_adapter` takes it but never casts with it.
"""

from __future__ import annotations

PARAMETER = "autocast_adapter_dtype"

GET_PEFT_MODEL: frozenset[str] = frozenset(
    {"peft.get_peft_model", "peft.mapping_func.get_peft_model", "peft.mapping.get_peft_model"}
)
# get_peft_model(model, config, adapter_name, mixed): `mixed=True` returns a PeftMixedModel,
# to which PEFT passes no autocast flag.
MIXED_KEYWORD = "mixed"
MIXED_POSITION = 3

_PEFT_MODEL_NAMES = (
    "PeftModel",
    "PeftModelForCausalLM",
    "PeftModelForSeq2SeqLM",
    "PeftModelForSequenceClassification",
    "PeftModelForTokenClassification",
    "PeftModelForQuestionAnswering",
    "PeftModelForFeatureExtraction",
)
# Classes whose constructor and `from_pretrained` take the flag.
PEFT_MODEL_CLASSES: frozenset[str] = frozenset(
    {f"peft.{name}" for name in _PEFT_MODEL_NAMES} | {f"peft.peft_model.{name}" for name in _PEFT_MODEL_NAMES}
)
# Tuner classes whose own constructor takes the flag and casts with it (X-LoRA loads its LoRA
# experts through `_cast_adapter_dtype`); other tuners' constructors take none.
TUNER_CONSTRUCTORS: frozenset[str] = frozenset(
    {"peft.XLoraModel", "peft.tuners.XLoraModel", "peft.tuners.xlora.XLoraModel", "peft.tuners.xlora.model.XLoraModel"}
)
MIXED_MODEL_CLASSES: frozenset[str] = frozenset({"peft.PeftMixedModel", "peft.mixed_model.PeftMixedModel"})

_AUTO_NAMES = (
    "AutoPeftModel",
    "AutoPeftModelForCausalLM",
    "AutoPeftModelForSeq2SeqLM",
    "AutoPeftModelForSequenceClassification",
    "AutoPeftModelForTokenClassification",
    "AutoPeftModelForQuestionAnswering",
    "AutoPeftModelForFeatureExtraction",
)
# `AutoPeftModel*.from_pretrained` reaches `PeftModel.from_pretrained` with the default, but
# hands every keyword to the base model's `from_pretrained` as well, where an unknown
# `autocast_adapter_dtype` ends in the model constructor: no keyword can fix it there.
AUTO_PEFT_CLASSES: frozenset[str] = frozenset(
    {f"peft.{name}" for name in _AUTO_NAMES} | {f"peft.auto.{name}" for name in _AUTO_NAMES}
)

CLASS_NAMES: frozenset[str] = frozenset({*_PEFT_MODEL_NAMES, *_AUTO_NAMES, "XLoraModel"})
FUNCTION_NAMES: frozenset[str] = frozenset({"get_peft_model"})
LOAD_METHOD = "from_pretrained"
# Methods of a PEFT model object that take the flag.
ADAPTER_METHODS: frozenset[str] = frozenset({"load_adapter", "add_adapter"})
MIXED_ADAPTER_METHODS: frozenset[str] = frozenset({"add_adapter"})
# A receiver whose name says it holds a PEFT model (`peft_model.load_adapter(...)`).
RECEIVER_WORD = "peft"
