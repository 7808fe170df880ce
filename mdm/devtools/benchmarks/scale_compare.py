"""The hub's batch match and Splink 5 on the same N synthetic customer records, side by side.

For each size: the hub is emptied, N records from ``iter_customers_fast`` are stored with their
block keys (``mdm.devtools.benchmarks.scale.load``: each record standardized and validated by
the dictionary, written with COPY) and exported as the hub standardized them (in clear) to a
Parquet file; then the public ``manage.py match --entity customers`` runs in a child process,
and Splink (``mdm.devtools.benchmarks.scale_splink``) in another on the exported file. Each
child's whole process tree is sampled for memory while it runs (``memory.PeakSampler``). The
hub's links are read back from the stored golden codes; Splink's from its clusters; both are
scored pairwise against the generator's truth.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from mdm.devtools.benchmarks import scale
from mdm.devtools.benchmarks.common import PairMetrics, pair_metrics, pairs_of
from mdm.devtools.benchmarks.memory import PeakSampler
from mdm.devtools.benchmarks.real.hubpath import reset_hub
from mdm.devtools.synth import CUSTOMER_KEYS
from mdm.models import SourceRecord

ENTITY = "customers"


@dataclass
class Contestant:
    wall_s: float
    peak_mb: float
    metrics: PairMetrics
    detail: str = ""


@dataclass
class SizeResult:
    size: int
    records: int
    load_s: float
    hub: Contestant
    splink: Contestant | None
    notes: list[str] = field(default_factory=list)


def _run_child(command: list[str]) -> tuple[float, float, str]:
    """Run ``command`` from the project folder; wall seconds, peak MB of its tree, stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        child = subprocess.Popen(command, cwd=settings.BASE_DIR, stdout=out)
        with PeakSampler(child.pid) as sampler:
            code = child.wait()
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    if code != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… exited with {code}: {text[-2000:]}")
    return wall, sampler.peak_mb, text


def load_and_export(size: int, folder: Path, *, seed: int, progress=None):
    """Empty hub, N records stored; the exported frame's path and the truth by unique id."""
    import pandas as pd

    reset_hub()
    columns: dict[str, list] = {key: [] for key in ("unique_id", *CUSTOMER_KEYS)}
    truth: dict[object, object] = {}

    def export(record, attributes) -> None:
        unique_id = f"{record.system}|{record.local_code}"
        truth[unique_id] = record.truth_id
        columns["unique_id"].append(unique_id)
        for key in CUSTOMER_KEYS:
            value = attributes.get(key)
            columns[key].append(str(value) if value not in (None, "") else None)

    load_s = scale.load(size, seed=seed, progress=progress, export=export)
    path = folder / f"customers_{size}.parquet"
    pd.DataFrame(columns).to_parquet(path)
    return path, truth, load_s


def hub_links() -> dict[object, object]:
    rows = SourceRecord.objects.filter(entity=ENTITY, is_active=True).values_list(
        "system__code", "local_code", "golden_code"
    )
    return {f"{system}|{code}": golden for system, code, golden in rows.iterator(chunk_size=50_000)}


def run_size(
    size: int, *, seed: int, processes: int, with_splink: bool, progress=None
) -> SizeResult:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as name:
        folder = Path(name)
        path, truth, load_s = load_and_export(size, folder, seed=seed, progress=progress)
        true_pairs = pairs_of(truth)
        wall, peak, text = _run_child(
            [
                sys.executable,
                "manage.py",
                "match",
                "--entity",
                ENTITY,
                "--no-progress",
                "--processes",
                str(processes),
            ]
        )
        links = hub_links()
        hub = Contestant(
            wall, peak, pair_metrics(true_pairs, pairs_of(links)), " ".join(text.split())
        )
        splink = None
        if with_splink:
            target = folder / "clusters.parquet"
            wall, peak, text = _run_child(
                [
                    sys.executable,
                    "-m",
                    "mdm.devtools.benchmarks.scale_splink",
                    str(path),
                    str(target),
                ]
            )
            splink = Contestant(wall, peak, _splink_metrics(target, true_pairs))
            splink.detail = (
                f"Splink's own seconds {json.loads(text.splitlines()[-1])['seconds']:.1f}"
            )
        return SizeResult(size, len(truth), load_s, hub, splink)


def _splink_metrics(path: Path, true_pairs: set[tuple]) -> PairMetrics:
    import pandas as pd

    frame = pd.read_parquet(path)
    clusters: dict[object, object] = dict(zip(frame["unique_id"], frame["cluster_id"], strict=True))
    return pair_metrics(true_pairs, pairs_of(clusters))
