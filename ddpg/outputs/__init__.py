"""What a run leaves behind: Monitor files, evaluations, plots, GIFs and videos."""
