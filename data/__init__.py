"""Bundled data sets, their catalog and their loaders."""
