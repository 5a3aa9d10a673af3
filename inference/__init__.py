"""The inference runtime, one folder per stage: audio/ (decode), features/, speech/ (engines,
word finding, languages, transcripts), generation/ (pipeline, key poses, face stage,
post-processing, feet), live/, capture/, server/; beside them the plugin registry, render and
evaluate. Imports motion/, never bpy."""

from .moved import install

install()
