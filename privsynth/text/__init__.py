"""Free-text synthesis: scrubbed exemplars, prompts, a local GGUF generator and a post-filter."""
