from common.suggest import closest, did_you_mean


def test_the_closest_name_is_suggested_and_a_distant_one_is_not():
    assert closest("notebok_task", ["notebook_task", "condition_task"]) == "notebook_task"
    assert closest("xyz", ["notebook_task", "condition_task"]) is None
    assert closest(12, [11, 13, "12a"]) == "12a"  # compared as text


def test_did_you_mean_fills_its_template_or_says_nothing():
    assert did_you_mean("mdoe", ["mode", "workspace"]) == " (did you mean 'mode'?)"
    assert did_you_mean("mdoe", ["mode"], "; did you mean '{}'?") == "; did you mean 'mode'?"
    assert did_you_mean("zzz", ["mode"]) == ""
