"""The hub's job kinds, registered for ``mdm.jobs.runner`` (found like ``admin.py``).

Another app registers its own kinds in its ``jobs.py`` the same way (e.g. ``matching/jobs.py``
for the distributed batch match).
"""

from __future__ import annotations

from mdm.jobs import history_cleanup
from mdm.jobs.runner import JobKind, register_job_kind
from mdm.linking.batch import job as batch_match_job
from mdm.quality import snapshot_job

register_job_kind(
    JobKind(
        name=history_cleanup.KIND,
        plan=history_cleanup.plan,
        run_chunk=history_cleanup.run_chunk,
        # Each chunk deletes in its own batches; deleting old rows again deletes nothing.
        atomic_chunks=False,
    )
)


register_job_kind(
    JobKind(
        name=batch_match_job.KIND,
        plan=batch_match_job.plan,
        run_chunk=batch_match_job.run_chunk,
        finalize=batch_match_job.finalize,
        next_round=batch_match_job.next_round,
    )
)


register_job_kind(
    JobKind(
        name=snapshot_job.KIND,
        plan=snapshot_job.plan,
        run_chunk=snapshot_job.run_chunk,
        finalize=snapshot_job.finalize,
    )
)
