"""The example plugin's tests: ganzoo's conformance kit, as any plugin author would use it."""


def test_mlpgan_conforms(ganzoo_conformance):
    ganzoo_conformance.architecture("mlpgan")


def test_ragan_conforms(ganzoo_conformance):
    ganzoo_conformance.loss("ragan")
