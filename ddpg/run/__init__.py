"""Running the algorithm: checks, the results folder, the session, checkpoints, the driver."""
