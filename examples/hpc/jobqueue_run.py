"""Run a sciml run file on a SLURM or PBS cluster through dask-jobqueue.

This process holds the Dask scheduler and the runner (launch it as a small,
long job: see ``slurm_job.sh``); the Dask workers are separate batch jobs that
dask-jobqueue submits. The run file needs no change: only its scheduler is
replaced by this cluster's address. Members are written to the run file's
output as chunks finish, so the output folder must be on a shared file
system, and a killed or timed-out job continues where it stopped when
submitted again (this script always resumes).

    python examples/hpc/jobqueue_run.py examples/hpc/ou.toml --jobs 4 --cores 8
    python examples/hpc/jobqueue_run.py examples/hpc/ou.toml --dry-run   # print a worker job

Needs ``pip install 'sciml[hpc]'`` (dask-jobqueue).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def make_cluster(args: argparse.Namespace) -> Any:
    """A dask-jobqueue cluster: one single-threaded worker process per core of each job."""
    from dask_jobqueue import PBSCluster, SLURMCluster

    kind = PBSCluster if args.system == "pbs" else SLURMCluster
    return kind(
        cores=args.cores,
        processes=args.cores,
        memory=args.memory,
        walltime=args.walltime,
        queue=args.queue,
        account=args.account,
        log_directory=args.logs,
        scheduler_options={"dashboard_address": ":0"},  # a free port, printed below
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Start the cluster, run the file's ensemble on it, and shut it down."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_file", type=Path)
    parser.add_argument("--system", choices=("slurm", "pbs"), default="slurm")
    parser.add_argument("--jobs", type=int, default=2, help="worker jobs to submit")
    parser.add_argument("--cores", type=int, default=8, help="cores per worker job")
    parser.add_argument("--memory", default="16GB", help="memory per worker job")
    parser.add_argument("--walltime", default="02:00:00", help="wall time per worker job")
    parser.add_argument("--queue", default=None, help="partition (SLURM) or queue (PBS)")
    parser.add_argument("--account", default=None, help="project to charge")
    parser.add_argument("--logs", default="dask-logs", help="folder for the worker jobs' logs")
    parser.add_argument(
        "--dry-run", action="store_true", help="print a worker job script, submit nothing"
    )
    args = parser.parse_args(argv)

    from sciml.ensemble import failures_of, load_run, summarize

    load_run(args.run_file)  # check the run file before submitting anything
    with make_cluster(args) as cluster:
        if args.dry_run:
            print(cluster.job_script())
            return
        print(f"Dask dashboard: {cluster.dashboard_link}", flush=True)
        cluster.scale(jobs=args.jobs)
        plan = load_run(args.run_file, scheduler=cluster.scheduler_address)
        print(f"running {plan.describe()}", flush=True)
        ds = plan.execute(resume=True, progress=False)
        print(summarize(failures_of(ds), ds.sizes["member"]))


if __name__ == "__main__":
    main()
