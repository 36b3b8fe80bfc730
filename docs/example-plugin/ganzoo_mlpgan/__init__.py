"""Example ganzoo plugin (docs/plugins.md): a fully connected GAN and the relativistic average loss."""
