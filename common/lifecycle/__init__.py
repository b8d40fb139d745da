"""The model lifecycle every project shares: training-run logging and registration as Challenger,
validation against thresholds and the Champion, promotion by aliases, batch scoring into Delta and
monitoring against known outcomes.

A project supplies what only it knows, in one `ModelSpec` (spec.py): its keys, label and problem
type, how a raw label becomes the model's, and its model factory; plus its data, feature functions,
settings (settings.py gives the shared part) and bundle resources. Binary and multi-class
classification and regression all fit.

    spec.py          ModelSpec: what a project tells the lifecycle about one model
    settings.py      the settings every project has: seed, holdout, hyperparameters, thresholds
    training_set.py  labels joined point in time to the feature table; the stable holdout split
    metrics.py       holdout metrics and plots for each problem type; what monitoring measures
    training.py      train: fit, log the run (params, metrics, plots, signature, pins), register
    validation.py    validate: run modes, thresholds, Champion comparison, the verdict as tags
    deployment.py    deploy: Champion alias for a version that did not fail validation
    predictions.py   the predictions and baseline tables a quality monitor reads; outcomes into them
    inference.py     batch_inference: the Champion scores a table into a Delta table
    monitoring.py    monitor: the Champion's quality on known outcomes, its history, retrain or not
"""
