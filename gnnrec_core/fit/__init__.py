"""Fitting, below the models and knowing none by name: the training loop (train), ranking
metrics, and the validation search and blend weights (tuning)."""
