"""SAGAN for ganzoo (Zhang et al. 2019), class-conditional BigGAN-style on labelled data: see ganzoo_sagan.models."""
