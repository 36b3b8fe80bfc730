"""SNGAN for ganzoo (Miyato et al. 2018): see ganzoo_sngan.models."""
