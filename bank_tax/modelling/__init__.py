"""The scoring model: training set, training, evaluation, the registry of versions, scoring and reasons."""
