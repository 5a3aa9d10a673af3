"""Motion while the voice arrives: the live driver, its incremental features and its face stage."""


def __getattr__(name):
    """One release: ``talkrig.inference.live`` was the module now at ``live/driver.py``."""
    from ..moved import forward

    return forward(__name__, "driver", name)
