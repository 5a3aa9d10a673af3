"""What a scene says about time."""


def scene_fps(scene):
    """The scene's frame rate (frames per second, ``fps / fps_base``)."""
    return scene.render.fps / scene.render.fps_base
