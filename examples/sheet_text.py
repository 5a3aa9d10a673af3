"""Captions on contact sheets that keep their spaces.

PIL's default font at its default size has spaces 2 px wide; after a letter's right bearing
they vanish ("its captured label" reads "itscaptured label"). Captions are drawn word by word
instead, a third of the font's height apart.
"""

from PIL import ImageFont


def draw_words(draw, xy, text, fill, font=None):
    """Draw ``text`` with ``draw`` (an ImageDraw) from ``xy`` (left, top, pixels); returns the
    x where it ends. font : an ImageFont (default: PIL's default font)."""
    font = font or ImageFont.load_default()
    x, y = xy
    gap = max(font.getlength(" "), round(font.getbbox("Ag")[3] / 3))
    for k, word in enumerate(text.split(" ")):
        if k:
            x += gap
        draw.text((x, y), word, fill=fill, font=font)
        x += font.getlength(word)
    return x
