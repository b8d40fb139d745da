"""localrun/bundle/permissions.py: the CLI's rules for who owns what when a rule meets an edge."""

from localrun.bundle.permissions import apply_bundle_permissions, fix_permissions

SP = "11111111-2222-3333-4444-555555555555"


def test_another_owner_leaves_the_deployer_managing_and_each_principal_keeps_its_highest_level():
    resources = {"jobs": {"a": {"permissions": [
        {"level": "IS_OWNER", "user_name": "owner@example.com"},
        {"level": "CAN_VIEW", "group_name": "g"},
        {"level": "CAN_MANAGE_RUN", "group_name": "g"},
    ]}}}
    fix_permissions(resources, SP)
    assert resources["jobs"]["a"]["permissions"] == [
        {"level": "IS_OWNER", "user_name": "owner@example.com"},
        {"level": "CAN_MANAGE_RUN", "group_name": "g"},
        {"level": "CAN_MANAGE", "service_principal_name": SP},
    ]


def test_resources_without_permissions_get_none_and_levels_without_a_counterpart_are_skipped():
    resources = {"experiments": {"e": {"name": "x"}}, "registered_models": {"m": {"name": "m"}}}
    overlaps = apply_bundle_permissions(resources, [{"group_name": "g", "level": "CAN_RUN"}])
    fix_permissions(resources, "jane@example.com")
    assert overlaps == []
    assert resources == {"experiments": {"e": {"name": "x"}}, "registered_models": {"m": {"name": "m"}}}
