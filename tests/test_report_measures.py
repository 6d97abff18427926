"""The report's four measures, computed by hand on crafted evaluation files (fast)."""
import json

import numpy as np
import pytest

from ddpg.sweep import measures
from ddpg.sweep.merge import algorithm_of
from ddpg.sweep.report import build_report, write_report
from report_fixtures import save_spec, write_trial

# Three seeds of unequal length: seed 2 stopped after 200 steps.
SEED_CURVES = {0: ([100, 200, 300], [10.0, 50.0, 40.0]),
               1: ([100, 200, 300], [5.0, 20.0, 30.0]),
               2: ([100, 200], [1.0, 2.0])}


def test_table1_uses_only_steps_every_seed_reached_and_differs_from_per_seed_best():
    curves = list(SEED_CURVES.values())
    found = measures.table1(curves)
    # Across-seed means at the shared steps 100 and 200: 16/3 and 24.  Step 300
    # (mean 35 over seeds 0 and 1) is not a step every seed reached.
    at_200 = np.array([50.0, 20.0, 2.0])
    assert found["step"] == 200 and found["seeds"] == 3
    assert found["mean"] == pytest.approx(24.0)
    assert found["std"] == pytest.approx(np.sqrt(((at_200 - 24.0) ** 2).mean()))  # ddof 0
    assert found["std"] == pytest.approx(np.sqrt(392.0))
    best = measures.per_seed_best(curves)
    assert best["mean"] == pytest.approx((50.0 + 30.0 + 2.0) / 3)
    assert best["std"] == pytest.approx(np.std([50.0, 30.0, 2.0]))
    assert best["mean"] > found["mean"]  # each seed's own best is never below Table 1


def test_table1_takes_the_earliest_of_tied_steps_and_needs_a_shared_step():
    tied = measures.table1([([100, 200], [3.0, 3.0]), ([100, 200], [1.0, 1.0])])
    assert tied["step"] == 100 and tied["mean"] == 2.0 and tied["std"] == 1.0
    assert measures.table1([([100], [1.0]), ([200], [2.0])]) is None
    assert measures.table1([]) is None and measures.per_seed_best([]) is None


def test_final10_averages_each_seeds_last_ten_evaluations_then_over_seeds():
    long = (list(range(100, 1300, 100)), [float(v) for v in range(1, 13)])  # 12 evaluations
    short = ([100, 200, 300], [10.0, 50.0, 40.0])  # fewer than 10: all of them
    found = measures.final_n([long, short])
    per_seed = [np.mean(np.arange(3, 13)), (10.0 + 50.0 + 40.0) / 3]
    assert found["mean"] == pytest.approx(np.mean(per_seed))
    assert found["std"] == pytest.approx(abs(per_seed[0] - per_seed[1]) / 2)
    assert found["seeds"] == 2


def test_cleanrl_measure_is_the_mean_of_the_last_100_training_episodes_per_seed():
    first = [0.0] * 5 + [1.0] * 100  # the 5 early episodes fall out of the window
    second = [4.0, 6.0]  # a short run: all its episodes
    found = measures.cleanrl_measure([first, second])
    assert found["mean"] == pytest.approx(3.0) and found["std"] == pytest.approx(2.0)
    assert found["seeds"] == 2 and found["episodes"] == 100


def test_presets_named_td3_are_compared_with_td3_results():
    assert algorithm_of("td3") == "TD3" and algorithm_of("TD3-tuned") == "TD3"
    for preset in ("tutorial", "lillicrap2015", "fujimoto2018", None):
        assert algorithm_of(preset) == "DDPG"


def test_the_algorithm_is_read_from_the_settings_that_ran():
    """A grid can turn TD3's switches on under a DDPG preset, and the label follows them."""
    from ddpg.config import resolve

    assert algorithm_of("fujimoto2018", resolve(preset="td3").to_dict()) == "TD3"
    assert algorithm_of("td3", resolve(preset="fujimoto2018").to_dict()) == "DDPG"
    twin_only = dict(resolve(preset="fujimoto2018").to_dict(), twin_critics=True)
    assert algorithm_of("fujimoto2018", twin_only) not in ("TD3", "DDPG")


