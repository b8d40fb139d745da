from dataclasses import dataclass, field
from typing import Literal

import pytest

from common.config import GLOBAL_CONFIG, ConfigError, layer_file, load_config


@dataclass
class Inner:
    rate: float
    mode: Literal["fast", "slow"] = "fast"


@dataclass
class Settings:
    seed: int
    holdout_fraction: float
    inner: Inner
    names: list[str] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def project(tmp_path):
    config = tmp_path / "config"
    (config / "variants").mkdir(parents=True)
    (config / "project.yml").write_text("inner:\n  rate: 0.5\nnames: [a, b]\nextra: {x: 1}\n")
    (config / "variants" / "fr.yml").write_text("inner:\n  mode: slow\nextra: {y: 2}\n")
    return config / "project.yml"


def test_layers_global_project_and_variant_key_by_key(project):
    base = load_config(Settings, project)
    assert (base.seed, base.inner.rate, base.inner.mode, base.names) == (42, 0.5, "fast", ["a", "b"])
    fr = load_config(Settings, project, "fr")
    assert (fr.inner.rate, fr.inner.mode) == (0.5, "slow")  # the variant overrides one key, keeps the other
    assert fr.extra == {"x": 1, "y": 2}


def test_misspelt_key_names_the_file_the_key_and_a_suggestion(project):
    variant = project.parent / "variants" / "typo.yml"
    variant.write_text("inner:\n  rat: 0.1\n")
    with pytest.raises(ConfigError) as err:
        load_config(Settings, project, "typo")
    assert str(variant) in str(err.value)
    assert "unknown key 'inner.rat'" in str(err.value)
    assert "did you mean 'inner.rate'?" in str(err.value)


def test_wrong_type_and_bad_literal_name_file_and_key(project):
    project.write_text("inner:\n  rate: fast\n")
    with pytest.raises(ConfigError, match=rf"{project}: key 'inner.rate' must be float, not 'fast'"):
        load_config(Settings, project)
    project.write_text("inner:\n  rate: 1\n  mode: medium\n")
    with pytest.raises(ConfigError, match=r"key 'inner.mode' must be one of 'fast', 'slow'"):
        load_config(Settings, project)
    project.write_text("inner:\n  rate: 1\nseed: true\n")
    with pytest.raises(ConfigError, match=r"key 'seed' must be int, not True"):
        load_config(Settings, project)


def test_missing_required_key_and_unknown_variant(project):
    project.write_text("names: []\n")
    with pytest.raises(ConfigError, match="Missing required key 'inner'"):
        load_config(Settings, project)
    project.write_text("inner: {rate: 1}\n")
    with pytest.raises(ConfigError, match="Unknown variant 'de'.*variants: fr"):
        load_config(Settings, project, "de")


def test_layers_after_the_variant_override_it_and_a_mistake_names_its_own_file(project):
    models = project.parent / "models"
    models.mkdir()
    (models / "big.yml").write_text("inner:\n  rate: 2\nextra: {y: 3}\n")
    settings = load_config(Settings, project, "fr", layers=(layer_file(models, "big", "model"),))
    assert settings.inner.rate == 2.0 and settings.inner.mode == "slow" and settings.extra == {"x": 1, "y": 3}
    (models / "bad.yml").write_text("inner:\n  rat: 2\n")
    with pytest.raises(ConfigError, match=rf"{models / 'bad.yml'}: unknown key 'inner.rat'; did you mean 'inner.rate'"):
        load_config(Settings, project, layers=(layer_file(models, "bad", "model"),))
    with pytest.raises(ConfigError, match=r"Unknown model 'huge': no .*huge.yml; models: bad, big"):
        layer_file(models, "huge", "model")


def test_malformed_yaml_names_the_file_line_and_column(project):
    project.write_text("inner:\n  rate: [1\n")
    with pytest.raises(ConfigError, match=rf"^{project}:3:1: not valid YAML: expected ',' or ']', but got "
                                          r"'<stream end>' \(while parsing a flow sequence that starts at line 2, "
                                          r"column 9\)$"):
        load_config(Settings, project)
    project.write_text("inner:\n  rate: 1\n  rate: 2\n")  # plain YAML would keep the last one silently
    with pytest.raises(ConfigError, match=rf"^{project}:3:3: key 'rate' is set twice in one mapping \(first at line 2\)"):
        load_config(Settings, project)
    project.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(Settings, project)


def test_global_config_is_shipped():
    assert GLOBAL_CONFIG.exists()
