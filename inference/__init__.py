"""Audio front-end, speech timing, the generation pipeline, key poses, the face stage, post-processing, the plugin registry and the HTTP server. Imports motion/, never bpy."""
