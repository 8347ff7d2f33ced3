"""Training and evaluation: the loop (train), metrics, the shared pipeline and the dashboard
experiment, data-parallel training under torchrun (distributed)."""
