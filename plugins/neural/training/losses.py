"""Motion losses on pose vectors: geodesic rotation error, L1 joint positions (forward
kinematics of the neutral skeleton, metres, root-relative) and speeds (per frame), L1
expressions; each optionally relaxed by a margin (Audio2Gestures' relaxed motion loss). And the
alignment of a motion code with an audio code."""

import torch

from .geometry import ForwardKinematics, geodesic, sixd_to_matrix


class MotionLoss(torch.nn.Module):
    """Compares predicted pose vectors with targets, both (B, T, D) in the layout's order."""

    def __init__(self, layout):
        super().__init__()
        self.layout = layout
        self.fk = ForwardKinematics(layout.joints)

    def kinematics(self, vectors):
        """(rotations (B, T, J, 3, 3), positions (B, T, 55, 3)) of pose vectors."""
        shape = vectors.shape[:-1]
        rot = sixd_to_matrix(vectors[..., :self.layout.rot_dim].reshape(*shape, -1, 6))
        return rot, self.fk(rot)

    def target(self, vectors):
        """Precomputed target kinematics (no gradient), reusable across several predictions."""
        with torch.no_grad():
            rot, pos = self.kinematics(vectors)
        return {"vectors": vectors, "rot": rot, "pos": pos}

    def forward(self, pred, target, relax=0.0, kinetic=False, kinematics=None):
        """{"geodesic", "position", "speed", "expressions"}: mean errors, each lowered by
        ``relax`` and floored at zero (relax = 0: plain errors); with ``kinetic`` also
        "kinetic", the ``kinetic_mismatch`` of the two. ``kinematics``: ``pred``'s (rotations,
        positions) when already computed (one forward kinematics pass over several batches
        costs little more than over one)."""
        if not isinstance(target, dict):
            target = self.target(target)
        rot, pos = self.kinematics(pred) if kinematics is None else kinematics

        def margin(err):
            return torch.relu(err - relax).mean() if relax else err.mean()

        speed, target_speed = pos[:, 1:] - pos[:, :-1], target["pos"][:, 1:] - target["pos"][:, :-1]
        terms = {
            "geodesic": margin(geodesic(rot, target["rot"])),
            "position": margin((pos - target["pos"]).abs()),
            "speed": margin((speed - target_speed).abs()),
        }
        if self.layout.n_expressions:
            r = self.layout.rot_dim
            terms["expressions"] = margin((pred[..., r:] - target["vectors"][..., r:]).abs())
        if kinetic:
            terms["kinetic"] = kinetic_mismatch(pos, target["pos"])
        return terms


def kinetic_mismatch(pred_positions, target_positions, joints=22, eps=1e-5, weights=None):
    """How differently two sets of windows move, whatever the gestures: the mean over windows
    and over speed, acceleration and jerk of |log(pred / target)|, each the mean magnitude of
    that derivative of the body joints' positions over the window.

    pred_positions, target_positions : (B, T, 55, 3) root-relative positions, T >= 4.
    weights : optional (B,) weights of the windows in the mean (default: all equal).

    A generator trained on its windows' frame-by-frame errors alone regresses to the mean: it
    moves too little on new audio and its leftover frame-to-frame noise makes it jerky. This
    term asks each window to move as much and as smoothly as its real counterpart without
    asking for the same gestures (0 when the three magnitudes match).
    """
    def magnitudes(p):
        v = p[:, 1:, :joints] - p[:, :-1, :joints]
        a = v[:, 1:] - v[:, :-1]
        j = a[:, 1:] - a[:, :-1]
        return torch.stack([d.norm(dim=-1).mean(dim=(1, 2)) for d in (v, a, j)], -1)

    with torch.no_grad():
        target = magnitudes(target_positions)
    mismatch = (torch.log(magnitudes(pred_positions) + eps) - torch.log(target + eps)).abs().mean(-1)
    if weights is None:
        return mismatch.mean()
    return (weights * mismatch).sum() / (weights.sum() + 1e-12)


def pull_onto_audio(motion_code, audio_code):
    """Mean L1 distance that moves a motion encoder's code onto the audio encoder's code of the
    same frames, and never the audio code (no gradient flows into ``audio_code``).

    Audio2Gestures (shared codes) and DR² (latent sequences) align the two codes with an L1
    term that trains both encoders. On a minute of data that term is met most cheaply by both
    codes shrinking to one constant vector: alignment perfect, codes empty, and the decoders
    learn to ignore the audio. Pulling only the motion code, the audio code is shaped by the
    reconstructions alone and cannot collapse, and motion is embedded where audio would be.
    """
    return (motion_code - audio_code.detach()).abs().mean()
