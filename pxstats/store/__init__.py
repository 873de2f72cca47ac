"""On-disk stores: hourly pickles, times of last update, legacy (Python 2) pickles."""
