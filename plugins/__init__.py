"""Built-in plugins (generators, speech engines, face models, renderers), registered through entry points exactly like third-party plugins."""
