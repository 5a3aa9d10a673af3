"""Speech plugins (entry-point group ``talkrig.speech``): word timing engines."""