def _sweep(tmp_path):
    """Hopper with fujimoto2018 (3 seeds of unequal length, one still running), a failed
    Walker2d seed, and Hopper with preset td3 (one seed)."""
    storage = tmp_path / "sweep"
    save_spec(storage, ["Hopper-v5", "Walker2d-v5"], [0, 1, 2])
    training = {0: [float(i) for i in range(120)], 1: [2.0] * 50, 2: [9.0] * 10}
    for seed, (steps, means) in SEED_CURVES.items():
        write_trial(storage, f"runs/Hopper-v5/seed-{seed}", "Hopper-v5",
                    [(s, [m - 1.0, m + 1.0]) for s, m in zip(steps, means)],
                    status="running" if seed == 2 else "finished", training=training[seed],
                    final=means[-1] + 0.5, seconds=60.0 * (seed + 1),
                    steps_per_s=100.0 * (seed + 1))
    write_trial(storage, "runs/Walker2d-v5/seed-0", "Walker2d-v5", [(100, [-5.0, -5.0])],
                status="failed", error="a loss became NaN")
    other = tmp_path / "td3"
    write_trial(other, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [7.0, 9.0])], preset="td3",
                training=[1.0, 3.0], final=8.0)
    return storage, other


def test_report_json_holds_each_measure_per_group(tmp_path):
    storage, other = _sweep(tmp_path)
    out = tmp_path / "out"
    write_report([storage, other], out)
    report = json.loads((out / "report.json").read_text())
    rows = {(g["task"], g["preset"]): g for g in report["groups"]}
    assert set(rows) == {("Hopper-v5", "fujimoto2018"), ("Walker2d-v5", "fujimoto2018"),
                         ("Hopper-v5", "td3")}
    hopper = rows[("Hopper-v5", "fujimoto2018")]
    for key in ("table1", "final10", "per_seed_best", "cleanrl_measure", "steps_budget",
                "seeds_finished"):
        assert key in hopper, key
    assert set(hopper["table1"]) == {"mean", "std", "step", "seeds", "per_seed"}
    assert hopper["table1"] == measures.table1(list(SEED_CURVES.values()), seeds=[0, 1, 2])
    # Each seed's return at the Table 1 step (200), beside the mean ± std.
    assert hopper["table1"]["per_seed"] == [{"seed": 0, "value": 50.0},
                                            {"seed": 1, "value": 20.0},
                                            {"seed": 2, "value": 2.0}]
    assert hopper["per_seed_best"]["mean"] == pytest.approx(82.0 / 3)
    # Final-10 and CleanRL's measure: the two finished seeds only.
    assert hopper["final10"]["seeds"] == 2
    assert hopper["final10"]["mean"] == pytest.approx(np.mean([100.0 / 3, 55.0 / 3]))
    cleanrl = [np.mean(np.arange(20, 120)), 2.0]
    assert hopper["cleanrl_measure"]["mean"] == pytest.approx(np.mean(cleanrl))
    assert hopper["cleanrl_measure"]["std"] == pytest.approx(np.std(cleanrl))
    assert hopper["steps_budget"] == 300 and hopper["eval_every"] == 100
    assert hopper["seeds_finished"] == 2 and hopper["seeds_planned"] == 3
    # The run's clock at its last evaluation (300 steps at 100 and 200 steps/s), not the
    # attempts' 60 and 120 s, which would count the time a trial waited for --resume.
    assert hopper["wall_seconds_mean"] == pytest.approx((3.0 + 1.5) / 2)
    assert hopper["final_evaluation"]["mean"] == pytest.approx(np.mean([40.5, 30.5]))
    # The failed seed counts in no measure; its error is listed.
    walker = rows[("Walker2d-v5", "fujimoto2018")]
    assert walker["table1"] is None and walker["seeds_failed"] == 1
    assert report["failed_trials"] == [{"trial": "Walker2d-v5/preset=fujimoto2018/seed-0",
                                        "error": "a loss became NaN"}]
    # Published numbers follow the algorithm and the measure.
    columns = {m: {p["source"] for p in found} for m, found in hopper["published"].items()}
    assert columns == {"table1": {"td3_table1_ddpg", "td3_table1_our_ddpg", "tianshou_ddpg"},
                       "final10": {"td3_table2_ddpg", "td3_table2_ahe"},
                       "cleanrl_measure": {"cleanrl_ddpg"}}
    td3 = rows[("Hopper-v5", "td3")]
    assert td3["algorithm"] == "TD3"
    assert {p["source"] for p in td3["published"]["table1"]} == {"td3_table1_td3",
                                                                 "tianshou_td3"}
    assert [p["mean"] for p in td3["published"]["table1"] if p["source"] == "td3_table1_td3"] \
        == [3564.07]
    text = (out / "report.md").read_text()
    assert "### DDPG presets" in text and "### TD3" in text
    assert (out / "curves_Hopper-v5.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](curves_Hopper-v5.png)" in text


def test_report_names_no_folder_or_time(tmp_path):
    """Rebuilding from copies elsewhere must give the same files."""
    storage, _ = _sweep(tmp_path)
    report = build_report([storage])
    text = json.dumps(report)
    assert str(tmp_path) not in text
    write_report([storage], tmp_path / "a", plots=False)
    assert str(tmp_path) not in (tmp_path / "a" / "report.md").read_text()


def test_published_numbers_name_source_seeds_version_and_measure():
    from ddpg.config import task_name
    from ddpg.sweep.grid import SUITES
    from ddpg.sweep.report import load_published

    published = load_published()
    for source in published["sources"].values():
        assert source["citation"] and source["measure_text"] and source["env_version"]
        assert source["measure"] in ("table1", "final10", "cleanrl")
        assert source["algorithm"] in ("DDPG", "TD3") and source["seeds"] in (3, 10)
    suite = {task_name(e) for e in SUITES["td3-paper"]["envs"]}
    for key in ("td3_table1_ddpg", "td3_table1_our_ddpg", "td3_table1_td3"):
        assert {r["task"] for r in published["results"] if r["source"] == key} == suite
    for result in published["results"]:
        assert result["source"] in published["sources"] and result["env_version"]
        assert isinstance(result["mean"], float)


def test_a_row_names_its_preset_once():
    """The preset is the row's own column; a folder that names it too (a grid over presets,
    a collected copy) gives the same variant as one that does not."""
    from ddpg.sweep.merge import FoundTrial, _variant_of

    assert _variant_of("runs/Hopper-v5/preset=td3/seed-0", "td3") == ""
    assert _variant_of("runs/Hopper-v5/critic_lr=0.001_preset=td3/seed-0", "td3") == \
        "critic_lr=0.001"
    assert _variant_of("runs/Hopper-v5/preset=td3_tau=0.01/seed-0", "td3") == "tau=0.01"
    assert _variant_of("runs/Hopper-v5/preset=td3x_tau=0.01/seed-0", "td3") == \
        "preset=td3x_tau=0.01"
    assert _variant_of("runs/Hopper-v5/seed-3", "fujimoto2018") == ""
    # The grid's order does not make a second trial of the same settings.
    assert _variant_of("runs/Hopper-v5/tau=0.01_critic_lr=0.001_preset=td3/seed-0", "td3") == \
        _variant_of("runs/Hopper-v5/preset=td3_critic_lr=0.001_tau=0.01/seed-0", "td3") == \
        "critic_lr=0.001_tau=0.01"
    assert _variant_of("runs/Hopper-v5/hidden_sizes=64x64_noise=ou/seed-0", "tutorial") == \
        "hidden_sizes=64x64_noise=ou"
    assert _variant_of("runs/Hopper-v5/target_noise=0.2_noise=ou/seed-0", "tutorial") == \
        "noise=ou_target_noise=0.2"
    trial = FoundTrial("/s", "runs/Hopper-v5/tau=0.01/seed-3", "Hopper-v5", 3, "td3", "tau=0.01")
    assert trial.collected_folder == "runs/Hopper-v5/preset=td3_tau=0.01/seed-3"
    assert _variant_of(trial.collected_folder, "td3") == trial.variant
