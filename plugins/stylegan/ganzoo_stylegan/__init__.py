"""A small style-based GAN for ganzoo (Karras et al. 2019, 2020): see ganzoo_stylegan.models."""
