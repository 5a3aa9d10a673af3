"""Generator plugins (entry-point group ``talkrig.generators``)."""
