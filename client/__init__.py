"""Talking to a talkrig server, standard library only (it runs in Blender's own Python): the
HTTP client (``http_client``), the live-stream client (``live_client``), a local server as a
child process (``server_process``) and the microphone (``microphone``). The add-on and
``talkrig live`` use it; it imports nothing from talkrig but ``userdirs``.
"""
