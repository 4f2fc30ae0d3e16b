"""`[tool.blyan-lint.runtime]`: validated like the rest of the table, with the same errors."""

from __future__ import annotations

import pytest

from blyan_lint.config import ConfigError, RuntimeSettings, settings_from_table


def test_runtime_table_is_read():
    settings = settings_from_table(
        {"runtime": {"model-map": {"org/m": "ckpt/m", "MODEL": "/abs"}, "allow-pickle": True, "timeout": 30}},
        "/root",
        "pyproject.toml",
    )
    assert settings.runtime == RuntimeSettings((("org/m", "ckpt/m"), ("MODEL", "/abs")), True, 30.0)


def test_no_runtime_table_means_defaults():
    assert settings_from_table({}, "/root", None).runtime == RuntimeSettings()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"runtime": {"model_map": {}}}, "unknown key `model_map` in [tool.blyan-lint.runtime]"),
        ({"runtime": {"model-map": {"org/m": 3}}}, "`runtime.model-map.org/m` must be a checkpoint path string"),
        ({"runtime": {"model-map": ["org/m=x"]}}, "`runtime.model-map` must be a table"),
        ({"runtime": {"allow-pickle": "yes"}}, "`runtime.allow-pickle` must be true or false"),
        ({"runtime": {"timeout": 0}}, "`runtime.timeout` must be a positive number"),
        ({"runtime": "x"}, "[tool.blyan-lint.runtime] must be a table"),
    ],
)
def test_bad_runtime_entries_name_the_key(table, message):
    with pytest.raises(ConfigError) as raised:
        settings_from_table(table, "/root", "pyproject.toml")
    assert str(raised.value).startswith("pyproject.toml: ")
    assert message in str(raised.value)
