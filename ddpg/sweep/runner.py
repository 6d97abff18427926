"""Starting or joining Ray, and running a sweep's trials with Ray Tune.

With no address, Ray starts on this machine only: its node address is the
loopback address, the dashboard is off, and its session files live under
a short folder (Ray's Unix sockets have a path length limit) that only this
user can enter (ddpg.sweep.ray_files).  With an address, the sweep joins a
cluster that `ray start` made; whoever started that cluster decided who can
reach it.

Tune keeps the experiment's state in <storage>/tune; the trials write their
results folders under <storage>/runs (see ddpg.sweep.trial).
"""
import os
import socket
import sys
import time

from ddpg import atomic
from ddpg.errors import ServiceStartError, UserError, first_line
from ddpg.sweep import ray_files
from ddpg.sweep import trial as trial_module
from ddpg.sweep.stop import StopRequest
from ddpg.sweep.stop import make_callback as make_stop_callback

TUNE_DIR = "tune"
SPEC_FILE = "sweep.json"
LOOPBACK = "127.0.0.1"
SINGLE_MACHINE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
# Columns of Tune's progress table: {reported metric: heading}.
METRIC_COLUMNS = {"steps": "steps", "eval_mean": "last eval", "best_eval": "best eval",
                  "steps_per_s": "steps/s"}


def default_temp_dir():
    """The private folder per user that holds Ray's session files (and sockets)."""
    return ray_files.default_folder()


def check_temp_dir(temp_dir=None):
    """UserError now for a --ray-temp-dir (or default) that start_ray would refuse."""
    ray_files.check(temp_dir)


def check_address(address, temp_dir=None):
    """UserError unless a Ray cluster answers at `address` ('auto' or host:port).

    Ray itself would retry for a minute before giving up; a TCP connection
    to the cluster's address answers in milliseconds.
    """
    target = address
    if address == "auto":
        from ray._private.services import canonicalize_bootstrap_address

        try:
            target = canonicalize_bootstrap_address("auto", temp_dir)
        except (ConnectionError, ValueError) as exc:
            raise UserError(f"--address auto: no Ray cluster is running on this machine "
                            f"({first_line(exc)}); start one with `ray start --head`") from None
    target = target.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise UserError(f"--address must be HOST:PORT or auto, got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=3):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(f"--address {address}: no Ray cluster answers at {host}:{port} "
                        f"({reason})") from None


def is_loopback(address):
    """True for HOST:PORT on this machine's loopback interface (a cluster bound to it)."""
    import ipaddress

    host = address.split("://")[-1].rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_ray(address=None, num_cpus=None, temp_dir=None):
    """Join the cluster at `address`, or start Ray on this machine; True if started here."""
    import logging

    ray_dir = None if address else ray_files.prepare(temp_dir)  # UserError if not ours
    if not address or is_loopback(address):
        # Ray turns a loopback address into the machine's network address
        # (and binds its servers there) unless it runs in single-machine
        # mode, which this setting selects; Ray reads it on import.
        os.environ[SINGLE_MACHINE_ENV] = "0"
    import ray
    from ray._private import ray_constants

    if not address or is_loopback(address):  # Ray may have been imported before
        ray_constants.ENABLE_RAY_CLUSTER = False
    had_token = ray_files.token_exists()

    try:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
            return False
        ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address=LOOPBACK,
                 _temp_dir=ray_dir, log_to_driver=False, logging_level=logging.WARNING)
        return True
    except Exception as exc:  # Ray raises many types here (timeouts, RuntimeError, ...)
        ray.shutdown()  # stops whatever part of Ray this process did start
        what = f"joining the Ray cluster at {address}" if address else "starting Ray here"
        raise ServiceStartError(f"{what} failed: {first_line(exc)}; no trial ran") from None
    finally:
        ray_files.make_new_token_private(had_token)


def trial_status(tune_trial_config):
    """sweep_trial.json of the trial Tune runs with this config."""
    from ddpg.sweep.grid import Trial

    trial = Trial.from_dict(tune_trial_config["trial"])
    return trial_module.read_status(os.path.join(tune_trial_config["storage"], trial.folder))


def trial_name(trial):
    return trial.config["trial"]["folder"].split("/", 1)[-1]


def trial_dirname(trial):
    return trial_name(trial).replace("/", "_")


