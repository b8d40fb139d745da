import pytest

from common.projects import model_spec
from projects.clv.model import VARIANTS, spec_for


def test_a_variant_names_the_model_and_the_country():
    assert VARIANTS == ("repurchase_de", "repurchase_fr", "value_bucket_de", "value_bucket_fr")
    repurchase, value = spec_for("repurchase_de"), spec_for("value_bucket_fr")
    assert (repurchase.label, repurchase.problem, dict(repurchase.segment)) == ("repurchased", "binary", {"country": "DE"})
    assert (value.label, value.problem, dict(value.segment)) == ("value_bucket", "multiclass", {"country": "FR"})
    assert repurchase.keys == ("customer_id",) and repurchase.timestamp == "cutoff"
    assert any(r.startswith("lightgbm==") for r in repurchase.pip_requirements)
    assert model_spec("clv", "value_bucket_fr") == value  # what the shared notebooks get


@pytest.mark.parametrize("variant", ["", "repurchase", "repurchase_it", "churn_de", "repurchase_DE", "value_de"])
def test_an_unknown_variant_lists_the_known_ones(variant):
    with pytest.raises(ValueError, match=rf"Unknown clv variant '{variant}'.*one of: repurchase_de, repurchase_fr, "
                                         r"value_bucket_de, value_bucket_fr"):
        spec_for(variant)
