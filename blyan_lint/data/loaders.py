"""Model loaders and the library names the semantic model knows: which calls load weights,
which classes hold none, which keywords carry the dtype or the checkpoint, and the library
roots that mean the library even where a snippet omits its import."""

from __future__ import annotations

LOADER_METHODS: frozenset[str] = frozenset({"from_pretrained", "from_config"})
LOADER_DTYPE_KEYWORDS: tuple[str, ...] = ("torch_dtype", "dtype")
# The checkpoint argument of a loader, when given by keyword.
LOADER_MODEL_KEYWORDS: tuple[str, ...] = ("pretrained_model_name_or_path", "model")
PIPELINE_FACTORIES: frozenset[str] = frozenset({"transformers.pipeline", "transformers.pipelines.pipeline"})
PIPELINE_MODEL_KWARGS = "model_kwargs"  # pipeline(..., model_kwargs={"torch_dtype": ...}) passes loader keywords
QUANTIZED_LOAD_KEYWORDS: frozenset[str] = frozenset({"quantization_config", "load_in_8bit", "load_in_4bit"})
QUANTIZATION_CONFIG_KEYWORD = "quantization_config"
# Libraries whose `X.from_pretrained` loads weights whatever `X` is called.
MODEL_LIBRARIES: tuple[str, ...] = ("transformers.", "diffusers.", "sentence_transformers.", "timm.")
# Final segments of classes whose from_pretrained loads no weights.
NON_MODEL_SUFFIXES: tuple[str, ...] = (
    "Tokenizer",
    "TokenizerFast",
    "Processor",
    "Config",
    "FeatureExtractor",
    "ImageProcessor",
    "ImageProcessorFast",
    "VideoProcessor",
    "Scheduler",
)
NON_MODEL_CLASSES: frozenset[str] = frozenset(
    {"peft.PeftModel", "peft.PeftModelForCausalLM", "peft.PeftConfig", "transformers.GenerationConfig"}
)
# Words that mark an unresolved receiver as a weight-holding model class or object.
MODEL_NAME_HINTS: tuple[str, ...] = ("model", "forcausallm", "lm", "pipeline", "diffusion", "unet", "vae")
NON_MODEL_NAME_HINTS: tuple[str, ...] = ("token", "processor", "config", "extractor", "scheduler")
# nn.Module methods that return the module itself: `model = model.eval()` is still the model.
MODULE_CHAIN_METHODS: frozenset[str] = frozenset(
    {"to", "cuda", "cpu", "eval", "train", "bfloat16", "half", "float", "double", "requires_grad_", "to_empty"}
)
# Unbound names that still mean the library (snippets that omit `import torch`).
KNOWN_ROOTS: frozenset[str] = frozenset(
    {
        "torch",
        "transformers",
        "accelerate",
        "bitsandbytes",
        "deepspeed",
        "lightning",
        "pytorch_lightning",
        "peft",
        "trl",
        "diffusers",
        "optimum",
        "torchao",
        "apex",
    }
)
