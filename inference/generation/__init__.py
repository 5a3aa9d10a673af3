"""From features and words to a finished take: the pipeline, generator specs and the window driver, key poses, the face stage, post-processing and the feet."""
