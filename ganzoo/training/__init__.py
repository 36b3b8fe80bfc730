"""Training: the shared GAN model, its data pipeline, run directories and checkpoints."""
