"""The one table of run_all.py: every figure of a run as a ratio to what it is compared with in the
same run, and the target the issue sets for it."""

from __future__ import annotations

import statistics

LIFECYCLE_TARGET, SCORING_TARGET, JOIN_TARGET, INSTALL_TARGET = 1.5, 0.9, 1.1, 30.0
GROWTH_TOLERANCE = 1.1  # linear: time grows at most about as the rows do (10 % for noise)
TARGET_SIZE = 1_000_000  # the size the scoring target is set at
OUR_SIDES = ("spark", "inference", "store")  # the project's own code; the other sides are references


def _median(runs: list[dict], key: str = "seconds") -> float:
    """Seconds: the median of every warm repeat of every run, pooled (one noisy process then moves
    it less than a median of per-run medians would). Anything else: the median over the runs."""
    if key == "seconds" and all(len(r.get("all_seconds", ())) > 1 for r in runs):
        return statistics.median(s for r in runs for s in r["all_seconds"][1:])
    return statistics.median(r[key] for r in runs)


def _size(rows: int) -> str:
    return f"{rows / 1e6:g}M" if rows >= 1e6 else f"{rows / 1e3:g}k"


def _row(what: str, measured: str, compared: str, ratio: float | None, target: str = "", met: bool | None = None):
    return {"what": what, "measured": measured, "compared with": compared,
            "ratio": "" if ratio is None else f"{ratio:.2f}", "target": target,
            "met": "" if met is None else ("yes" if met else "NO")}


def lifecycle_rows(results: dict) -> list[dict]:
    rows = []
    for project, r in results.items():
        s = r["summary"]
        ratio = s["ratio_to_floor_without_spark_imports"]
        rows.append(_row(f"lifecycle {project}", f"{s['lifecycle_s']:.1f} s",
                         f"floor {s['floor_without_spark_imports_s']:.1f} s ({s['floor_s']:.1f} s with its Spark "
                         f"imports; ratio {s['ratio']:.2f}){'' if s['same_holdout_metrics'] else ' METRICS DIFFER'}",
                         ratio, f"<= {LIFECYCLE_TARGET}", ratio <= LIFECYCLE_TARGET))
    return rows


def scoring_rows(results: dict) -> list[dict]:
    rows = []
    for size, r in results.items():
        predict, spark, job = _median(r["predict"]), _median(r["spark"]), _median(r["inference"])
        size_rows = r["predict"][0]["result"]["rows"]
        wrong = max(x["result"]["spark_predictions_differing"] for x in r["predict"])
        check = "" if wrong == 0 else f"; {wrong} PREDICTIONS DIFFER"
        at_target = int(size) == TARGET_SIZE
        rows.append(_row(f"scoring {_size(int(size))}: score_batch + write", f"{spark:.2f} s, {size_rows / spark:,.0f} rows/s",
                         f"predict {predict:.2f} s, {size_rows / predict:,.0f} rows/s{check}", predict / spark,
                         f">= {SCORING_TARGET}" if at_target else "", predict / spark >= SCORING_TARGET if at_target else None))
        rows.append(_row(f"scoring {_size(int(size))}: batch_inference job", f"{job:.2f} s, {size_rows / job:,.0f} rows/s",
                         f"predict {predict:.2f} s", predict / job))
    return rows


def join_rows(results: dict) -> list[dict]:
    rows = []
    for size, r in results.items():
        store = _median(r["store"])
        hands = {side: _median(r[side]) for side in ("row_number", "max_join")}
        best = min(hands, key=hands.get)
        expected = r["expected_checksum"]
        wrong = [side for side in r if side != "expected_checksum" for x in r[side]
                 if x["result"]["rows"] != int(size) or abs(x["result"]["checksum"] - expected) > 1e-6 * max(1, abs(expected))]
        rows.append(_row(f"point-in-time join {_size(int(size))}: feature store", f"{store:.2f} s",
                         f"by hand: {best} {hands[best]:.2f} s (" + ", ".join(f"{k} {v:.2f} s" for k, v in hands.items())
                         + ")" + (f"; WRONG RESULT: {sorted(set(wrong))}" if wrong else ""),
                         store / hands[best], f"<= {JOIN_TARGET}", store / hands[best] <= JOIN_TARGET and not wrong))
    return rows


def growth_rows(scoring: dict, join: dict) -> list[dict]:
    """Time and peak memory from the smallest size to the largest (5x in rows by default). The target
    (linear) is on what the project runs: score_batch, the batch_inference job and the store's join;
    the references (predict, the joins by hand) are shown beside them without one."""
    rows = []
    for part, results, sides in (("scoring", scoring, ("spark", "inference", "predict")),
                                 ("join", join, ("store", "row_number", "max_join"))):
        if len(results) < 2:
            continue
        small, large = sorted(results, key=int)[0], sorted(results, key=int)[-1]
        factor = int(large) / int(small)
        for side in sides:
            a, b = results[small][side], results[large][side]
            grew = _median(b) / _median(a)
            memory = ", ".join(f"{who} {_median(a, k):.0f} -> {_median(b, k):.0f} MB (x{_median(b, k) / _median(a, k):.1f})"
                               for who, k in (("server", "server_peak_mb"), ("client", "client_peak_mb")) if k in a[0])
            ours = side in OUR_SIDES
            rows.append(_row(f"growth {_size(int(small))} -> {_size(int(large))}: {part} {side}",
                             f"{_median(a):.2f} -> {_median(b):.2f} s", f"rows x{factor:g}; peak {memory}", grew,
                             f"<= ~{factor:g} (linear)" if ours else "",
                             grew <= factor * GROWTH_TOLERANCE if ours else None))
    return rows


def clone_rows(result: dict) -> list[dict]:
    rows = [_row("first-use install (fresh clone)", f"{result['install']['install_s']:.1f} s",
                 f"first command {result['install']['first_command_s']:.1f} s, the command alone "
                 f"{result['install']['command_alone_s']:.1f} s", None, f"<= {INSTALL_TARGET:g} s",
                 result["install"]["install_s"] <= INSTALL_TARGET),
            _row("./mlops lifecycle (fresh clone, first run)", f"{result['lifecycle']['wall_s']:.1f} s",
                 f"peak memory {result['lifecycle']['peak_tree_mb']} MB (process tree, sampled; largest process "
                 f"{result['lifecycle']['peak_process_mb']} MB)", None)]
    if "test" in result:
        t = result["test"]
        rows.append(_row("./mlops test (fresh clone, after the install)", f"{t['wall_s']:.1f} s",
                         f"pytest {t['pytest_s']:.1f} s, {t['passed']} passed, peak {t['peak_tree_mb']} MB", None))
    return rows


def table(results: dict) -> list[dict]:
    rows = []
    if "lifecycle" in results:
        rows += lifecycle_rows(results["lifecycle"])
    rows += scoring_rows(results.get("scoring", {})) + join_rows(results.get("join", {}))
    rows += growth_rows(results.get("scoring", {}), results.get("join", {}))
    if "clone" in results:
        rows += clone_rows(results["clone"])
    return rows


def render(rows: list[dict]) -> str:
    if not rows:
        return "(nothing measured)"
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    line = "  ".join("{:<%d}" % widths[c] for c in columns)
    return "\n".join(line.format(*r).rstrip() for r in
                     [columns, ["-" * widths[c] for c in columns], *([r[c] for c in columns] for r in rows)])
