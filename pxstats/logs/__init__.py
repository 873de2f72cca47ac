"""Sundew log files: line formats, file selection, resume pointers."""
