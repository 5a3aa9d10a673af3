"""How a take goes on a rig, as one value: the panel, ``talkrig bake``/``bake-batch`` and a batch's
settings fill it in, and it travels whole through the bake and the keying to the retargeter, so
a new rig setting is added in one place rather than in every signature on the way."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RetargetSettings:
    """constrained : where the keys go on a rig whose deform bones follow constraints: "auto"
        (its controls when a preset fits), "controls" or "deform" (``blender.controls``).
    root_motion : "relative", "absolute" or "none" (``transfer.retarget``).
    root_target : what carries the travel: "auto", "pelvis", "root" or "object" (:mod:`.root`).
    plant_feet : re-solve the legs so planted feet hold still (:mod:`.feet`).
    """

    constrained: str = "auto"
    root_motion: str = "relative"
    root_target: str = "auto"
    plant_feet: bool = True
