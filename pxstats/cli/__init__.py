"""Console scripts: argument parsing, validation and exit codes, nothing else."""
