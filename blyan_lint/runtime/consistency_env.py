"""What a rank runs on and how it is set: stored with every hash, so like is compared with like.

`--strict` turns the deterministic settings on. Its environment variables are set here, in
the torchrun child before CUDA is initialised (cuBLAS reads CUBLAS_WORKSPACE_CONFIG when it
creates a handle, NCCL reads its variables when it creates a communicator). NVLink SHARP
(multicast) is never switched on: `--strict` sets NCCL_NVLS_ENABLE=0 when it is unset and
otherwise leaves the machine's value alone unless that value enables it.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import os
import platform
import socket
import subprocess
import warnings
from collections.abc import Callable
from typing import Any

NCCL_VARIABLES = ("NCCL_ALGO", "NCCL_PROTO", "NCCL_NVLS_ENABLE")
# Variables `--strict` sets: a cuBLAS workspace of fixed layout, one NCCL algorithm and
# protocol, no NVLS (its reductions differ between calls and hosts: nccl#1497, #2360).
STRICT_ENVIRONMENT = {
    "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
    "NCCL_ALGO": "Ring",
    "NCCL_PROTO": "Simple",
    "NCCL_NVLS_ENABLE": "0",
}


def apply_strict_environment() -> list[dict[str, Any]]:
    """Set the deterministic variables that are unset (and NVLS off); the list of what changed."""
    changes = []
    for name, value in STRICT_ENVIRONMENT.items():
        old = os.environ.get(name)
        keep = old is not None and (name != "NCCL_NVLS_ENABLE" or old == "0")
        if not keep:
            os.environ[name] = value
            changes.append({"setting": name, "from": old, "to": value})
    return changes


def apply_strict_torch() -> list[dict[str, Any]]:
    """Deterministic algorithms, no TF32, no reduced-precision reductions; the list of what changed."""
    import torch

    changes: list[dict[str, Any]] = []

    def turn(name: str, get: Callable[[], Any], put: Callable[[Any], Any], value: Any) -> None:
        old = get()
        if old != value:
            put(value)
            changes.append({"setting": name, "from": old, "to": value})

    turn(
        "use_deterministic_algorithms",
        torch.are_deterministic_algorithms_enabled,
        torch.use_deterministic_algorithms,
        True,
    )
    cudnn = torch.backends.cudnn
    matmul = torch.backends.cuda.matmul
    for name, owner, attr, value in (
        ("cudnn.deterministic", cudnn, "deterministic", True),
        ("cudnn.benchmark", cudnn, "benchmark", False),
        ("cudnn.allow_tf32", cudnn, "allow_tf32", False),
        ("matmul.allow_tf32", matmul, "allow_tf32", False),
        ("matmul.allow_bf16_reduced_precision_reduction", matmul, "allow_bf16_reduced_precision_reduction", False),
        ("matmul.allow_fp16_reduced_precision_reduction", matmul, "allow_fp16_reduced_precision_reduction", False),
    ):
        with warnings.catch_warnings():  # the TF32 flags warn about their successor API
            warnings.simplefilter("ignore")
            turn(name, functools.partial(getattr, owner, attr), functools.partial(setattr, owner, attr), value)
    turn(
        "float32_matmul_precision",
        torch.get_float32_matmul_precision,
        torch.set_float32_matmul_precision,
        "highest",
    )
    return changes


def determinism_settings(attention: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings that make or break bitwise identity, as this rank has them now."""
    import torch

    cudnn, matmul, cuda = torch.backends.cudnn, torch.backends.cuda.matmul, torch.backends.cuda
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings = {
            "use_deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
            "CUBLAS_WORKSPACE_CONFIG": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
            "matmul.allow_tf32": matmul.allow_tf32,
            "cudnn.allow_tf32": cudnn.allow_tf32,
            "matmul.allow_bf16_reduced_precision_reduction": matmul.allow_bf16_reduced_precision_reduction,
            "matmul.allow_fp16_reduced_precision_reduction": matmul.allow_fp16_reduced_precision_reduction,
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "cudnn.deterministic": cudnn.deterministic,
            "cudnn.benchmark": cudnn.benchmark,
            "sdpa_backends_enabled": ",".join(
                name
                for name, on in (
                    ("flash", cuda.flash_sdp_enabled()),
                    ("mem_efficient", cuda.mem_efficient_sdp_enabled()),
                    ("cudnn", cuda.cudnn_sdp_enabled()),
                    ("math", cuda.math_sdp_enabled()),
                )
                if on
            ),
            "torch_compile": False,  # the check runs eager: Inductor keeps fused BF16 intermediates in FP32
        }
    settings.update(attention or {})
    settings.update({name: os.environ.get(name) for name in NCCL_VARIABLES})
    return settings


def environment(device: str) -> dict[str, Any]:
    """Hardware and library versions of this rank (COMPARED_FIELDS decides which must agree)."""
    import torch
    import transformers

    env = {
        "host": socket.gethostname(),
        "device": device,
        "device_type": "cuda" if device.startswith("cuda") else "cpu",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "gpu_name": None,
        "capability": None,
        "sm_count": None,
        "driver": None,
        "cuda": torch.version.cuda,
        "cublas": None,
        "cudnn": None,
        "nccl": None,
        "cpu_capability": None,
        "threads": None,
    }
    if env["device_type"] == "cuda":
        props = torch.cuda.get_device_properties(torch.device(device))
        env.update(
            gpu_name=props.name,
            capability=f"{props.major}.{props.minor}",
            sm_count=props.multi_processor_count,
            gpu_uuid=str(getattr(props, "uuid", "")) or None,  # which physical GPU: shown, never compared
            driver=_driver_version(torch),
            cublas=_cublas_version(),
            cudnn=_cudnn_version(torch),
            nccl=_nccl_version(torch),
        )
    else:
        # CPU kernels pick their code path by instruction set and split work by thread count
        env.update(
            gpu_name=f"CPU ({platform.machine()})",
            cpu_capability=torch.backends.cpu.get_cpu_capability(),
            threads=torch.get_num_threads(),
        )
    return env


def _driver_version(torch: Any) -> str | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        version = pynvml.nvmlSystemGetDriverVersion()
        return version.decode() if isinstance(version, bytes) else str(version)
    except Exception:  # pynvml missing or NVML unusable: ask nvidia-smi instead
        pass
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        api = torch._C._cuda_getDriverVersion()
        return f"CUDA driver API {api // 1000}.{api % 1000 // 10}"


def _cublas_version() -> str | None:
    """The cuBLAS this process loaded (it is loaded by the first matmul), else the wheel's."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = {line.split()[-1] for line in fh if "libcublasLt.so" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            lib.cublasLtGetVersion.restype = ctypes.c_size_t
            version = lib.cublasLtGetVersion()
            return f"{version // 10000}.{version // 100 % 100}.{version % 100}"
    except (OSError, AttributeError):
        pass
    for dist in ("nvidia-cublas", "nvidia-cublas-cu13", "nvidia-cublas-cu12"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _cudnn_version(torch: Any) -> str | None:
    version = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return None if version is None else str(version)


def _nccl_version(torch: Any) -> str | None:
    try:
        return ".".join(str(part) for part in torch.cuda.nccl.version())
    except (AttributeError, RuntimeError):
        return None
