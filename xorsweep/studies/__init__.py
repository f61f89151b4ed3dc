"""Studies beyond the article's reproduction, each a pipeline from configuration to a
written report."""
