"""The jobs benchmark's rate counts only the time every worker of a run was working."""

from datetime import datetime, timedelta

from bench.bench_jobs import steady_window

T0 = datetime(2026, 12, 7, 12, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_one_worker_is_counted_from_its_first_job_to_its_last() -> None:
    finished = [("a", at(s)) for s in (0, 1, 2, 3, 4)]
    assert steady_window(finished) == (4, 4.0)


def test_a_worker_still_starting_leaves_the_others_early_jobs_out() -> None:
    # b starts 3 s late and a runs out of work 1 s before b does.
    finished = [("a", at(s)) for s in range(0, 10)] + [("b", at(s)) for s in range(3, 11)]
    done, seconds = steady_window(finished)
    assert seconds == 6.0  # b's first job (3 s) to a's last (9 s)
    assert done == 12  # 4..9 of a and 4..9 of b


def test_no_overlap_gives_no_rate() -> None:
    assert steady_window([("a", at(0)), ("a", at(1)), ("b", at(2)), ("b", at(3))]) == (0, 0.0)
    assert steady_window([]) == (0, 0.0)
