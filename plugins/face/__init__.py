"""Face plugins (entry-point group ``talkrig.face``)."""
