"""Audio features at the motion frame rate: spectra, onsets, pitch, speech activity."""


def __getattr__(name):
    """One release: ``talkrig.inference.features`` was the module now at ``features/compute.py``."""
    from ..moved import forward

    return forward(__name__, "compute", name)
