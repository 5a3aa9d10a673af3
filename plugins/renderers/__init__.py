"""Renderer plugins (entry-point group ``talkrig.renderers``)."""
