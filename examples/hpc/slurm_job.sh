#!/bin/bash
# Submit from the repository's root:  sbatch examples/hpc/slurm_job.sh examples/hpc/ou.toml
#
# This small job holds the Dask scheduler and the ensemble runner; dask-jobqueue
# submits the Dask workers as further jobs (see jobqueue_run.py for their size).
# Members are checkpointed to the run file's output as they finish, so if this
# job hits its time limit, submitting it again continues the run.
#SBATCH --job-name=sciml-ensemble
#SBATCH --time=12:00:00
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --output=sciml-ensemble-%j.log
set -euo pipefail

RUN_FILE=${1:?usage: sbatch slurm_job.sh RUN.toml}
# The environment where sciml[hpc] is installed (adapt: module load python, conda activate ...).
source "${SCIML_VENV:-$HOME/sciml/.venv}/bin/activate"

cd "$SLURM_SUBMIT_DIR"  # sbatch runs a copy of this script: paths are from where it was submitted
sciml validate "$RUN_FILE"
python examples/hpc/jobqueue_run.py "$RUN_FILE" \
    --system slurm --jobs 4 --cores 8 --memory 16GB --walltime 02:00:00

# Alternative without dask-jobqueue, inside one multi-node allocation:
#   dask scheduler --scheduler-file "$SCRATCH/scheduler.json" &
#   srun dask worker --scheduler-file "$SCRATCH/scheduler.json" --nthreads 1 &
#   sciml run "$RUN_FILE" --resume --scheduler "tcp://$(hostname):8786"
