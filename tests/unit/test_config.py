from pathlib import Path

import pytest

from privsynth.config import default_config, load_config
from privsynth.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "privsynth.toml"
    p.write_text(text)
    return p


def test_defaults_are_shipped_data_and_valid() -> None:
    cfg = default_config()
    assert cfg.seed == 42
    assert cfg.tabular.synthesizer == "gaussian_copula"
    assert 0 < cfg.gate.max_mia_auc < 1


def test_user_file_and_overrides_merge(tmp_path: Path) -> None:
    p = write(tmp_path, "seed = 7\n[gate]\nmax_mia_auc = 0.55\n[scan.roles]\nplan = 'sensitive'\n")
    cfg = load_config(p, rows=10)
    assert (cfg.seed, cfg.rows, cfg.gate.max_mia_auc) == (7, 10, 0.55)
    assert cfg.scan.roles == {"plan": "sensitive"}
    assert cfg.gate.max_dcr_share == default_config().gate.max_dcr_share


@pytest.mark.parametrize(
    "text, message",
    [
        ("sede = 1\n", "unknown config key 'sede'"),
        ("[gate]\nmax_mia = 0.5\n", "unknown config key 'gate.max_mia'"),
        ("seed = 'abc'\n", "'seed' must be an integer"),
        ("[gate]\nmax_dcr_share = -0.1\n", "'gate.max_dcr_share' must be between"),
        ("[text]\nenabled = 'yes'\n", "'text.enabled' must be true or false"),
        ("[scan.roles]\nplan = 'secret'\n", "role 'secret' for column 'plan'"),
        ("[tabular]\nsynthesizer = 'magic'\n", "tabular.synthesizer 'magic' is unknown"),
        ("seed = \n", "not valid TOML"),
        ("gate = 3\n", "'gate' must be a table"),
    ],
)
def test_invalid_config_is_rejected_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("/nonexistent/privsynth.toml")


def test_config_hash_changes_with_content() -> None:
    assert default_config().sha256() == default_config().sha256()
    assert default_config().sha256() != load_config(seed=1).sha256()
