"""Built-in plugins grouped by entry-point kind: generators/, speech/, face/, renderers/,
landmarks/, each registered through entry points exactly like third-party plugins
(``talkrig.plugins.<kind>.<name>:<Class>``). ``neural/`` is not a plugin: it is the library
the neural generators and the vid2vid renderer share."""

from ..inference.moved import install

install()
