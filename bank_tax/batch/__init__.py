"""The batch at province scale: stages run one partition of firms at a time.

* :mod:`.partitions` cuts the registered firms into ranges of codes of a configured size;
* :mod:`.stages` lists the stages; each stage's partition function lives in its domain;
* :mod:`.runner` drives a stage over the partitions, in the caller's session, one after another with a
  commit each, or on a process pool, and resumes a killed run at its first unfinished partition.

Every partition commits its outputs together with its own checkpoint row (``batch_partition``), so a run
killed at any moment leaves whole partitions only, and running it again finishes the rest: the result
equals an uninterrupted run.
"""
