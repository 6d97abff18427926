"""Progress of a long run: steps done and total, steps/s, ETA and the last evaluation.

On a terminal a tqdm bar sits below the tutorial's per-episode lines; when
output goes to a file or a pipe (a cluster job, CI), a plain line every
`every` episodes says the same, since a bar's carriage returns would fill
a log with noise.  Every line of the run's log (episodes, periodic
evaluations) goes through `write`, which on a terminal clears the bar,
prints the line and draws the bar again below it.
"""
import sys
import time

from ddpg.outputs.evaluation import format_evaluation_point


class Progress:
    def __init__(self, total_steps, max_episodes, done_steps, done_episodes, log=print,
                 stream=None, every=10):
        stream = stream or sys.stdout
        self.stream = stream
        self.by_steps = bool(total_steps)
        self.total = total_steps if self.by_steps else max_episodes
        self.unit = "steps" if self.by_steps else "episodes"
        self.started = time.perf_counter()
        self.first_steps = done_steps
        self.first_done = self._done(done_steps, done_episodes)
        self.every = every
        self.last_eval = None
        self.bar = None
        self._unprinted = None  # the last update when no line showed it yet
        self._log = log
        if hasattr(stream, "isatty") and stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, initial=self._done(done_steps, done_episodes),
                            unit=self.unit[:-1], dynamic_ncols=True, file=stream)

    def _done(self, steps, episodes):
        return steps if self.by_steps else episodes

    def write(self, line):
        """A log line that does not break the bar."""
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            self._log(line)

    def evaluated(self, point):
        """Print a periodic evaluation (an evaluations.json entry) as it happens."""
        self.last_eval = point["mean"]
        self.write(format_evaluation_point(point))

    def update(self, steps, episodes):
        rate = (steps - self.first_steps) / max(time.perf_counter() - self.started, 1e-9)
        done = self._done(steps, episodes)
        if self.bar is not None:
            self.bar.n = done
            postfix = {"steps/s": f"{rate:.0f}"}
            if self.last_eval is not None:
                postfix["eval"] = f"{self.last_eval:.1f}"
            self.bar.set_postfix(postfix, refresh=True)
        elif episodes % self.every == 0:
            self._log(self.line(steps, done, rate))
            self._unprinted = None
        else:
            self._unprinted = (steps, done, rate)

    def line(self, steps, done, rate):
        text = f"Progress: {done:,}/{self.total:,} {self.unit} ({100.0 * done / self.total:.1f}%)"
        text += f" | {steps:,} steps | {rate:.0f} steps/s"
        if self.by_steps and rate > 0:
            text += f" | ETA {format_seconds((self.total - done) / rate)}"
        elif done > self.first_done:
            per_unit = (time.perf_counter() - self.started) / (done - self.first_done)
            text += f" | ETA {format_seconds(per_unit * (self.total - done))}"
        if self.last_eval is not None:
            text += f" | last evaluation {self.last_eval:.1f}"
        return text

    def close(self):
        """End the bar, or print the last line that the every-N rule skipped."""
        if self.bar is not None:
            self.bar.close()
        elif self._unprinted is not None:
            self._log(self.line(*self._unprinted))
        self._unprinted = None


def speed_line(session_steps, seconds, total_steps):
    """'40000 steps in 71.2 s (562 steps/s)', over the steps this process ran.

    A resumed run's total includes steps of earlier sessions, which took
    none of this session's seconds: dividing the total by them would
    overstate the speed, so both counts are shown.
    """
    rate = session_steps / max(seconds, 1e-9)
    if session_steps == total_steps:
        return f"{total_steps} steps in {seconds:.1f} s ({rate:.0f} steps/s)"
    return (f"{session_steps} steps this session in {seconds:.1f} s ({rate:.0f} steps/s); "
            f"{total_steps} in all")


def format_seconds(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
