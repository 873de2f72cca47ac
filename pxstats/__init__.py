"""pxStats: statistics for the MetPX Sundew message switching system."""

__version__ = "0.1.0"
