"""Approval, promotion and rollback of the Champion, each recorded on the versions it moves between:
who, when, which version replaced which, and why; and the rollback job and the commands."""

import mlflow
import pytest
from sklearn.linear_model import LogisticRegression

from common import registry, runtime
from common.lifecycle.approval import ApprovalRequired, approval_required, approve, check_approval
from common.lifecycle.deployment import deploy, rollback
from common.lifecycle.serving import query_rows
from common.local.serving import served
from localrun import cli


@pytest.fixture(scope="module")
def logged_model(spark):
    runtime.set_experiment("/tests/deployment")
    X = [[0.0], [1.0], [2.0], [3.0]]
    with mlflow.start_run():
        return mlflow.sklearn.log_model(LogisticRegression().fit(X, [0, 0, 1, 1]), name="model",
                                        pip_requirements=["scikit-learn"])


@pytest.fixture
def versions(logged_model, schema):
    """A model of this test's own with three validated versions and no Champion yet."""
    name = f"{schema}.model"
    for _ in range(3):
        version = registry.register(logged_model.model_uri, name)
        registry.tag_version(name, version, {"validation_status": "PASSED"})
    return name


def _tags(name, version) -> dict:
    return registry.get_version(name, version).tags


def test_each_promotion_and_rollback_records_who_when_what_and_why(versions):
    name = versions
    assert deploy(name, "1", actor="ci@example.com").previous_champion is None
    assert deploy(name, "2", actor="ci@example.com").reason == "validation PASSED; replaces version 1"
    first, second = _tags(name, 1), _tags(name, 2)
    assert (second["champion_action"], second["champion_by"], second["champion_replaced"]) == (
        "promotion", "ci@example.com", "1")
    assert second["champion_reason"] == "validation PASSED; replaces version 1"
    assert first["champion_replaced"] == "none" and first["previous_champion"] == "none"
    assert (first["replaced_by"], first["replaced_through"]) == ("2", "promotion")
    assert first["replaced_at"] == second["champion_at"] and second["champion_at"].endswith("+00:00")

    back = rollback(name, reason="version 2 scores drift", actor="jane@example.com")
    assert (back.restored, back.rolled_back) == ("1", "2")
    assert str(registry.version_by_alias(name, registry.CHAMPION).version) == "1"
    first, second = _tags(name, 1), _tags(name, 2)
    assert (first["champion_action"], first["champion_by"], first["champion_reason"]) == (
        "rollback", "jane@example.com", "version 2 scores drift")
    assert first["champion_replaced"] == "2"
    assert (second["replaced_by"], second["replaced_through"], second["replaced_by_actor"]) == (
        "1", "rollback", "jane@example.com")

    # Version 1 was the first Champion: nothing before it to restore, and nothing moves.
    with pytest.raises(LookupError, match=rf"{name} version 1 is the first Champion it has had"):
        rollback(name, reason="again")
    assert str(registry.version_by_alias(name, registry.CHAMPION).version) == "1"


def test_a_rerun_on_the_champion_records_nothing_and_a_second_rollback_goes_further_back(versions):
    name = versions
    for version in ("1", "2", "3"):
        deploy(name, version, actor="ci@example.com")
    champion_at = _tags(name, 3)["champion_at"]
    assert deploy(name, "3", actor="someone@example.com").promoted
    assert _tags(name, 3)["champion_by"] == "ci@example.com" and _tags(name, 3)["champion_at"] == champion_at
    assert rollback(name, reason="bad").restored == "2"
    assert rollback(name, reason="still bad").restored == "1"  # what 2 replaced, not back to 3


def test_a_rollback_without_a_reason_or_a_champion_is_refused_and_changes_nothing(versions):
    name = versions
    with pytest.raises(LookupError, match=rf"{name} has no Champion alias: there is nothing to roll back"):
        rollback(name, reason="why not")
    with pytest.raises(LookupError, match=rf"Registered model {name}_gone does not exist in the registry"):
        rollback(f"{name}_gone", reason="why not")
    deploy(name, "1")
    deploy(name, "2")
    with pytest.raises(ValueError, match=rf"A rollback of {name} needs a reason"):
        rollback(name, reason="  ")
    assert str(registry.version_by_alias(name, registry.CHAMPION).version) == "2"
    assert "champion_action" not in _tags(name, 3)
    # Who deployed without saying: the user this process runs as (here, on a laptop).
    assert _tags(name, 2)["champion_by"] == runtime.current_user()


def test_the_rollback_command_runs_the_job_and_a_refusal_is_one_line(versions, monkeypatch, capsys):
    name = versions
    monkeypatch.setenv("DATABRICKS_USER", "jane@example.com")
    deploy(name, "1")
    deploy(name, "2")
    assert cli.main(["rollback", name, "--reason", "wrong features", "-t", "dev"]) == 0
    assert "Champion is version 1 again, instead of 2 (wrong features)" in capsys.readouterr().out
    assert _tags(name, 1)["champion_by"] == "jane@example.com"

    assert cli.main(["rollback", name, "--reason", "again", "-t", "dev"]) == 1
    error = capsys.readouterr().err
    assert "rollback" in error and f"{name} version 1 is the first Champion it has had" in error
    # The job's model_name left empty, or not catalog.schema.model: named, and nothing moves.
    before = [_tags(name, v) for v in (1, 2)]
    for bad in ("", "churn_model"):
        assert cli.main(["rollback", bad, "--reason", "why", "-t", "dev"]) == 1
        assert f"Registered model name {bad!r} is not a Unity Catalog name catalog.schema.model" in capsys.readouterr().err
    assert str(registry.version_by_alias(name, registry.CHAMPION).version) == "1"
    assert [_tags(name, v) for v in (1, 2)] == before


