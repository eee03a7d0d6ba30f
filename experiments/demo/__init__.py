"""`patronage demo`: everything a first look needs, reusing whatever already exists.

Steps (`experiments.demo.run.prepare_demo`): simulate (default 20,000 families) -> import ->
train, audit and register (the training pipeline runs the fairness audit and the promotion gate)
-> generate the lists of the latest month for every district -> create the demo users
(`users`) -> submit a few alert-kind police signals after the lists (`alerts`); the command then
serves. Each step checks what exists first. The steps run in-process and call the same functions
as `patronage simulate`, `train` and `promote`, so the demo's model is the one a user would train.
"""
