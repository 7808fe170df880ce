"""The batch match: candidate pairs, scoring, clustering and merge, the run, its report and job."""
