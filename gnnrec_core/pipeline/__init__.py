"""Above the models: the pipeline every front end shares (benchmark: dataset, split, fit every
model, metrics), the dashboard's run (experiment), data-parallel training (distributed)."""
