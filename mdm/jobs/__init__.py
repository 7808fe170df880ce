"""Jobs: JobRun/JobChunk, the runner that plans and runs a job kind's chunks, the beat schedule."""
