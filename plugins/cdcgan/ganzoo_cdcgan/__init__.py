"""A class-conditional DCGAN for ganzoo, installed as a separate distribution (``pip install -e plugins/cdcgan``)."""
