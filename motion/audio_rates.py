"""The sample rates a speech recording can have: one rule for every reader of one, the decoder
(command line, server, live streams from a file) and the add-on's own (Blender's audio library).

Below 4 kHz a recording cannot carry speech (its band would end under 2 kHz, below most
consonants), and no recorder or audio interface offers more than 384 kHz. A file claiming
either is damaged or made to have a reader work for nothing: 2.4 KB of wav at 2 Hz claims ten
minutes of sound, and a few hundred bytes of FLAC at 655 kHz over a gigabyte of samples.
"""

MIN_SOURCE_RATE = 4000  # Hz
MAX_SOURCE_RATE = 384000  # Hz: the highest rate recorders and audio interfaces offer


def rate_problem(rate):
    """Why a recording at ``rate`` Hz is refused (a clause for a one-line message), or None."""
    if rate < MIN_SOURCE_RATE:
        return (f"the sample rate is {rate} Hz; speech needs at least {MIN_SOURCE_RATE} Hz "
                "(a damaged header, or resample the recording to 16 kHz or more)")
    if rate > MAX_SOURCE_RATE:
        return (f"the sample rate is {rate} Hz; at most {MAX_SOURCE_RATE} Hz is supported "
                "(resample the recording to 48 kHz)")
    return None
