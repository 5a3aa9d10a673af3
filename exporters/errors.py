"""Errors of baking and export a user can cause (bad avatar, output name, manifest)."""

from ..motion.errors import TalkrigError


class BakeError(TalkrigError):
    """A bake request that cannot be carried out as given (output type, folder, option)."""


class EngineStartError(BakeError):
    """A batch engine that could not start (a cluster it cannot reach): no clip was run."""


class AvatarError(TalkrigError):
    """An avatar file that is missing, unreadable or has no usable armature."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ManifestError(TalkrigError):
    """A batch manifest that cannot be read (format, header, duplicate outputs)."""