def run(spec, storage, resume=False, address=None, num_cpus=None, temp_dir=None,
        log=print, report_every=15):
    """Run (or continue) the sweep; returns {"finished", "failed", "unfinished", "seconds"}."""
    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"  # Tune's classic table, with our columns
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    started = time.perf_counter()
    stop_request = StopRequest(storage)
    stop_request.clear()  # a request left by an earlier, stopped run of this sweep
    started_here = start_ray(address, num_cpus, temp_dir)
    import ray
    from ray import tune

    try:
        resources = {"cpu": spec.cpus_per_trial}
        trainable = tune.with_resources(trial_module.run_trial, resources)
        tune_dir = os.path.join(storage, TUNE_DIR)
        if resume:
            tuner = tune.Tuner.restore(tune_dir, trainable, resume_unfinished=True,
                                       resume_errored=False)
        else:
            trials = [dict(t.to_dict(), trial_id=t.trial_id) for t in spec.trials()]
            reporter = tune.CLIReporter(metric_columns=METRIC_COLUMNS,
                                        parameter_columns={"trial/seed": "seed"},
                                        max_report_frequency=report_every,
                                        max_progress_rows=50, max_error_rows=50)
            tuner = tune.Tuner(
                trainable,
                param_space={"trial": tune.grid_search(trials), "sweep": spec.to_dict(),
                             "storage": storage},
                # A finished trial's worker runs the next one: TensorFlow is
                # imported once per worker, and every run builds a new graph.
                tune_config=tune.TuneConfig(trial_name_creator=trial_name,
                                            trial_dirname_creator=trial_dirname,
                                            reuse_actors=True),
                run_config=tune.RunConfig(
                    name=TUNE_DIR, storage_path=storage,
                    failure_config=tune.FailureConfig(max_failures=spec.max_failures),
                    checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                    progress_reporter=reporter, verbose=1,
                    callbacks=[make_stop_callback(storage, trial_status)]))
        results = tuner.fit()
        errors = {}
        for result in results:
            trial_id = (result.config or {}).get("trial", {}).get("trial_id")
            if result.error is not None and trial_id:
                errors[trial_id] = _error_line(result.error)
    finally:
        stop_request.clear()
        if started_here:
            ray.shutdown()
    return outcome(spec, storage, errors, time.perf_counter() - started)


def outcome(spec, storage, tune_errors=None, seconds=None):
    """Each trial's state from its folder (and Tune's errors for ones that never ran)."""
    finished, failed, unfinished = [], {}, []
    for t in spec.trials():
        status = trial_module.read_status(os.path.join(storage, t.folder))
        if status.get("status") == "finished":
            finished.append(t.trial_id)
        elif status.get("status") == "failed":
            failed[t.trial_id] = status.get("error") or "failed"
        elif tune_errors and t.trial_id in tune_errors:
            failed[t.trial_id] = status.get("error") or tune_errors[t.trial_id]
        else:
            unfinished.append(t.trial_id)
    return {"finished": finished, "failed": failed, "unfinished": unfinished,
            "seconds": seconds}


def _error_line(error):
    """The last line of a Tune error's traceback: the exception that ended the trial."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if ":" in line and not line.startswith(("File ", "^", "~")):
            return line
    return lines[-1] if lines else type(error).__name__


def save_spec(storage, spec):
    atomic.write_json(os.path.join(storage, SPEC_FILE), spec.to_dict())


def load_spec(storage):
    import json

    from ddpg.sweep.grid import SweepSpec

    path = os.path.join(storage, SPEC_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            return SweepSpec.from_dict(json.load(handle))
    except FileNotFoundError:
        raise UserError(f"{storage} holds no sweep (no {SPEC_FILE})") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise UserError(f"{path} is not a sweep description: {first_line(exc)}") from None


def print_outcome(result, storage, log=print):
    total = len(result["finished"]) + len(result["failed"]) + len(result["unfinished"])
    took = f" in {result['seconds']:.0f} s" if result.get("seconds") is not None else ""
    log(f"Sweep: {len(result['finished'])} of {total} trials finished{took}"
        + (f", {len(result['failed'])} failed" if result["failed"] else "")
        + (f", {len(result['unfinished'])} unfinished" if result["unfinished"] else ""))
    for trial_id, line in result["failed"].items():
        log(f"  failed: {trial_id}: {line}")
    if result["unfinished"]:
        log(f"Continue it with: {os.path.basename(sys.argv[0]) or 'ddpg-sweep'} --resume "
            f"--storage {storage}")
