"""Legs and root travel at the training speaker's level.

A network trained on a minute of speech hedges with its legs as with its arms: on speech it has
never heard (a lecture hall, another voice) its hips and knees move at 0.4-0.55x the speaker's
after the pipeline's feet stage, and its root, placed from the feet (``grounding``), carries the
frame-to-frame wobble of its pelvis and legs (1.6-2.1x his travel per second). Two numbers fix
both, each matched on what the feet stage will make of the take (``inference.feet.plant_feet``
with both feet planted, as the generator says): the gain of the legs' gesture band (hips, knees
and ankles between posture and fine motion, as ``liveliness`` splits the arms) brings the leg
activity (``metrics.posture.leg_activity``) to the speaker's, and the time over which the root's
horizontal place is low-passed brings the root travel to his (a smoother root bends the legs
less, so the gain is matched again after it; the travel then ends a little above his). Both
targets are stored in the model at training time (``leg_activity``, ``root_travel``). numpy
only.
"""

from ...inference.feet import plant_feet
from ...motion.fineturn import solve_rising
from ...motion.metrics.posture import LEG_JOINTS, leg_activity, root_travel
from .liveliness import SLOW_SIGMA
from .smoothing import smooth_columns

MAX_LEG_GAIN = 3.0  # the legs' gestures are never scaled past this
# seconds: the root's place is low-passed over at least the first and at most the second; the
# first is what a standing body's root never moves faster than (``grounding.GROUND_SIGMA``)
ROOT_SIGMAS = (0.12, 1.0)


def stand(vectors, layout, ground, targets, fps, strength=1.0):
    """(Motion, leg gain, root sigma): the take of (T, D) pose ``vectors`` with its legs'
    gesture band scaled and its root smoothed so that, after the feet stage, its leg activity
    and root travel are the ``targets`` ({"leg_activity": rad/s, "root_travel": m/s}).

    ground(vectors, sigma) -> Motion: the generator's pose vectors to motion, the root placed
    from the feet and low-passed over ``sigma`` seconds. strength: 0..1, how much of the way
    from gain 1 to the matching gain to go. The gain is never below 1 (a model's legs are not
    calmed); the root is smoothed at least over ROOT_SIGMAS[0].
    """
    columns = layout.joint_columns(LEG_JOINTS)
    base = smooth_columns(vectors, columns, SLOW_SIGMA * fps / 30.0)[:, columns]
    band = vectors[:, columns] - base

    def take(gain, sigma):
        out = vectors.copy()
        out[:, columns] = base + gain * band
        return ground(out, sigma)

    def figures(gain, sigma):
        return plant_feet(take(gain, sigma))

    def leg_gain(sigma):
        gain = solve_rising(lambda g: leg_activity(figures(g, sigma)), legs, 1.0, MAX_LEG_GAIN, steps=6)
        return 1.0 + strength * (gain - 1.0)

    legs, travel = targets.get("leg_activity") or 0.0, targets.get("root_travel") or 0.0
    sigma, gain = ROOT_SIGMAS[0], 1.0
    if legs > 0.0 and len(columns):
        gain = leg_gain(sigma)
    if travel > 0.0:  # travel falls as the root is smoothed longer: solve on its negative
        sigma = solve_rising(lambda s: -root_travel(figures(gain, s)), -travel, *ROOT_SIGMAS, steps=6)
        if legs > 0.0 and len(columns) and sigma > ROOT_SIGMAS[0]:
            gain = leg_gain(sigma)  # a smoother root bends the legs less: the gain once more
    return take(gain, sigma), gain, sigma
