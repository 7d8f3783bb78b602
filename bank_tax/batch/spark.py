"""The scoring stage on Apache Spark: a province export in, every firm's features and scores out, computed
by the same partition function the process pool runs (:func:`bank_tax.modelling.scoring.partition_scores`).

Spark reads the export's inputs (``inputs/part=<n>/``, one group of rows per partition of firms), groups
them by ``part`` and hands each group to :func:`score_group` as one Arrow table (``applyInArrow``): memory
in a task is bounded by a partition, as on one machine, and Spark does the scheduling, retries and
placement. Results are written as Parquet partitioned the same way: ``uscc``, every catalogue feature,
``pd``, ``points``, ``grade`` and ``reasons``.

Locally (what ``make test`` runs, and a quick look on one machine)::

    python -m bank_tax.batch.spark instance/store/exports/run-7 --out /tmp/scored --master 'local[2]'

On a province's cluster, with the export on storage every node reads (HDFS, S3, a shared mount) and this
package and its dependencies shipped as a packed environment::

    spark-submit --master yarn --deploy-mode cluster \\
        --archives bank-tax-env.tar.gz#env --conf spark.pyspark.python=./env/bin/python \\
        "$(python -c 'import bank_tax.batch.spark as m; print(m.__file__)')" \\
        hdfs:///bank-tax/exports/run-7 --out hdfs:///bank-tax/scored/run-7

(``--master k8s://https://…`` with an image holding the environment works the same way.)
``flask batch import-scores`` then records the results as a score run, as the pool's would be.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs

from bank_tax.features import exchange
from bank_tax.features.catalogue import NAMES

SCORE_COLUMNS = {"pd": pa.float64(), "points": pa.int64(), "grade": pa.string(), "reasons": pa.string()}
RESULT_SCHEMA = pa.schema(
    [pa.field("part", pa.int32()), pa.field("uscc", pa.string())]
    + [pa.field(name, pa.float64()) for name in NAMES]
    + [pa.field(name, kind) for name, kind in SCORE_COLUMNS.items()]
)

_MODELS: dict[tuple[str, str], object] = {}  # per Python worker: the model is read once, not per partition


def _model(path: str, version: str, sha256: str):
    from bank_tax.modelling.registry import read_model

    key = (path, sha256)
    if key not in _MODELS:
        _MODELS[key] = read_model(path, version=version, sha256=sha256)
    return _MODELS[key]


def result_table(part: int, frame, scored: dict) -> pa.Table:
    """One partition's features and scores as a table of :data:`RESULT_SCHEMA`."""
    n = frame.usccs.shape[0]
    cols = {"part": pa.array(np.full(n, part, dtype=np.int32)), "uscc": pa.array(frame.usccs.astype(str))}
    for j, name in enumerate(frame.names):
        cols[name] = pa.array(np.ascontiguousarray(frame.values[:, j]), pa.float64())
    for name, kind in SCORE_COLUMNS.items():
        values = scored[name]
        cols[name] = pa.array(values.tolist() if kind == pa.string() else values, kind)
    return pa.table(cols, schema=RESULT_SCHEMA)


def score_group(table: pa.Table, *, as_of: dt.datetime, model: tuple[str, str, str]) -> pa.Table:
    """What a Spark task does with one partition's rows of the export: back to the pipeline's inputs, then
    the partition function, then a result table."""
    from bank_tax.modelling.scoring import partition_scores

    part = int(table.column("part")[0].as_py())
    frame, scored = partition_scores(exchange.table_inputs(table, as_of=as_of), _model(*model))
    return result_table(part, frame, scored)


def _read_text(uri: str) -> str:
    fs, path = pafs.FileSystem.from_uri(uri)
    with fs.open_input_stream(path) as fh:
        return fh.read().decode("utf-8")


def _uri(path: str) -> str:
    return path if "://" in path else "file://" + os.path.abspath(path)


def score_export(spark, export_dir: str, out: str) -> dict:
    """Score the export at ``export_dir`` on ``spark``, writing the results to ``out`` (Parquet, by part);
    returns the manifest. The model travels with the job (``addFile``) and is checked against its digest
    in every task."""
    import json

    from pyspark import SparkFiles
    from pyspark.sql.pandas.types import from_arrow_schema

    base = _uri(export_dir).rstrip("/")
    manifest = json.loads(_read_text(f"{base}/manifest.json"))
    as_of = dt.datetime.fromisoformat(manifest["as_of"])
    model = manifest["model"]
    spark.sparkContext.addFile(f"{base}/{model['path']}")
    name = os.path.basename(model["path"])

    def task(table: pa.Table) -> pa.Table:
        return score_group(table, as_of=as_of, model=(SparkFiles.get(name), model["version"], model["sha256"]))

    inputs = spark.read.parquet(f"{base}/inputs")
    scored = inputs.groupBy("part").applyInArrow(task, from_arrow_schema(RESULT_SCHEMA))
    scored.write.mode("overwrite").partitionBy("part").parquet(_uri(out))
    return manifest


def session(master: str | None = None, app_name: str = "bank-tax scores"):
    """A Spark session; ``master`` (e.g. ``local[2]``) for a local run, else what spark-submit set. The
    Python workers run this interpreter unless the cluster says otherwise."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.master(master).config("spark.ui.enabled", "false")
        builder = builder.config("spark.sql.shuffle.partitions", "8")
    return builder.getOrCreate()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank_tax.batch.spark", description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the export's folder (a path or a URI: hdfs://, s3://, file://)")
    parser.add_argument("--out", required=True, help="where the results go (Parquet, by part)")
    parser.add_argument("--master", default=None, help="e.g. local[2]; default: what spark-submit set")
    args = parser.parse_args(argv)
    spark = session(args.master)
    try:
        manifest = score_export(spark, args.export, args.out)
    finally:
        spark.stop()
    firms = sum(p["firms"] for p in manifest["parts"])
    print(f"scored {firms} firms in {len(manifest['parts'])} partitions as of {manifest['as_of']} into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