def test_a_version_waits_for_its_approval_tag_and_an_approval_records_who_and_when(versions, monkeypatch, capsys):
    name = versions
    with pytest.raises(ApprovalRequired, match=rf"{name} version 2 is not approved: .* sets the tag approval=approved "
                                               rf"on it .*\./mlops approve {name} 2\); then run the job again from "
                                               "the task approval"):
        check_approval(name, "2", required=True)
    registry.tag_version(name, "2", {"approval": "rejected"})
    with pytest.raises(ApprovalRequired, match="its tag approval is 'rejected'"):
        check_approval(name, "2", required=True)
    registry.tag_version(name, "2", {"approval": "Approved"})  # as the UI's button sets it; any case
    assert "Approve button" in check_approval(name, "2", required=True).approved_by

    monkeypatch.setenv("DATABRICKS_USER", "lead@example.com")
    assert cli.main(["approve", name, "3"]) == 0
    assert "Approved" in capsys.readouterr().out
    tags = _tags(name, 3)
    assert (tags["approval"], tags["approval_by"]) == ("approved", "lead@example.com")
    assert check_approval(name, "3", required=True).approved_by == "lead@example.com"
    assert cli.main(["approve", name, "9"]) == 1
    assert f"{name} has no version 9" in capsys.readouterr().err
    assert cli.main(["approve", "dev.iris", "1"]) == 1
    assert "Registered model name 'dev.iris' is not a Unity Catalog name" in capsys.readouterr().err
    assert "approval" not in _tags(name, 1)


def test_where_no_approval_is_required_it_passes_and_says_so(versions):
    outcome = check_approval(versions, "1", required=False)
    assert outcome.automatic and _tags(versions, 1)["approval_automatic"] == "true"
    assert "approval" not in _tags(versions, 1)


@pytest.mark.parametrize(("value", "required"), [("true", True), (" False ", False), ("TRUE", True)])
def test_the_approval_parameter_is_true_or_false(value, required):
    assert approval_required(value) is required


def test_an_empty_approval_task_name_is_named_and_records_nothing(versions):
    with pytest.raises(ValueError, match=r"The approval task's name \(its parameter task_name"):
        check_approval(versions, "1", required=False, task_key=" ")
    assert "approval_automatic" not in _tags(versions, 1)


def test_any_other_approval_parameter_is_named():
    with pytest.raises(ValueError, match="The parameter approval_required must be true or false, not 'yes'"):
        approval_required("yes")


def test_a_promotion_names_its_approver(versions):
    name = versions
    check_approval(name, "1", required=False)
    assert deploy(name, "1").reason == "validation PASSED; approved automatically"
    approve(name, "2", actor="lead@example.com")
    deploy(name, "2")
    assert _tags(name, 2)["champion_reason"] == "validation PASSED; approved by lead@example.com; replaces version 1"


def test_a_served_model_s_endpoint_follows_each_promotion_and_rollback(versions):
    name = versions
    with pytest.raises(ValueError, match=r"Serving endpoint name 'iris endpoint' is not valid"):
        deploy(name, "1", serving_endpoint="iris endpoint")
    assert registry.version_by_alias(name, registry.CHAMPION) is None  # nothing moved
    endpoint = name.replace(".", "-")
    assert deploy(name, "1", serving_endpoint=endpoint).endpoint_change == "created"
    assert deploy(name, "2", serving_endpoint=endpoint).endpoint_change == "updated"
    assert served(endpoint)["version"] == "2" and runtime.served_model(endpoint) == (name, "2")
    assert rollback(name, reason="slow answers").endpoint == endpoint  # found from the model's tag
    assert served(endpoint)["version"] == "1"
    assert deploy(name, "1", serving_endpoint=endpoint).endpoint_change == "unchanged"


def test_querying_an_endpoint_names_what_is_wrong(versions, monkeypatch):
    with pytest.raises(LookupError, match=r"No local serving endpoint 'nowhere' \(endpoints: "):
        query_rows(None, "nowhere", "any.table.name")
    for rows in (0, "five", ""):
        with pytest.raises(ValueError, match=f"rows must be a whole number of at least 1, not {rows!r}"):
            query_rows(None, "nowhere", "any.table.name", rows)
    endpoint = versions.replace(".", "-")
    deploy(versions, "1", serving_endpoint=endpoint)
    monkeypatch.setenv("MLOPS_SERVING_URL", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(ConnectionError, match=rf"No local server of endpoint {endpoint} answers at "
                                              rf"http://127.0.0.1:9/invocations .*\./mlops serve {endpoint}"):
        runtime.query_serving_endpoint(endpoint, [{"x": 1.0}])


def test_serve_names_an_unknown_endpoint_and_approve_prints_the_rerun(versions, capsys):
    assert cli.main(["serve", "nowhere"]) == 1
    assert "No local serving endpoint 'nowhere'" in capsys.readouterr().err
    runtime.connect_deployment_job(versions, "demo_model_deployment")
    assert cli.main(["approve", versions, "2"]) == 0
    assert (f"./mlops run demo_model_deployment --from-task approval --param model_name={versions} "
            "--param model_version=2") in capsys.readouterr().out
